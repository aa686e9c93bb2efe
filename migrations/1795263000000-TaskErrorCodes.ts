import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Why a task failed, as a code clients word in their own language; `error` keeps the provider's words. */
export class TaskErrorCodes1795263000000 implements MigrationInterface {
  name = 'TaskErrorCodes1795263000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TYPE "public"."task_error_code" AS ENUM('rejected', 'refused', 'content_flagged', 'failed', 'no_output', 'not_started', 'timed_out', 'storage')`,
    );
    await queryRunner.query(`ALTER TABLE "generation_tasks" ADD "error_code" "public"."task_error_code"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "generation_tasks" DROP COLUMN "error_code"`);
    await queryRunner.query(`DROP TYPE "public"."task_error_code"`);
  }
}
