import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../../common/cursor.js';
import { say } from '../../common/language.js';
import { MediaFilesService } from '../storage/media-files.service.js';
import type { HistoryQueryDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { GenerationTask, TERMINAL_STATUSES } from '../scheduler/generation-task.entity.js';
import { TaskViews } from '../scheduler/task-views.service.js';

/** A user's generations across every provider: read, and delete once finished. */
@Injectable()
export class HistoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly views: TaskViews,
    private readonly mediaFiles: MediaFilesService,
  ) {}

  /** Newest first, keyset-paginated on (created_at, id), which IDX_generation_tasks_user_created serves. */
  async list(userId: string, query: HistoryQueryDto): Promise<TaskPageDto> {
    const limit = query.limit ?? 30;
    const builder = this.dataSource
      .getRepository(GenerationTask)
      .createQueryBuilder('task')
      .where('task.user_id = :userId', { userId })
      .orderBy('task.created_at', 'DESC')
      .addOrderBy('task.id', 'DESC')
      .take(limit + 1);
    if (query.source) builder.andWhere('task.provider = :source', { source: query.source });
    if (query.kind) builder.andWhere('task.kind = :kind', { kind: query.kind });
    if (query.status) builder.andWhere('task.status = :status', { status: query.status });
    if (query.cursor) builder.andWhere('(task.created_at, task.id) < (:createdAt, :id)', decodeCursor(query.cursor));
    const rows = await builder.getMany();
    const items = rows.slice(0, limit);
    return { items: await this.views.views(items), nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null };
  }

  /** Deletes a finished task and its files; a running one must be canceled first. */
  async delete(userId: string, taskId: string): Promise<void> {
    const task = await this.views.own(userId, taskId);
    if (!TERMINAL_STATUSES.includes(task.status)) {
      throw new ConflictException(say('The task is still running: cancel it first, or wait until it finishes', '任务仍在运行：请先取消，或等待它完成'));
    }
    // Its outputs, and any copy of one that failed to store, go with it.
    const files: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM media_files WHERE source_task_id = $1`, [task.id]);
    for (const { id } of files) await this.mediaFiles.delete(userId, id);
    await this.dataSource.getRepository(GenerationTask).delete({ id: task.id, userId });
  }
}
