import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Flux1795258498266 implements MigrationInterface {
  name = 'Flux1795258498266';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "flux_settings" ("id" smallint NOT NULL DEFAULT '1', "api_key_encrypted" text, "base_url" character varying(300), "enabled" boolean NOT NULL DEFAULT true, "timeout_seconds" integer NOT NULL DEFAULT '900', "max_concurrent_tasks" integer NOT NULL DEFAULT '4', "default_model" character varying(120), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_82ba3cfd9f5b1996889a12d390c" PRIMARY KEY ("id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "flux_settings"`);
  }
}
