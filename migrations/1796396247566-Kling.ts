import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Kling1796396247566 implements MigrationInterface {
  name = 'Kling1796396247566';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "kling_settings" ("id" smallint NOT NULL DEFAULT '1', "access_key" character varying(200), "secret_key_encrypted" text, "region" character varying(16), "base_url" character varying(300), "enabled" boolean NOT NULL DEFAULT true, "timeout_seconds" integer NOT NULL DEFAULT '3600', "max_concurrent_tasks" integer NOT NULL DEFAULT '3', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_kling_settings" PRIMARY KEY ("id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "kling_settings"`);
  }
}
