import { BadGatewayException, BadRequestException, ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { CodedHttpException, FieldValidationException } from '../../common/errors.js';
import { hydrate } from '../../common/hydrate.js';
import { requestLanguage, say } from '../../common/language.js';
import { columnList, PreparedStatement } from '../../database/prepared-statement.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { CreditsService } from '../credits/credits.service.js';
import type { MediaKind } from '../storage/media-file.entity.js';
import { type CancelResultDto, type TaskDto } from './dto/task.dto.js';
import { ACTIVE_STATUSES, GenerationTask, TaskStatus } from './generation-task.entity.js';
import { DEFAULT_DEADLINE_SECONDS, type ProviderAdapter, ProviderError, type ProviderLimits } from './provider-adapter.js';
import { ProviderRegistry } from './provider-registry.js';
import { PricesService } from './prices.service.js';
import { adapterView, TaskEngine } from './task-engine.service.js';
import { TaskTransitions } from './task-transitions.service.js';
import { notifyTaskSql, TaskViews } from './task-views.service.js';

/**
 * Records a task leased by its instance, charges its price with the ledger row and announces it,
 * in one statement: nothing is recorded when the balance is too low.
 */
const RECORD_TASK = new PreparedStatement('record-task', (dataSource) =>
  `WITH ${CreditsService.chargeInStatement({ user: '$2', amount: '$9', task: '$1', reason: '$12' })},
   task AS (
     INSERT INTO generation_tasks (id, user_id, provider, model, kind, action, prompt, input, cost, deadline_at, next_poll_at, lease_owner, lease_until, parent_task_id, language)
     SELECT $1, $2, $3, $4, $5::media_kind, $6, $7, $8::jsonb, $9,
            now() + make_interval(secs => $10::integer), now(), $13, now() + make_interval(secs => $11::integer), $14::uuid, $15
      WHERE $9::integer = 0 OR EXISTS (SELECT 1 FROM charge)
     RETURNING ${columnList(dataSource, GenerationTask)})
   SELECT ${columnList(dataSource, GenerationTask, 'task')}, ${notifyTaskSql('task.id', 'task.user_id')} AS notified
     FROM task`,
);

/** 409 for a task that has ended: there is nothing left to cancel. */
function refuseEnded(task: GenerationTask): void {
  if (task.status === TaskStatus.Canceled) throw new ConflictException(say('The task has already been canceled', '任务已经取消了'));
  if (task.status === TaskStatus.Succeeded) throw new ConflictException(say('The task has already succeeded', '任务已经完成了'));
  if (task.status === TaskStatus.Failed) throw new ConflictException(say('The task has already failed', '任务已经失败了'));
}

/**
 * 409 `cancel_not_refunded` for a task the provider has started: it bills it whether or not it is
 * stopped, so the task keeps running unless the caller accepts the loss.
 */
function refuseUnrefunded(task: GenerationTask, providerName: string): never {
  throw new CodedHttpException(
    409,
    say(
      `The task has started at ${providerName}; canceling it will not refund its ${task.cost} credits. It keeps running; send { "acceptLoss": true } to cancel it anyway`,
      `任务已在 ${providerName} 开始；现在取消不会退还 ${task.cost} 积分。任务继续运行；如仍要取消，请带上 { "acceptLoss": true }`,
    ),
    'cancel_not_refunded',
  );
}

/** What a provider module asks the engine to run, after validating it with its own DTO. */
export interface TaskRequest {
  provider: string;
  model: string;
  kind: MediaKind;
  action: string;
  prompt: string | null;
  input: Record<string, unknown>;
  /** How many times the model's price is charged, e.g. the number of images asked for. */
  units?: number;
  /** The task this one is made from (the provider module checked it is the user's own). */
  parentTaskId?: string | null;
}

/** Submission, cancellation and webhooks: the task engine's doors for requests. */
@Injectable()
export class TasksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly prices: PricesService,
    private readonly credits: CreditsService,
    private readonly engine: TaskEngine,
    private readonly transitions: TaskTransitions,
    private readonly views: TaskViews,
  ) {}

  /** Cancels in progress in this instance, by task: parallel cancels of one task wait for the first. */
  private readonly cancelsInFlight = new Map<string, Promise<unknown>>();

  /**
   * Records the task, reserves its price and announces it in one statement (402 leaves nothing
   * behind), then submits it at once when the provider has a free slot; otherwise it waits,
   * pending, for one. A refusal fails the task, refunds it and answers 400 (the request) or 502
   * (the provider). The hot path of the API: four round trips to the database, none of them
   * while a lock is held by this process.
   */
  async submit(userId: string, request: TaskRequest): Promise<TaskDto> {
    const adapter = this.registry.get(request.provider);
    const limits = await this.usableLimits(adapter);
    const price = (await this.prices.priceFor(request.provider, request.model)) * (request.units ?? 1);
    const id = randomUUID();
    const deadlineSeconds = limits.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS[request.kind];
    // Recorded leased by this instance: the engine leaves it alone while it is submitted here (and
    // takes it over if this instance dies before it is).
    const rows = await RECORD_TASK.rows(this.dataSource, [
      id,
      userId,
      request.provider,
      request.model,
      request.kind,
      request.action,
      request.prompt,
      JSON.stringify(request.input),
      price,
      deadlineSeconds,
      this.config.tasks.leaseSeconds,
      `${adapter.displayName} · ${request.model}`,
      this.engine.owner,
      request.parentTaskId ?? null,
      requestLanguage(),
    ]);
    if (rows.length === 0) return this.credits.notEnough(userId, price);
    const task = hydrate(this.dataSource, GenerationTask, rows[0]);
    if (!(await this.engine.leaseSlot(task, limits.maxConcurrentTasks))) {
      // Waits, pending, for a slot (or the engine has taken it over already).
      this.engine.kick();
      return this.views.fresh(task);
    }
    const { refusal, task: submitted } = await this.engine.process(task);
    if (refusal) this.raiseRefusal(adapter.displayName, refusal, price);
    // A task just handed to the provider has no outputs yet; one that already ended is read again.
    return submitted ? this.views.fresh(submitted) : this.views.view(userId, id);
  }

  /**
   * Answers 503 (provider turned off) or 402 (too few credits) before a request does costly work
   * for a submission that could not go through, such as copying in its input images. It reserves
   * nothing: `submit` charges, atomically.
   */
  async checkCanSubmit(userId: string, provider: string, model: string, units = 1): Promise<void> {
    await this.usableLimits(this.registry.get(provider));
    const price = (await this.prices.priceFor(provider, model)) * units;
    if (price > 0) await this.credits.ensureCovers(userId, price);
  }

  /** The provider's limits, or 503 with its reason when it takes no new tasks. */
  private async usableLimits(adapter: ProviderAdapter): Promise<ProviderLimits> {
    const limits = await adapter.limits();
    if (!limits.enabled) {
      throw new ServiceUnavailableException(limits.unavailable ?? say(`${adapter.displayName} is turned off by the administrator`, `${adapter.displayName} 已被管理员关闭`));
    }
    return limits;
  }

  /** The failure of a submission, as the API's answer: the provider's reason, refunded already. */
  private raiseRefusal(providerName: string, refusal: ProviderError, price: number): never {
    const refunded = price > 0 ? say(` (the ${price} credits were refunded)`, `（已退还 ${price} 积分）`) : '';
    if (refusal.kind === 'rejected') {
      const fields = refusal.options.fields;
      if (fields?.length) throw new FieldValidationException(fields.map((f) => ({ ...f, messages: f.messages.map((m) => `${m}${refunded}`) })));
      throw new BadRequestException(say(`${providerName} rejected the request: ${refusal.message}${refunded}`, `${providerName} 拒绝了请求：${refusal.message}${refunded}`));
    }
    throw new BadGatewayException(say(`${providerName} refused the request: ${refusal.message}${refunded}`, `${providerName} 拒绝了请求：${refusal.message}${refunded}`));
  }

  /**
   * Cancels a task. One the provider has started is billed by it: unless `acceptLoss`, it is left
   * running with a 409 `cancel_not_refunded`, decided before the provider is asked to stop it
   * (from our record, or by the adapter when it can tell).
   *
   * Parallel cancels of one task (a double click, a retrying client) go one at a
   * time: the provider cannot tell a job canceled a moment ago from one that finished, so a second
   * cancel sent alongside the first would hear "too late" while the task ends canceled. The ones
   * that waited then find the task ended and say so ("already canceled").
   */
  async cancel(userId: string, taskId: string, acceptLoss = false): Promise<CancelResultDto> {
    for (let inFlight = this.cancelsInFlight.get(taskId); inFlight; inFlight = this.cancelsInFlight.get(taskId)) {
      await inFlight.catch(() => undefined);
    }
    const attempt = this.cancelOnce(userId, taskId, acceptLoss);
    const settled = attempt.catch(() => undefined);
    this.cancelsInFlight.set(taskId, settled);
    try {
      return await attempt;
    } finally {
      if (this.cancelsInFlight.get(taskId) === settled) this.cancelsInFlight.delete(taskId);
    }
  }

  private async cancelOnce(userId: string, taskId: string, acceptLoss: boolean): Promise<CancelResultDto> {
    const task = await this.views.own(userId, taskId);
    refuseEnded(task);
    const adapter = this.registry.get(task.provider);
    const atProvider = task.status !== TaskStatus.Pending || Object.keys(task.providerState).length > 0;
    if (!atProvider) {
      const { won, refunded } = await this.transitions.finish(task.id, TaskStatus.Canceled, { refund: true, reason: 'Canceled before it started' });
      if (!won) return this.cancelOnce(userId, taskId, acceptLoss);
      return { task: await this.views.view(userId, taskId), refunded, message: say(`Canceled before it started; ${refunded} credits were refunded`, `已在开始前取消，已退还 ${refunded} 积分`) };
    }
    if (!adapter.cancel) {
      throw new ConflictException(
        say(`${adapter.displayName} cannot stop a job once it has been sent; it will finish and you keep the results`, `${adapter.displayName} 无法停止已提交的任务；任务会完成，结果归你所有`),
      );
    }
    // A free task loses nothing; otherwise a start our record knows of is enough to ask first.
    const mayLose = acceptLoss || task.cost === 0;
    if (!mayLose && (task.status === TaskStatus.Running || task.startedAt !== null)) refuseUnrefunded(task, adapter.displayName);
    let outcome;
    try {
      outcome = await adapter.cancel(adapterView(task), { acceptLoss: mayLose });
    } catch (error) {
      const reason = error instanceof ProviderError ? error.message : say('it could not be reached', '无法连接');
      throw new BadGatewayException(say(`${adapter.displayName} did not confirm the cancellation (${reason}); the task keeps running`, `${adapter.displayName} 未确认取消（${reason}），任务继续运行`));
    }
    // The task as it is now: another request may have ended it, or a poll seen it start, meanwhile.
    let current = await this.views.own(userId, taskId);
    refuseEnded(current);
    if (!outcome.canceled) {
      // Another instance may be canceling it right now (fal then says "finished" to us): give
      // that a moment to land, so this answer says what became of the task.
      current = await this.settled(userId, taskId, current);
      refuseEnded(current);
      await this.dataSource.query(`UPDATE generation_tasks SET next_poll_at = now() WHERE id = $1 AND status IN ('pending', 'submitted', 'queued', 'running')`, [task.id]);
      this.engine.kick();
      if ('started' in outcome) refuseUnrefunded(current, adapter.displayName);
      throw new ConflictException(say(`Too late to cancel: ${outcome.reason}`, `来不及取消：${outcome.reason}`));
    }
    // A job that never started costs nothing; one the provider had already started working on is not refunded.
    const started = current.status === TaskStatus.Running || current.startedAt !== null || outcome.started === true;
    const { won, refunded } = await this.transitions.finish(task.id, TaskStatus.Canceled, {
      refund: !started,
      reason: 'Canceled before it started',
      error: started ? 'Canceled while running' : null,
    });
    if (!won) return this.cancelOnce(userId, taskId, acceptLoss);
    const message = started
      ? say(`Canceled at ${adapter.displayName}; it had already started, so the ${task.cost} credits are not refunded`, `已在 ${adapter.displayName} 取消；任务已经开始，${task.cost} 积分不退还`)
      : say(`Canceled at ${adapter.displayName} before it started; ${refunded} credits were refunded`, `已在 ${adapter.displayName} 开始前取消，已退还 ${refunded} 积分`);
    return { task: await this.views.view(userId, taskId), refunded, message };
  }

  /** The task once it has ended, or as it is after a short wait. */
  private async settled(userId: string, taskId: string, task: GenerationTask): Promise<GenerationTask> {
    for (const wait of [50, 100, 200, 400]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      task = await this.views.own(userId, taskId);
      if (!ACTIVE_STATUSES.includes(task.status)) break;
    }
    return task;
  }

  /**
   * A provider's callback only makes the task due now: the engine then asks the provider itself.
   * A wrong token or an unknown task is "not found" and changes nothing.
   */
  async webhook(provider: string, taskId: string, token: string, body: unknown, headers: Record<string, string | string[] | undefined>): Promise<{ accepted: boolean }> {
    const expected = isUUID(taskId) ? Buffer.from(this.engine.webhookToken(taskId)) : null;
    const given = Buffer.from(token ?? '');
    if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) throw new NotFoundException('Task not found');
    const adapter = this.registry.find(provider);
    const acceptable = !adapter?.acceptsWebhook || adapter.acceptsWebhook(body, headers);
    // One statement in the common case; only a call that changes nothing looks further.
    const [rows] = acceptable
      ? await this.dataSource.query(
          // 'epoch' marks it poked (see TaskEngine): due now, and still due after a step running now.
          `UPDATE generation_tasks SET next_poll_at = 'epoch' WHERE id = $1 AND provider = $2 AND status IN ('submitted', 'queued', 'running') RETURNING id`,
          [taskId, provider],
        )
      : [[]];
    if (rows.length) {
      this.engine.kick();
      return { accepted: true };
    }
    const [known] = await this.dataSource.query(`SELECT 1 FROM generation_tasks WHERE id = $1 AND provider = $2`, [taskId, provider]);
    if (!known) throw new NotFoundException('Task not found');
    return { accepted: false };
  }
}
