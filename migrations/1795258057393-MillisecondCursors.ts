import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MillisecondCursors1795258057393 implements MigrationInterface {
  name = 'MillisecondCursors1795258057393';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_credit_ledger_user_created"`);
    await queryRunner.query(`ALTER TABLE "credit_ledger" ALTER COLUMN "created_at" TYPE TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_files_user_created"`);
    await queryRunner.query(`ALTER TABLE "media_files" ALTER COLUMN "created_at" TYPE TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_user_created"`);
    await queryRunner.query(`ALTER TABLE "generation_tasks" ALTER COLUMN "created_at" TYPE TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_credit_ledger_user_created" ON "credit_ledger"  ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "IDX_media_files_user_created" ON "media_files"  ("user_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_user_created" ON "generation_tasks"  ("user_id", "created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_generation_tasks_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_media_files_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_credit_ledger_user_created"`);
    await queryRunner.query(`ALTER TABLE "generation_tasks" ALTER COLUMN "created_at" TYPE TIMESTAMP(6) WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_generation_tasks_user_created" ON "generation_tasks"  ("user_id", "created_at", "id") `);
    await queryRunner.query(`ALTER TABLE "media_files" ALTER COLUMN "created_at" TYPE TIMESTAMP(6) WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_media_files_user_created" ON "media_files"  ("user_id", "created_at") `);
    await queryRunner.query(`ALTER TABLE "credit_ledger" ALTER COLUMN "created_at" TYPE TIMESTAMP(6) WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_credit_ledger_user_created" ON "credit_ledger"  ("user_id", "created_at", "id") `);
  }
}
