import { Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, IsNull, Not } from 'typeorm';
import { say } from '../../common/language.js';
import { CreditsService } from '../credits/credits.service.js';
import type { LedgerTaskFacts } from '../credits/dto/credits.dto.js';
import { MediaFile, MediaStatus } from '../storage/media-file.entity.js';
import { mapTask, type TaskDto } from './dto/task.dto.js';
import { GenerationTask, TaskStatus } from './generation-task.entity.js';
import type { TaskAction } from './provider-adapter.js';
import { ProviderRegistry } from './provider-registry.js';

export const TASK_EVENTS_CHANNEL = 'task_events';

/**
 * The SQL expression that tells every instance a task changed (delivered when the transaction
 * commits), for statements that change a task and announce it at once: `taskId` and `userId` are
 * SQL expressions (columns or parameters).
 */
export function notifyTaskSql(taskId: string, userId: string): string {
  return `pg_notify('${TASK_EVENTS_CHANNEL}', json_build_object('taskId', ${taskId}, 'userId', ${userId})::text)`;
}

/** Tells every instance that a task changed; delivered when the transaction commits. */
export async function notifyTaskChanged(manager: EntityManager, taskId: string, userId: string): Promise<void> {
  await manager.query(`SELECT ${notifyTaskSql('$1::uuid', '$2::uuid')}`, [taskId, userId]);
}

/** Tasks as clients see them: with their stored outputs, never the provider's state. */
@Injectable()
export class TaskViews implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly credits: CreditsService,
  ) {}

  onModuleInit(): void {
    // The ledger names a charge's model and words a refund's reason from the task's error code.
    this.credits.describeTasksWith((taskIds) => this.ledgerFacts(taskIds));
  }

  private async ledgerFacts(taskIds: string[]): Promise<Map<string, LedgerTaskFacts>> {
    const tasks = await this.dataSource.getRepository(GenerationTask).find({ where: { id: In(taskIds) }, select: { id: true, provider: true, model: true, errorCode: true } });
    return new Map(
      tasks.map((task) => [task.id, { provider: task.provider, model: task.model, modelName: this.registry.modelName(task.provider, task.model), errorCode: task.errorCode }]),
    );
  }

  async outputs(taskIds: string[]): Promise<Map<string, MediaFile[]>> {
    const byTask = new Map<string, MediaFile[]>(taskIds.map((id) => [id, []]));
    if (taskIds.length === 0) return byTask;
    const files = await this.dataSource.getRepository(MediaFile).find({
      // Pending ones too: with auto-upload off they stay at the provider's link until migrated.
      where: { sourceTaskId: In(taskIds), outputIndex: Not(IsNull()), status: In([MediaStatus.Stored, MediaStatus.Pending]) },
      order: { outputIndex: 'ASC' },
    });
    for (const file of files) byTask.get(file.sourceTaskId!)?.push(file);
    return byTask;
  }

  /** Each task's children (tasks made from it), oldest first; served by IDX_generation_tasks_parent. */
  async children(taskIds: string[]): Promise<Map<string, string[]>> {
    const byParent = new Map<string, string[]>(taskIds.map((id) => [id, []]));
    if (taskIds.length === 0) return byParent;
    const rows: Array<{ id: string; parent_task_id: string }> = await this.dataSource.query(
      `SELECT id, parent_task_id FROM generation_tasks WHERE parent_task_id = ANY($1::uuid[]) ORDER BY created_at, id`,
      [taskIds],
    );
    for (const row of rows) byParent.get(row.parent_task_id)?.push(row.id);
    return byParent;
  }

  /** The actions a succeeded task offers now, from its provider's adapter (none when it has no such notion). */
  actions(task: GenerationTask): TaskAction[] {
    if (task.status !== TaskStatus.Succeeded) return [];
    const adapter = this.registry.find(task.provider);
    if (!adapter?.actions) return [];
    return adapter.actions({
      id: task.id,
      userId: task.userId,
      model: task.model,
      action: task.action,
      input: task.input,
      providerState: task.providerState,
      attempts: task.attempts,
      parentTaskId: task.parentTaskId,
    });
  }

  async views(tasks: GenerationTask[]): Promise<TaskDto[]> {
    const ids = tasks.map((task) => task.id);
    const ended = tasks.filter((task) => task.status === TaskStatus.Failed || task.status === TaskStatus.Canceled).map((task) => task.id);
    const [outputs, refunds, children] = await Promise.all([
      this.outputs(ids),
      ended.length
        ? this.dataSource.query(`SELECT task_id FROM credit_ledger WHERE kind = 'refund' AND task_id = ANY($1::uuid[])`, [ended])
        : Promise.resolve([]),
      this.children(ids),
    ]);
    const refunded = new Set((refunds as Array<{ task_id: string }>).map((row) => row.task_id));
    return tasks.map((task) =>
      mapTask(task, {
        // A pending output of an active task is being copied in: shown once it is ours.
        outputs: (outputs.get(task.id) ?? []).filter((file) => file.status === MediaStatus.Stored || task.status === TaskStatus.Succeeded),
        modelName: this.registry.modelName(task.provider, task.model),
        refunded: refunded.has(task.id),
        childTaskIds: children.get(task.id) ?? [],
        actions: this.actions(task),
      }),
    );
  }

  /** A task just recorded or submitted: nothing stored, nothing refunded yet. */
  fresh(task: GenerationTask): TaskDto {
    return mapTask(task, { outputs: [], modelName: this.registry.modelName(task.provider, task.model), refunded: false });
  }

  /** The caller's task; anyone else's is "not found", like one that does not exist. */
  async own(userId: string, taskId: string): Promise<GenerationTask> {
    const task = await this.dataSource.getRepository(GenerationTask).findOneBy({ id: taskId, userId });
    if (!task) throw new NotFoundException(say('Task not found', '任务不存在'));
    return task;
  }

  async view(userId: string, taskId: string): Promise<TaskDto> {
    const [view] = await this.views([await this.own(userId, taskId)]);
    return view;
  }
}
