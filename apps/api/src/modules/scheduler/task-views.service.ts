import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, IsNull, Not } from 'typeorm';
import { MediaFile, MediaStatus } from '../storage/media-file.entity.js';
import { mapTask, type TaskDto } from './dto/task.dto.js';
import { GenerationTask, TaskStatus } from './generation-task.entity.js';

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
export class TaskViews {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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

  async views(tasks: GenerationTask[]): Promise<TaskDto[]> {
    const outputs = await this.outputs(tasks.map((task) => task.id));
    // A pending output of an active task is being copied in: shown once it is ours.
    return tasks.map((task) =>
      mapTask(task, (outputs.get(task.id) ?? []).filter((file) => file.status === MediaStatus.Stored || task.status === TaskStatus.Succeeded)),
    );
  }

  /** The caller's task; anyone else's is "not found", like one that does not exist. */
  async own(userId: string, taskId: string): Promise<GenerationTask> {
    const task = await this.dataSource.getRepository(GenerationTask).findOneBy({ id: taskId, userId });
    if (!task) throw new NotFoundException('Task not found');
    return task;
  }

  async view(userId: string, taskId: string): Promise<TaskDto> {
    const [view] = await this.views([await this.own(userId, taskId)]);
    return view;
  }
}
