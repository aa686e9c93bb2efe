import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LEASE_TASK_SLOT_FIRST } from './1795262000000-SubmissionPath.js';

/**
 * One count of a provider's slots in use, for both places that hand out slots: `lease_task_slot`
 * (a submission) and the engine's claim of waiting tasks (`TaskEngine.activeAtProvider`). Both
 * call it under the provider's lock, in a statement that starts after the lock, so its snapshot
 * sees every slot taken before. Jobs at the provider come from the index; tasks being submitted
 * are the pending ones with a live lease (but `except_task`, the one asking).
 */
export class TaskSlotsTaken1795264000000 implements MigrationInterface {
  name = 'TaskSlotsTaken1795264000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION task_slots_taken(task_provider text, slots integer, except_task uuid) RETURNS integer
      LANGUAGE sql STABLE AS $$
        SELECT (SELECT count(*) FROM (
                  SELECT 1 FROM generation_tasks WHERE provider = task_provider AND status IN ('submitted', 'queued', 'running') LIMIT slots) jobs)::integer
             + (SELECT count(*) FROM (
                  SELECT 1 FROM generation_tasks
                   WHERE provider = task_provider AND status = 'pending' AND id IS DISTINCT FROM except_task AND lease_until > now()
                   LIMIT slots) submitting)::integer
      $$`);
    await queryRunner.query(`
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
      $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(LEASE_TASK_SLOT_FIRST.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    await queryRunner.query(`DROP FUNCTION task_slots_taken(text, integer, uuid)`);
  }
}
