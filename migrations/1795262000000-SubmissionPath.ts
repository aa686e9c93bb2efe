import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first version of the function, kept for `TaskSlotsTaken`'s revert. */
export const LEASE_TASK_SLOT_FIRST = `
      CREATE FUNCTION lease_task_slot(task uuid, owner text, lease_seconds integer, slots integer) RETURNS boolean
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        task_provider text;
        taken integer;
      BEGIN
        SELECT provider INTO task_provider FROM generation_tasks WHERE id = task AND lease_owner = owner AND status = 'pending';
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('task-slots:' || task_provider));
        -- Jobs at the provider, counted from the index alone (this runs for every submission),
        -- then the few tasks other instances are submitting right now.
        SELECT count(*) INTO taken FROM (
          SELECT 1 FROM generation_tasks WHERE provider = task_provider AND status IN ('submitted', 'queued', 'running') LIMIT slots) jobs;
        IF taken < slots THEN
          SELECT taken + count(*) INTO taken FROM (
            SELECT 1 FROM generation_tasks
             WHERE provider = task_provider AND status = 'pending' AND id <> task AND lease_until > now() LIMIT slots) submitting;
        END IF;
        IF taken < slots THEN
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
 * Leasing a provider slot for a just-recorded task in one call. The task is recorded already leased
 * by the submitting instance (so the engine leaves it alone even if this call comes late); here,
 * under the per-provider lock, the other slots in use are counted with a snapshot taken after the
 * lock (each statement of a PL/pgSQL function sees a fresh one), so two instances never hand out
 * the same slot and no client round trip happens while the lock is held. Without a free slot the
 * lease is given up and the task is due for the engine, which starts it when a slot frees.
 */
export class SubmissionPath1795262000000 implements MigrationInterface {
  name = 'SubmissionPath1795262000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(LEASE_TASK_SLOT_FIRST);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION lease_task_slot(uuid, text, integer, integer)`);
  }
}
