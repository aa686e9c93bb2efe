import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TaskFamilies1796396247564 implements MigrationInterface {
  name = 'TaskFamilies1796396247564';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "generation_tasks" ADD "parent_task_id" uuid`);
    await queryRunner.query(`ALTER TABLE "generation_tasks" ADD "result" jsonb`);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_parent" ON "generation_tasks"  ("parent_task_id") WHERE "parent_task_id" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "generation_tasks" ADD CONSTRAINT "FK_generation_tasks_parent_task_id" FOREIGN KEY ("parent_task_id") REFERENCES "generation_tasks"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "generation_tasks" DROP CONSTRAINT "FK_generation_tasks_parent_task_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_parent"`);
    await queryRunner.query(`ALTER TABLE "generation_tasks" DROP COLUMN "result"`);
    await queryRunner.query(`ALTER TABLE "generation_tasks" DROP COLUMN "parent_task_id"`);
  }
}
