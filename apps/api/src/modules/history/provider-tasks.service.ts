import { Injectable, NotFoundException } from '@nestjs/common';
import { say } from '../../common/language.js';
import type { CancelResultDto, HistoryQueryDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import type { GenerationTask } from '../scheduler/generation-task.entity.js';
import { TaskViews } from '../scheduler/task-views.service.js';
import { TasksService } from '../scheduler/tasks.service.js';
import { HistoryService } from './history.service.js';

/**
 * The task routes every provider module has (`task/{id}`, its cancel, `history`), limited to that
 * provider's tasks: another user's task, or one of another provider, is a 404 like a missing one.
 */
@Injectable()
export class ProviderTasks {
  constructor(
    private readonly views: TaskViews,
    private readonly tasks: TasksService,
    private readonly history: HistoryService,
  ) {}

  async own(provider: string, userId: string, taskId: string): Promise<GenerationTask> {
    const task = await this.views.own(userId, taskId);
    if (task.provider !== provider) throw new NotFoundException(say('Task not found', '任务不存在'));
    return task;
  }

  async view(provider: string, userId: string, taskId: string): Promise<TaskDto> {
    const [view] = await this.views.views([await this.own(provider, userId, taskId)]);
    return view;
  }

  /** The engine's cancel (refunded before submission; the adapter's rules after). */
  async cancel(provider: string, userId: string, taskId: string, acceptLoss = false): Promise<CancelResultDto> {
    await this.own(provider, userId, taskId);
    return this.tasks.cancel(userId, taskId, acceptLoss);
  }

  list(provider: string, userId: string, query: Omit<HistoryQueryDto, 'source'>): Promise<TaskPageDto> {
    return this.history.list(userId, { ...query, source: provider });
  }
}
