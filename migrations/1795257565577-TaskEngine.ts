import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TaskEngine1795257565577 implements MigrationInterface {
  name = 'TaskEngine1795257565577';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE "public"."task_status" AS ENUM('pending', 'submitted', 'queued', 'running', 'succeeded', 'failed', 'canceled')`);
    await queryRunner.query(`CREATE TABLE "generation_tasks" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "provider" character varying(32) NOT NULL, "model" character varying(120) NOT NULL, "kind" "public"."media_kind" NOT NULL, "action" character varying(40) NOT NULL, "status" "public"."task_status" NOT NULL DEFAULT 'pending', "progress" smallint NOT NULL DEFAULT '0', "queue_position" integer, "prompt" text, "input" jsonb NOT NULL, "provider_state" jsonb NOT NULL DEFAULT '{}', "error" text, "cost" integer NOT NULL, "next_poll_at" TIMESTAMP WITH TIME ZONE, "deadline_at" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "lease_owner" character varying(100), "lease_until" TIMESTAMP WITH TIME ZONE, "submitted_at" TIMESTAMP WITH TIME ZONE, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7049a47999be5f4c483b8f943c1" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_provider_active" ON "generation_tasks"  ("provider", "status") WHERE "status" IN ('pending', 'submitted', 'queued', 'running')`);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_deadline" ON "generation_tasks"  ("deadline_at") WHERE "status" IN ('pending', 'submitted', 'queued', 'running')`);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_due" ON "generation_tasks"  ("next_poll_at") WHERE "status" IN ('pending', 'submitted', 'queued', 'running')`);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_user_created" ON "generation_tasks"  ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE TABLE "model_prices" ("provider" character varying(32) NOT NULL, "model" character varying(120) NOT NULL, "price" integer NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fb64ec626a3982412ae112c2cfe" PRIMARY KEY ("provider", "model"))`);
    await queryRunner.query(`ALTER TABLE "media_files" ADD "output_index" integer`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_media_files_task_output" ON "media_files"  ("source_task_id", "output_index") `);
    await queryRunner.query(`ALTER TABLE "generation_tasks" ADD CONSTRAINT "FK_generation_tasks_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "generation_tasks" DROP CONSTRAINT "FK_generation_tasks_user_id"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_media_files_task_output"`);
    await queryRunner.query(`ALTER TABLE "media_files" DROP COLUMN "output_index"`);
    await queryRunner.query(`DROP TABLE "model_prices"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_due"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_deadline"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_provider_active"`);
    await queryRunner.query(`DROP TABLE "generation_tasks"`);
    await queryRunner.query(`DROP TYPE "public"."task_status"`);
  }
}
