import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Midjourney1796396247565 implements MigrationInterface {
  name = 'Midjourney1796396247565';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "midjourney_settings" ("id" smallint NOT NULL DEFAULT '1', "api_secret_encrypted" text, "base_url" character varying(300), "flavor" character varying(16), "mode" character varying(16), "default_bot_type" character varying(16), "enabled" boolean NOT NULL DEFAULT true, "max_concurrent_tasks" integer NOT NULL DEFAULT '3', "timeout_seconds" integer NOT NULL DEFAULT '900', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_midjourney_settings" PRIMARY KEY ("id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "midjourney_settings"`);
  }
}
