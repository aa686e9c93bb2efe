import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Jimeng1796396247567 implements MigrationInterface {
  name = 'Jimeng1796396247567';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "jimeng_settings" ("id" smallint NOT NULL DEFAULT '1', "access_key_id" character varying(200), "secret_access_key_encrypted" text, "base_url" character varying(300), "enabled" boolean NOT NULL DEFAULT true, "timeout_seconds" integer NOT NULL DEFAULT '3600', "max_concurrent_tasks" integer NOT NULL DEFAULT '2', "req_key_overrides" jsonb NOT NULL DEFAULT '{}'::jsonb, "watermark" jsonb, "aigc_meta" jsonb, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_jimeng_settings" PRIMARY KEY ("id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "jimeng_settings"`);
  }
}
