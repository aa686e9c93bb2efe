import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Credits1795254758598 implements MigrationInterface {
  name = 'Credits1795254758598';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "credit_accounts" ("user_id" uuid NOT NULL, "balance" integer NOT NULL DEFAULT '0', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_credit_accounts_balance_not_negative" CHECK ("balance" >= 0), CONSTRAINT "PK_e9e4079e4a9bc1ddeb3452b7f69" PRIMARY KEY ("user_id"))`);
    await queryRunner.query(`CREATE TYPE "public"."credit_entry_kind" AS ENUM('grant', 'charge', 'refund', 'adjust')`);
    await queryRunner.query(`CREATE TABLE "credit_ledger" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "delta" integer NOT NULL, "balance_after" integer NOT NULL, "kind" "public"."credit_entry_kind" NOT NULL, "task_id" uuid, "reason" character varying(300) NOT NULL, "actor_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7ff08f655cf2f4d118c116571db" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_credit_ledger_task_refund" ON "credit_ledger"  ("task_id") WHERE "kind" = 'refund'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_credit_ledger_task_charge" ON "credit_ledger"  ("task_id") WHERE "kind" = 'charge'`);
    await queryRunner.query(`CREATE INDEX "IDX_credit_ledger_user_created" ON "credit_ledger"  ("user_id", "created_at", "id") `);
    await queryRunner.query(`CREATE TABLE "credit_settings" ("id" smallint NOT NULL DEFAULT '1', "signup_grant" integer NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_credit_settings_single_row" CHECK ("id" = 1), CONSTRAINT "PK_0ec93f35dc7f2b62fa8eeeaa60f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`ALTER TABLE "credit_accounts" ADD CONSTRAINT "FK_credit_accounts_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Users created before credits existed get an empty account.
    await queryRunner.query(`INSERT INTO "credit_accounts" ("user_id", "balance") SELECT "id", 0 FROM "users" ON CONFLICT DO NOTHING`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "credit_accounts" DROP CONSTRAINT "FK_credit_accounts_user_id"`);
    await queryRunner.query(`DROP TABLE "credit_settings"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_credit_ledger_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_credit_ledger_task_charge"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_credit_ledger_task_refund"`);
    await queryRunner.query(`DROP TABLE "credit_ledger"`);
    await queryRunner.query(`DROP TYPE "public"."credit_entry_kind"`);
    await queryRunner.query(`DROP TABLE "credit_accounts"`);
  }
}
