import { BadGatewayException, BadRequestException, ConflictException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { FieldValidationException } from '../../common/errors.js';
import { CreditsService } from '../credits/credits.service.js';
import type { MediaKind } from '../storage/media-file.entity.js';
import type { CancelResultDto, TaskDto } from './dto/task.dto.js';
import { GenerationTask, TaskStatus } from './generation-task.entity.js';
import { DEFAULT_DEADLINE_SECONDS, ProviderError } from './provider-adapter.js';
import { ProviderRegistry } from './provider-registry.js';
import { PricesService } from './prices.service.js';
import { adapterView, TaskEngine } from './task-engine.service.js';
import { TaskTransitions } from './task-transitions.service.js';
import { notifyTaskChanged, TaskViews } from './task-views.service.js';

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
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Submission, cancellation and webhooks: the task engine's doors for requests. */
@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly prices: PricesService,
    private readonly credits: CreditsService,
    private readonly engine: TaskEngine,
    private readonly transitions: TaskTransitions,
    private readonly views: TaskViews,
  ) {}

  /**
   * Reserves the price and records the task in one transaction (402 leaves nothing behind), then
   * submits it at once when the provider has a free slot; otherwise it waits, pending, for one.
   * A refusal fails the task, refunds it and answers 400 (the request) or 502 (the provider).
   */
  async submit(userId: string, request: TaskRequest): Promise<TaskDto> {
    const adapter = this.registry.get(request.provider);
    const limits = await adapter.limits();
    if (!limits.enabled) throw new ServiceUnavailableException(`${adapter.displayName} is turned off by the administrator`);
    const price = (await this.prices.priceFor(request.provider, request.model)) * (request.units ?? 1);
    const id = randomUUID();
    const leased = await this.dataSource.transaction(async (manager) => {
      const created = manager.create(GenerationTask, {
        id,
        userId,
        provider: request.provider,
        model: request.model,
        kind: request.kind,
        action: request.action,
        prompt: request.prompt,
        input: request.input,
        providerState: {},
        status: TaskStatus.Pending,
        cost: price,
        deadlineAt: new Date(Date.now() + (limits.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS[request.kind]) * 1000),
        nextPollAt: new Date(),
      });
      await manager.insert(GenerationTask, created as QueryDeepPartialEntity<GenerationTask>);
      if (price > 0) await this.credits.charge(manager, userId, price, id, `${adapter.displayName} · ${request.model}`);
      await notifyTaskChanged(manager, id, userId);
      // The provider's slots are counted last, so its lock is held for as short a time as possible.
      return this.engine.leaseSlot(manager, request.provider, limits.maxConcurrentTasks, id);
    });
    const task = leased ? await this.dataSource.getRepository(GenerationTask).findOneByOrFail({ id }) : null;
    if (task) {
      const refusal = await this.engine.process(task);
      if (refusal) this.raiseRefusal(adapter.displayName, refusal, price);
    } else {
      this.engine.kick();
    }
    return this.views.view(userId, id);
  }

  /** The failure of a submission, as the API's answer: the provider's reason, refunded already. */
  private raiseRefusal(providerName: string, refusal: ProviderError, price: number): never {
    const refunded = price > 0 ? ` (the ${price} credits were refunded)` : '';
    if (refusal.kind === 'rejected') {
      const fields = refusal.options.fields;
      if (fields?.length) throw new FieldValidationException(fields.map((f) => ({ ...f, messages: f.messages.map((m) => `${m}${refunded}`) })));
      throw new BadRequestException(`${providerName} rejected the request: ${refusal.message}${refunded}`);
    }
    throw new BadGatewayException(`${providerName} refused the request: ${refusal.message}${refunded}`);
  }

  async cancel(userId: string, taskId: string): Promise<CancelResultDto> {
    const task = await this.views.own(userId, taskId);
    if (task.status === TaskStatus.Succeeded || task.status === TaskStatus.Failed || task.status === TaskStatus.Canceled) {
      throw new ConflictException(`The task has already ${task.status === TaskStatus.Canceled ? 'been canceled' : task.status}`);
    }
    const adapter = this.registry.get(task.provider);
    const atProvider = task.status !== TaskStatus.Pending || Object.keys(task.providerState).length > 0;
    if (!atProvider) {
      const { won, refunded } = await this.transitions.finish(task.id, TaskStatus.Canceled, { refund: true, reason: 'Canceled before it started' });
      if (!won) return this.cancel(userId, taskId);
      return { task: await this.views.view(userId, taskId), refunded, message: `Canceled before it started; ${refunded} credits were refunded` };
    }
    if (!adapter.cancel) {
      throw new ConflictException(`${adapter.displayName} cannot stop a job once it has been sent; it will finish and you keep the results`);
    }
    let outcome;
    try {
      outcome = await adapter.cancel(adapterView(task));
    } catch (error) {
      const reason = error instanceof ProviderError ? error.message : 'it could not be reached';
      throw new BadGatewayException(`${adapter.displayName} did not confirm the cancellation (${reason}); the task keeps running`);
    }
    if (!outcome.canceled) {
      await this.dataSource.query(`UPDATE generation_tasks SET next_poll_at = now() WHERE id = $1 AND status IN ('pending', 'submitted', 'queued', 'running')`, [task.id]);
      this.engine.kick();
      throw new ConflictException(`Too late to cancel: ${outcome.reason}`);
    }
    // A job that never started costs nothing; one the provider had already started working on is not refunded.
    const started = task.status === TaskStatus.Running || task.startedAt !== null;
    const { won, refunded } = await this.transitions.finish(task.id, TaskStatus.Canceled, {
      refund: !started,
      reason: 'Canceled before it started',
      error: started ? 'Canceled while running' : null,
    });
    if (!won) return this.cancel(userId, taskId);
    const message = started
      ? `Canceled at ${adapter.displayName}; it had already started, so the ${task.cost} credits are not refunded`
      : `Canceled at ${adapter.displayName} before it started; ${refunded} credits were refunded`;
    return { task: await this.views.view(userId, taskId), refunded, message };
  }

  /**
   * A provider's callback only makes the task due now: the engine then asks the provider itself.
   * A wrong token or an unknown task is "not found" and changes nothing.
   */
  async webhook(provider: string, taskId: string, token: string, body: unknown, headers: Record<string, string | string[] | undefined>): Promise<{ accepted: boolean }> {
    const expected = UUID.test(taskId) ? Buffer.from(this.engine.webhookToken(taskId)) : null;
    const given = Buffer.from(token ?? '');
    if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) throw new NotFoundException('Task not found');
    const task = await this.dataSource.getRepository(GenerationTask).findOneBy({ id: taskId, provider });
    if (!task) throw new NotFoundException('Task not found');
    const adapter = this.registry.find(provider);
    if (adapter?.acceptsWebhook && !adapter.acceptsWebhook(body, headers)) return { accepted: false };
    const [rows] = await this.dataSource.query(
      `UPDATE generation_tasks SET next_poll_at = now() WHERE id = $1 AND status IN ('submitted', 'queued', 'running') RETURNING id`,
      [taskId],
    );
    if (rows.length) this.engine.kick();
    return { accepted: rows.length > 0 };
  }
}
