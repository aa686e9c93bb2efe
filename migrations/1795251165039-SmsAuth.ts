import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SmsAuth1795251165039 implements MigrationInterface {
  name = 'SmsAuth1795251165039';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "sms_sends" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "phone" character varying(20) NOT NULL, "ip" character varying(64) NOT NULL, "kind" character varying(20) NOT NULL, "sent_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2c9c77b767ddb3f936588adc466" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_sms_sends_ip_sent_at" ON "sms_sends"  ("ip", "sent_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_sms_sends_phone_sent_at" ON "sms_sends"  ("phone", "sent_at") `);
    await queryRunner.query(`CREATE TYPE "public"."sms_provider" AS ENUM('smsbao', 'sandbox')`);
    await queryRunner.query(`CREATE TABLE "sms_settings" ("id" smallint NOT NULL DEFAULT '1', "provider" "public"."sms_provider" NOT NULL, "enabled" boolean NOT NULL, "username" character varying(100), "password_encrypted" text, "base_url" character varying(500) NOT NULL, "signature" character varying(30) NOT NULL, "template" character varying(300) NOT NULL, "cooldown_seconds" integer NOT NULL, "max_per_phone_per_day" integer NOT NULL, "max_per_ip_per_hour" integer NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_sms_settings_single_row" CHECK ("id" = 1), CONSTRAINT "PK_e5605e84770b6192b0c4b69d186" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TYPE "public"."sms_code_purpose" AS ENUM('register', 'login', 'bind', 'change')`);
    await queryRunner.query(`CREATE TYPE "public"."verification_code_status" AS ENUM('active', 'used', 'invalidated')`);
    await queryRunner.query(`CREATE TABLE "verification_codes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "phone" character varying(20) NOT NULL, "purpose" "public"."sms_code_purpose" NOT NULL, "code_hash" character(64) NOT NULL, "status" "public"."verification_code_status" NOT NULL DEFAULT 'active', "attempts" integer NOT NULL DEFAULT '0', "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_18741b6b8bf1680dbf5057421d7" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_verification_codes_expires_at" ON "verification_codes"  ("expires_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_verification_codes_active" ON "verification_codes"  ("phone", "purpose") WHERE "status" = 'active'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_verification_codes_active"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_verification_codes_expires_at"`);
    await queryRunner.query(`DROP TABLE "verification_codes"`);
    await queryRunner.query(`DROP TYPE "public"."verification_code_status"`);
    await queryRunner.query(`DROP TYPE "public"."sms_code_purpose"`);
    await queryRunner.query(`DROP TABLE "sms_settings"`);
    await queryRunner.query(`DROP TYPE "public"."sms_provider"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sms_sends_phone_sent_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sms_sends_ip_sent_at"`);
    await queryRunner.query(`DROP TABLE "sms_sends"`);
  }
}
