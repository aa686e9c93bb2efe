import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Storage1795251766753 implements MigrationInterface {
  name = 'Storage1795251766753';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."media_kind" AS ENUM('image', 'video')`);
    await queryRunner.query(`CREATE TYPE "public"."storage_driver_name" AS ENUM('local', 'cos')`);
    await queryRunner.query(`CREATE TYPE "public"."media_source" AS ENUM('flux', 'midjourney', 'kling', 'jimeng', 'upload', 'migration')`);
    await queryRunner.query(`CREATE TYPE "public"."media_status" AS ENUM('pending', 'stored', 'failed')`);
    await queryRunner.query(`CREATE TABLE "media_files" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "filename" character varying(255) NOT NULL, "original_filename" character varying(255), "kind" "public"."media_kind", "mime_type" character varying(100), "size" bigint, "sha256" character(64), "width" integer, "height" integer, "duration" double precision, "driver" "public"."storage_driver_name", "key" character varying(500), "url" text, "thumbnail_key" character varying(500), "thumbnail_url" text, "source_url" text, "source" "public"."media_source" NOT NULL, "source_task_id" uuid, "metadata" jsonb NOT NULL DEFAULT '{}', "status" "public"."media_status" NOT NULL DEFAULT 'pending', "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_93b4da6741cd150e76f9ac035d8" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_media_files_status" ON "media_files"  ("status") `);
    await queryRunner.query(`CREATE INDEX "IDX_media_files_driver_key" ON "media_files"  ("driver", "key") `);
    await queryRunner.query(`CREATE INDEX "IDX_media_files_driver_sha256" ON "media_files"  ("driver", "sha256") `);
    await queryRunner.query(`CREATE INDEX "IDX_media_files_user_created" ON "media_files"  ("user_id", "created_at") `);
    await queryRunner.query(`CREATE TYPE "public"."file_migration_job_status" AS ENUM('running', 'finished', 'failed')`);
    await queryRunner.query(`CREATE TABLE "file_migration_jobs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "status" "public"."file_migration_job_status" NOT NULL DEFAULT 'running', "total" integer NOT NULL DEFAULT '0', "done" integer NOT NULL DEFAULT '0', "failed" integer NOT NULL DEFAULT '0', "failures" jsonb NOT NULL DEFAULT '[]', "started_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5d9b900bce2d9387766dfcd159f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TYPE "public"."storage_provider" AS ENUM('local', 'cos')`);
    await queryRunner.query(`CREATE TABLE "storage_settings" ("id" smallint NOT NULL DEFAULT '1', "provider" "public"."storage_provider" NOT NULL, "enabled" boolean NOT NULL, "sandbox" boolean NOT NULL DEFAULT false, "secret_id_encrypted" text, "secret_key_encrypted" text, "region" character varying(50), "bucket" character varying(100), "domain" character varying(300), "protocol" character varying(6) NOT NULL DEFAULT 'https:', "auto_upload" boolean NOT NULL DEFAULT true, "allowed_types" text array NOT NULL, "max_file_size" bigint NOT NULL, "base_path" character varying(200) NOT NULL, "image_path" character varying(200) NOT NULL, "video_path" character varying(200) NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_storage_settings_single_row" CHECK ("id" = 1), CONSTRAINT "PK_cf846fd450959ac4497b259edcc" PRIMARY KEY ("id"))`);
    await queryRunner.query(`ALTER TABLE "media_files" ADD CONSTRAINT "FK_media_files_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "media_files" DROP CONSTRAINT "FK_media_files_user_id"`);
    await queryRunner.query(`DROP TABLE "storage_settings"`);
    await queryRunner.query(`DROP TYPE "public"."storage_provider"`);
    await queryRunner.query(`DROP TABLE "file_migration_jobs"`);
    await queryRunner.query(`DROP TYPE "public"."file_migration_job_status"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_files_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_files_driver_sha256"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_files_driver_key"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_files_status"`);
    await queryRunner.query(`DROP TABLE "media_files"`);
    await queryRunner.query(`DROP TYPE "public"."media_status"`);
    await queryRunner.query(`DROP TYPE "public"."media_source"`);
    await queryRunner.query(`DROP TYPE "public"."storage_driver_name"`);
    await queryRunner.query(`DROP TYPE "public"."media_kind"`);
  }
}
