import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreditsService } from '../credits/credits.service.js';
import { type TaskErrorCode, TaskStatus } from './generation-task.entity.js';
import { notifyTaskChanged, notifyTaskSql } from './task-views.service.js';

const ACTIVE_SQL = `('pending', 'submitted', 'queued', 'running')`;
/** The compare-and-set into a terminal status: $1 the task, $2 the status, $3 the error. */
const FINISH_SQL = `UPDATE generation_tasks
    SET status = $2::task_status, error = $3, error_code = $4::task_error_code, finished_at = now(), updated_at = now(),
        progress = CASE WHEN $2::task_status = 'succeeded' THEN 100 ELSE progress END,
        queue_position = NULL, next_poll_at = NULL, lease_owner = NULL, lease_until = NULL
  WHERE id = $1 AND status IN ${ACTIVE_SQL}`;

export interface FinishOutcome {
  /** False when the task had already finished: someone else won, nothing was changed. */
  won: boolean;
  refunded: number;
}

/**
 * The only way into a terminal status: a compare-and-set from any active status. Whoever wins
 * also refunds (once: the ledger's unique index backs that up) and announces it, all in one
 * transaction.
 */
@Injectable()
export class TaskTransitions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly credits: CreditsService,
  ) {}

  async finish(
    taskId: string,
    status: TaskStatus.Succeeded | TaskStatus.Failed | TaskStatus.Canceled,
    options: { error?: string | null; code?: TaskErrorCode | null; refund: boolean; reason?: string },
  ): Promise<FinishOutcome> {
    if (!options.refund) {
      // Success (the common case): the compare-and-set and the announcement in one statement.
      const rows: Array<{ user_id: string }> = await this.dataSource.query(
        `WITH changed AS (${FINISH_SQL} RETURNING user_id, id)
         SELECT user_id, ${notifyTaskSql('id', 'user_id')} AS notified FROM changed`,
        [taskId, status, options.error ?? null, options.code ?? null],
      );
      return { won: rows.length > 0, refunded: 0 };
    }
    return this.dataSource.transaction(async (manager) => {
      const [rows]: [Array<{ user_id: string; cost: number }>, number] = await manager.query(
        `${FINISH_SQL} RETURNING user_id, cost`,
        [taskId, status, options.error ?? null, options.code ?? null],
      );
      if (rows.length === 0) return { won: false, refunded: 0 };
      let refunded = 0;
      if (options.refund && (await this.credits.refund(manager, taskId, (options.reason ?? options.error ?? `Task ${status}`).slice(0, 300)))) {
        refunded = rows[0].cost;
      }
      await notifyTaskChanged(manager, taskId, rows[0].user_id);
      return { won: true, refunded };
    });
  }
}
