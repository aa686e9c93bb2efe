import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The language of the request that made a task: what the engine says about it later (a provider's
 * refusal, a failure), away from any request, is worded in it. Earlier tasks are English.
 */
export class TaskLanguage1796396247569 implements MigrationInterface {
  name = 'TaskLanguage1796396247569';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "generation_tasks" ADD "language" character varying(8) NOT NULL DEFAULT 'en'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "generation_tasks" DROP COLUMN "language"`);
  }
}
