import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leasing a provider slot for a just-recorded task in one call: the per-provider lock, then the
 * count and the lease with a snapshot taken after the lock (each statement of a PL/pgSQL function
 * sees a fresh one), so two instances never hand out the same slot and no client round trip
 * happens while the lock is held. Without a free slot the task is made due for the engine.
 */
export class SubmissionPath1795262000000 implements MigrationInterface {
  name = 'SubmissionPath1795262000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION lease_task_slot(task uuid, owner text, lease_seconds integer, slots integer) RETURNS boolean
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        task_provider text;
      BEGIN
        SELECT provider INTO task_provider FROM generation_tasks WHERE id = task;
        IF task_provider IS NULL THEN
          RETURN false;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('task-slots:' || task_provider));
        UPDATE generation_tasks SET lease_owner = owner, lease_until = now() + make_interval(secs => lease_seconds), attempts = 1
         WHERE id = task AND status = 'pending' AND (
           SELECT count(*) FROM (
             SELECT 1 FROM generation_tasks
              WHERE provider = task_provider AND status IN ('pending', 'submitted', 'queued', 'running')
                AND (status <> 'pending' OR lease_until > now())
              LIMIT slots) taken) < slots;
        IF FOUND THEN
          RETURN true;
        END IF;
        UPDATE generation_tasks SET next_poll_at = now() WHERE id = task AND status = 'pending';
        RETURN false;
      END
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION lease_task_slot(uuid, text, integer, integer)`);
  }
}
