import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `lease_task_slot` as TaskSlotsTaken left it, for the revert. */
const LEASE_TASK_SLOT_BEFORE = `
      CREATE OR REPLACE FUNCTION lease_task_slot(task uuid, owner text, lease_seconds integer, slots integer) RETURNS boolean
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        task_provider text;
      BEGIN
        SELECT provider INTO task_provider FROM generation_tasks WHERE id = task AND lease_owner = owner AND status = 'pending';
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('task-slots:' || task_provider));
        IF task_slots_taken(task_provider, slots, task) < slots THEN
          UPDATE generation_tasks SET lease_until = now() + make_interval(secs => lease_seconds), attempts = 1
           WHERE id = task AND lease_owner = owner AND status = 'pending';
          RETURN FOUND;
        END IF;
        UPDATE generation_tasks SET lease_owner = NULL, lease_until = NULL, next_poll_at = now()
         WHERE id = task AND lease_owner = owner AND status = 'pending';
        RETURN false;
      END
      $$`;

/**
 * A provider may refuse every new job for a while (Volcengine's 50430: the account's concurrent
 * jobs are used up). The engine then records a hold, seen by every instance: a new task waits,
 * pending, until the hold ends (`lease_task_slot` gives no slot meanwhile), and so do the waiting
 * ones (their `next_poll_at` is pushed to its end).
 */
export class ProviderHolds1796396247568 implements MigrationInterface {
  name = 'ProviderHolds1796396247568';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "provider_holds" ("provider" character varying(32) NOT NULL, "held_until" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_provider_holds" PRIMARY KEY ("provider"))`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION lease_task_slot(task uuid, owner text, lease_seconds integer, slots integer) RETURNS boolean
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        task_provider text;
        held timestamptz;
      BEGIN
        SELECT provider INTO task_provider FROM generation_tasks WHERE id = task AND lease_owner = owner AND status = 'pending';
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        SELECT held_until INTO held FROM provider_holds WHERE provider = task_provider AND held_until > now();
        IF FOUND THEN
          -- The provider takes no new job until then: the task waits, pending, and falls due when the hold ends.
          UPDATE generation_tasks SET lease_owner = NULL, lease_until = NULL, next_poll_at = held
           WHERE id = task AND lease_owner = owner AND status = 'pending';
          RETURN false;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('task-slots:' || task_provider));
        IF task_slots_taken(task_provider, slots, task) < slots THEN
          UPDATE generation_tasks SET lease_until = now() + make_interval(secs => lease_seconds), attempts = 1
           WHERE id = task AND lease_owner = owner AND status = 'pending';
          RETURN FOUND;
        END IF;
        UPDATE generation_tasks SET lease_owner = NULL, lease_until = NULL, next_poll_at = now()
         WHERE id = task AND lease_owner = owner AND status = 'pending';
        RETURN false;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(LEASE_TASK_SLOT_BEFORE);
    await queryRunner.query(`DROP TABLE "provider_holds"`);
  }
}
