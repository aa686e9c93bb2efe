import { BadGatewayException, Injectable, NotFoundException } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { say } from '../../common/language.js';
import { FetchRefusedError, GuardedFetcher } from '../storage/guarded-fetcher.js';
import type { TaskPreviewState } from './dto/task.dto.js';
import { ACTIVE_STATUSES } from './generation-task.entity.js';
import { TaskViews } from './task-views.service.js';

/** A preview is a progress picture: small, and worth nothing when it takes long. */
const PREVIEW_LIMITS = { maxBytes: 20 * 1024 * 1024, allowedTypes: ['image/*'], timeoutMs: 20_000, connectTimeoutMs: 5_000 };

/**
 * A running task's preview picture, fetched from the provider's link (kept in its provider state)
 * through the guarded fetcher and streamed to the client: never stored, and the link never shown.
 */
@Injectable()
export class TaskPreviews {
  constructor(
    private readonly views: TaskViews,
    private readonly fetcher: GuardedFetcher,
  ) {}

  async send(userId: string, taskId: string, response: Response): Promise<void> {
    const task = await this.views.own(userId, taskId);
    const preview = task.providerState.preview as TaskPreviewState | undefined;
    if (!preview?.url || !ACTIVE_STATUSES.includes(task.status)) throw new NotFoundException(say('This task has no preview', '这个任务没有预览图'));
    let upstream;
    try {
      upstream = await this.fetcher.fetch(preview.url, PREVIEW_LIMITS);
    } catch (error) {
      const reason = error instanceof FetchRefusedError ? error.message : say('it could not be reached', '无法连接');
      throw new BadGatewayException(say(`The preview could not be fetched (${reason})`, `无法获取预览图（${reason}）`));
    }
    response.status(200);
    response.setHeader('Content-Type', upstream.contentType ?? 'application/octet-stream');
    if (upstream.contentLength !== null) response.setHeader('Content-Length', String(upstream.contentLength));
    // The URL carries the preview's version: one version never changes, but it is this user's only.
    response.setHeader('Cache-Control', 'private, max-age=300');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    await pipeline(upstream.body, response).catch(() => undefined);
  }
}
