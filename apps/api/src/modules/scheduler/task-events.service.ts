import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import pg from 'pg';
import { DataSource, type FindOptionsWhere, In, MoreThanOrEqual } from 'typeorm';
import { deriveSecret } from '../../common/app-secret.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { isUUID } from 'class-validator';
import { USER_SESSIONS_CHANNEL } from '../auth-sms/sessions.js';
import { User, UserStatus } from '../auth-sms/user.entity.js';
import type { TaskDto, TaskEventsTokenDto } from './dto/task.dto.js';
import { ACTIVE_STATUSES, GenerationTask } from './generation-task.entity.js';
import { TASK_EVENTS_CHANNEL, TaskViews } from './task-views.service.js';

const TOKEN_TTL_SECONDS = 60;
const HEARTBEAT_MS = 15_000;
/** Replays start this much before the last event a client saw: transactions commit out of order. */
const REPLAY_MARGIN_MS = 5_000;
const REPLAY_LIMIT = 500;
/**
 * A fresh stream also carries the tasks that changed this long ago or less: a page may have read a
 * task just before it ended, and the end's event before the stream was open would be lost.
 */
const FRESH_STREAM_RECENT_MS = 60_000;

interface Subscriber {
  userId: string;
  /** The user's session epoch the stream was opened in: a password change or disabling ends it. */
  sessionEpoch: number;
  response: Response;
  /** The newest event id sent: the task's updated_at in milliseconds. */
  lastEventId: number;
}

/**
 * Live task changes. Every change is announced with NOTIFY inside its transaction; each instance
 * LISTENs on its own connection and forwards a user's own tasks to that user's open streams.
 * Event ids are the task's update time, so a reconnecting client (Last-Event-ID, or `since`)
 * gets every task that changed meanwhile, final states included.
 */
@Injectable()
export class TaskEventsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TaskEventsService.name);
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private listener: pg.Client | null = null;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly tokenKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly views: TaskViews,
  ) {
    this.tokenKey = deriveSecret(config.appSecret, 'task-events');
  }

  async onModuleInit(): Promise<void> {
    if (!this.dataSource.isInitialized) return;
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.response.end();
    this.subscribers.clear();
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const { url } = this.dataSource.options as { url?: string };
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (message) =>
      void (message.channel === USER_SESSIONS_CHANNEL ? this.onSessionsEnded(message.payload) : this.onNotification(message.payload)),
    );
    client.on('error', (error) => this.logger.warn(`Task events connection lost: ${error.message}`));
    client.on('end', () => {
      if (this.listener === client) this.listener = null;
      if (!this.closing) this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${TASK_EVENTS_CHANNEL}`);
    await client.query(`LISTEN ${USER_SESSIONS_CHANNEL}`);
    this.listener = client;
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listen()
        .then(() => this.replayAll())
        .catch((error) => {
          this.logger.warn(`Task events: reconnecting failed: ${(error as Error).message}`);
          this.scheduleReconnect();
        });
    }, 1000);
    this.reconnectTimer.unref();
  }

  /** After the listener was down, every stream catches up on what it may have missed (and ends if its session did). */
  private async replayAll(): Promise<void> {
    for (const userId of [...this.subscribers.keys()]) await this.onSessionsEnded(userId);
    for (const set of this.subscribers.values()) for (const subscriber of set) await this.replay(subscriber, subscriber.lastEventId);
  }

  /** The token signs the user's session epoch too (without carrying it): a stream outlives no session. */
  private sign(userId: string, expires: string, sessionEpoch: number): Buffer {
    return createHmac('sha256', this.tokenKey).update(`${userId}.${expires}.${sessionEpoch}`).digest();
  }

  createToken(user: Pick<User, 'id' | 'sessionEpoch'>): TaskEventsTokenDto {
    const expires = String(Date.now() + TOKEN_TTL_SECONDS * 1000);
    const signature = this.sign(user.id, expires, user.sessionEpoch).toString('base64url');
    return { token: `${user.id}.${expires}.${signature}`, expiresIn: TOKEN_TTL_SECONDS };
  }

  private async verifyToken(token: string): Promise<{ userId: string; sessionEpoch: number }> {
    const invalid = () => new UnauthorizedException('The event stream token is invalid or expired: get a new one from POST /api/v1/tasks/events/token');
    const [userId, expires, signature] = token.split('.');
    if (!isUUID(userId) || !(Number(expires) > Date.now())) throw invalid();
    const user = await this.dataSource.getRepository(User).findOneBy({ id: userId });
    if (!user || user.status !== UserStatus.Active) throw new UnauthorizedException('This account cannot sign in');
    const expected = this.sign(userId, expires, user.sessionEpoch);
    const given = Buffer.from(signature ?? '', 'base64url');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    return { userId, sessionEpoch: user.sessionEpoch };
  }

  /**
   * A user's sessions ended (password changed, account disabled): their open streams, which carry
   * media URLs, close. A stream of the session that changed the password reopens with a new token.
   */
  private async onSessionsEnded(userId: string | undefined): Promise<void> {
    try {
      const set = userId ? this.subscribers.get(userId) : undefined;
      if (!set?.size) return;
      const user = await this.dataSource.getRepository(User).findOneBy({ id: userId });
      for (const subscriber of set) {
        if (user?.status === UserStatus.Active && user.sessionEpoch === subscriber.sessionEpoch) continue;
        set.delete(subscriber);
        subscriber.response.end();
      }
      if (set.size === 0 && this.subscribers.get(userId!) === set) this.subscribers.delete(userId!);
    } catch (error) {
      this.logger.warn(`Ended sessions not applied to event streams: ${(error as Error).message}`);
    }
  }

  /** Opens a Server-Sent Events stream of the token holder's task changes. */
  async open(token: string, since: string | undefined, request: Request, response: Response): Promise<void> {
    const { userId, sessionEpoch } = await this.verifyToken(token);
    response.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies such as nginx would otherwise hold events back.
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();
    response.write('retry: 3000\n\n');
    const subscriber: Subscriber = { userId, sessionEpoch, response, lastEventId: 0 };
    let set = this.subscribers.get(userId);
    if (!set) this.subscribers.set(userId, (set = new Set()));
    set.add(subscriber);
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const cleanUp = () => {
      clearInterval(heartbeat);
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(userId) === set) this.subscribers.delete(userId);
    };
    // The client leaves, or the server ends the stream (its session ended).
    request.on('close', cleanUp);
    response.on('close', cleanUp);
    const resumeFrom = since !== undefined && /^\d{1,16}$/.test(since) ? Number(since) : null;
    if (resumeFrom !== null) await this.replay(subscriber, resumeFrom);
    else await this.sendActive(subscriber);
  }

  private replay(subscriber: Subscriber, from: number): Promise<void> {
    return this.sendTasks(subscriber, [{ updatedAt: MoreThanOrEqual(new Date(from - REPLAY_MARGIN_MS)) }]);
  }

  /** A fresh stream starts with the state of every unfinished task, and of those that just changed. */
  private sendActive(subscriber: Subscriber): Promise<void> {
    return this.sendTasks(subscriber, [{ status: In([...ACTIVE_STATUSES]) }, { updatedAt: MoreThanOrEqual(new Date(Date.now() - FRESH_STREAM_RECENT_MS)) }]);
  }

  private async sendTasks(subscriber: Subscriber, anyOf: Array<FindOptionsWhere<GenerationTask>>): Promise<void> {
    const tasks = await this.dataSource.getRepository(GenerationTask).find({
      where: anyOf.map((where) => ({ ...where, userId: subscriber.userId })),
      order: { updatedAt: 'ASC' },
      take: REPLAY_LIMIT,
    });
    for (const view of await this.views.views(tasks)) this.send(subscriber, view);
  }

  private send(subscriber: Subscriber, view: TaskDto): void {
    const id = Date.parse(view.updatedAt);
    subscriber.lastEventId = Math.max(subscriber.lastEventId, id);
    subscriber.response.write(`id: ${subscriber.lastEventId}\nevent: task\ndata: ${JSON.stringify(view)}\n\n`);
  }

  private async onNotification(payload: string | undefined): Promise<void> {
    try {
      const { taskId, userId } = JSON.parse(payload ?? '{}') as { taskId?: string; userId?: string };
      const set = userId ? this.subscribers.get(userId) : undefined;
      if (!set?.size || !taskId) return;
      const task = await this.dataSource.getRepository(GenerationTask).findOneBy({ id: taskId, userId });
      if (!task) return;
      const [view] = await this.views.views([task]);
      for (const subscriber of set) this.send(subscriber, view);
    } catch (error) {
      this.logger.warn(`Task event not forwarded: ${(error as Error).message}`);
    }
  }
}
