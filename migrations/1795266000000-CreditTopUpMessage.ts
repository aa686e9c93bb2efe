import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How users get credits, in the administrator's words: shown where a balance runs out. */
export class CreditTopUpMessage1795266000000 implements MigrationInterface {
  name = 'CreditTopUpMessage1795266000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "credit_settings" ADD "top_up_message" character varying(500)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "credit_settings" DROP COLUMN "top_up_message"`);
  }
}
