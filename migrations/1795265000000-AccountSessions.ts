import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions that can be ended, and a way back into an account: `session_epoch` is carried by every
 * sign-in token and moves on a password change or when the account is disabled (older tokens stop
 * working); `must_change_password` marks a password an admin set; SMS codes gain the purpose
 * `reset` (a forgotten password).
 */
export class AccountSessions1795265000000 implements MigrationInterface {
  name = 'AccountSessions1795265000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "session_epoch" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "users" ADD "must_change_password" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TYPE "public"."sms_code_purpose" ADD VALUE 'reset'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // PostgreSQL cannot drop an enum value: the type is made again without it.
    await queryRunner.query(`DELETE FROM "verification_codes" WHERE "purpose" = 'reset'`);
    await queryRunner.query(`DELETE FROM "sms_sends" WHERE "kind" = 'reset'`);
    await queryRunner.query(`ALTER TYPE "public"."sms_code_purpose" RENAME TO "sms_code_purpose_old"`);
    await queryRunner.query(`CREATE TYPE "public"."sms_code_purpose" AS ENUM('register', 'login', 'bind', 'change')`);
    await queryRunner.query(
      `ALTER TABLE "verification_codes" ALTER COLUMN "purpose" TYPE "public"."sms_code_purpose" USING "purpose"::text::"public"."sms_code_purpose"`,
    );
    await queryRunner.query(`DROP TYPE "public"."sms_code_purpose_old"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "must_change_password"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "session_epoch"`);
  }
}
