import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { buffer } from 'node:stream/consumers';
import sharp from 'sharp';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { deriveSecret } from '../../common/app-secret.js';
import { hydrate } from '../../common/hydrate.js';
import { inLanguage } from '../../common/language.js';
import { columnList, PreparedStatement } from '../../database/prepared-statement.js';
import { formatDuration } from '../../common/format.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { GuardedFetcher } from '../storage/guarded-fetcher.js';
import { IngestService } from '../storage/ingest.service.js';
import { MediaFile, MediaStatus } from '../storage/media-file.entity.js';
import { MediaFilesService } from '../storage/media-files.service.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import { pollDelayMs } from './backoff.js';
import type { TaskPreviewState } from './dto/task.dto.js';
import { GenerationTask, TaskErrorCode, TaskStatus } from './generation-task.entity.js';
import { type AdapterTask, POLL_SCALE, type ProviderAdapter, ProviderError, type ProviderUpdate, type TaskOutput } from './provider-adapter.js';
import { ProviderRegistry } from './provider-registry.js';
import { TaskTransitions } from './task-transitions.service.js';
import { notifyTaskSql } from './task-views.service.js';

const TICK = 'task-engine';
/** Tasks one instance works on at once (provider calls and downloads are I/O, not CPU). */
const MAX_IN_FLIGHT = 32;
const SWEEP_BATCH = 50;
/** Tasks one pollMany call answers for at most (midjourney-proxy's list-by-condition takes any number). */
const BATCH_LIMIT = 200;

const batchKey = (adapter: ProviderAdapter) => `batch:${adapter.provider}`;

const LEASE_TASK_SLOT = new PreparedStatement<{ leased: boolean }>('lease-task-slot', 'SELECT lease_task_slot($1, $2, $3, $4) AS leased');

/**
 * A webhook marks a task due with `next_poll_at = 'epoch'` (1970-01-01, never a real poll time):
 * claiming turns it into now(), so a call that arrives while a step is running survives that
 * step's save (which would otherwise push the next poll back) and the task is asked again at once.
 */

/** A step of an active task this instance leases: its new state, announced when clients can see a change. */
const SAVE_TASK = new PreparedStatement('save-task', (dataSource) =>
  `WITH changed AS (
     UPDATE generation_tasks
        SET status = $3::task_status, progress = $4, queue_position = $5,
            provider_state = provider_state || $6::jsonb,
            -- Poked by a webhook while this step ran (POKED): due again at once, the call is not lost.
            next_poll_at = CASE WHEN next_poll_at = 'epoch' THEN now() ELSE now() + make_interval(secs => $7::double precision / 1000) END,
            lease_owner = CASE WHEN $8 THEN lease_owner END,
            lease_until = CASE WHEN $8 THEN now() + make_interval(secs => $9) END,
            submitted_at = CASE WHEN $3::task_status <> 'pending' THEN coalesce(submitted_at, now()) END,
            started_at = CASE WHEN $3::task_status = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
            updated_at = CASE WHEN $10 THEN now() ELSE updated_at END
      WHERE id = $1 AND lease_owner = $2 AND status IN ('pending', 'submitted', 'queued', 'running')
      RETURNING ${columnList(dataSource, GenerationTask)})
   SELECT ${columnList(dataSource, GenerationTask, 'changed')}, CASE WHEN $10 THEN ${notifyTaskSql('id', 'user_id')} END AS notified
     FROM changed`,
);

/** Results fetched from the provider but not yet in our storage, kept in the provider state. */
interface PendingOutputs {
  outputs: TaskOutput[];
  storageError?: string;
  storageAttempts?: number;
}

/** The preview kept in the provider state: the provider's link and a version that changes with it. */
function previewState(url: string | null): TaskPreviewState | null {
  if (!url) return null;
  return { url, version: createHash('sha256').update(url).digest('base64url').slice(0, 12) };
}

/** The bytes of a base64 `data:` URL, or null for any other URL. */
export function parseDataUrl(url: string): Buffer | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma < 0 || !url.slice(0, comma).endsWith(';base64')) return null;
  return Buffer.from(url.slice(comma + 1), 'base64');
}

/** A region of a picture, in fractions of its size, as PNG bytes. */
export async function cutRegion(bytes: Buffer, region: NonNullable<TaskOutput['derive']>['region']): Promise<Buffer> {
  const image = sharp(bytes);
  const { width = 0, height = 0 } = await image.metadata();
  const left = Math.round(region.left * width);
  const top = Math.round(region.top * height);
  const area = { left, top, width: Math.max(1, Math.min(width - left, Math.round(region.width * width))), height: Math.max(1, Math.min(height - top, Math.round(region.height * height))) };
  return image.extract(area).png().toBuffer();
}

export function adapterView(task: GenerationTask): AdapterTask {
  return {
    id: task.id,
    userId: task.userId,
    model: task.model,
    action: task.action,
    input: task.input,
    providerState: task.providerState,
    attempts: task.attempts,
    parentTaskId: task.parentTaskId,
  };
}

/**
 * Drives tasks to a terminal status. Every instance runs it: due tasks are claimed with
 * FOR UPDATE SKIP LOCKED and a lease, so instances share the work and a dead instance's tasks
 * return to the pool when its lease runs out. Nothing here fails a task for a provider's hiccup:
 * only the provider's own "failed", a refusal at submission or the deadline end a task badly.
 */
@Injectable()
export class TaskEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskEngine.name);
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly inFlight = new Map<string, Promise<void>>();
  private ticking: Promise<void> | null = null;
  private again = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  /** The last tick filled every in-flight place, or found tasks waiting for a provider slot. */
  private saturated = false;
  private waitingForSlots = false;
  /** A tick passed a batch-polling provider by because its call was still out. */
  private batchSkipped = false;
  private stopped = false;
  private sweptAt = 0;
  private readonly webhookKey: Buffer;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly transitions: TaskTransitions,
    private readonly ingest: IngestService,
    private readonly mediaFiles: MediaFilesService,
    private readonly storageSettings: StorageSettingsService,
    private readonly scheduler: SchedulerRegistry,
    private readonly fetcher: GuardedFetcher,
  ) {
    this.webhookKey = deriveSecret(config.appSecret, 'task-webhook');
  }

  onApplicationBootstrap(): void {
    // Describing the API (OpenAPI generation) starts the app without a database.
    if (!this.config.tasks.worker || !this.dataSource.isInitialized) return;
    const interval = setInterval(() => this.kick(), this.config.tasks.tickMs);
    // The HTTP server keeps a running instance alive; the engine's own timers never should.
    interval.unref();
    this.scheduler.addInterval(TICK, interval);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.scheduler.doesExist('interval', TICK)) this.scheduler.deleteInterval(TICK);
    await this.idle();
  }

  /** Runs a tick now (or right after the current one): after a submission or a webhook. */
  kick(): void {
    if (this.stopped || !this.config.tasks.worker) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((error) => this.logger.error(`Task engine tick failed: ${(error as Error).message}`))
      .finally(() => {
        this.ticking = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when nothing is in flight on this instance (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.ticking || this.inFlight.size) await Promise.allSettled([this.ticking, ...this.inFlight.values()]);
  }

  webhookToken(taskId: string): string {
    return createHmac('sha256', this.webhookKey).update(taskId).digest('base64url');
  }

  webhookUrl(provider: string, taskId: string): string | null {
    if (!this.config.publicUrl) return null;
    return `${this.config.publicUrl}/api/v1/webhooks/${provider}/${taskId}?token=${this.webhookToken(taskId)}`;
  }

  leaseUntil(): Date {
    return new Date(Date.now() + this.config.tasks.leaseSeconds * 1000);
  }

  private async tick(): Promise<void> {
    // Deadlines are minutes long: once per interval is enough, not on every kick (every webhook kicks).
    if (Date.now() - this.sweptAt >= this.config.tasks.tickMs) {
      this.sweptAt = Date.now();
      await this.sweepDeadlines();
    }
    const providers = this.registry.names();
    if (providers.length === 0) return;
    let room = MAX_IN_FLIGHT - this.inFlight.size;
    this.waitingForSlots = false;
    // Providers that answer for many tasks in one call (pollMany) are polled first, one call each.
    for (const adapter of this.registry.all()) {
      if (!adapter.pollMany || room <= 0) continue;
      if (this.inFlight.has(batchKey(adapter))) {
        // Its call is out: whatever fell due meanwhile (a webhook) goes in the next one, right after.
        this.batchSkipped = true;
        continue;
      }
      const batch = await this.claimBatch(adapter.provider);
      if (batch.length) {
        this.startBatch(adapter, batch);
        room--;
      }
    }
    const perTask = providers.filter((provider) => !this.registry.find(provider)?.pollMany);
    if (room > 0 && perTask.length) {
      const claimed = await this.claimActive(perTask, room);
      room -= claimed.length;
      for (const task of claimed) this.start(task);
    }
    if (room > 0) {
      const pending = await this.claimPending(room);
      room -= pending.length;
      for (const task of pending) this.start(task);
    }
    this.saturated = room <= 0;
    await this.wakeForNextDue();
  }

  /** Ticks are a safety net: the engine also wakes exactly when the next task falls due. */
  private async wakeForNextDue(): Promise<void> {
    const [{ wait }] = await this.dataSource.query(
      `SELECT extract(epoch FROM min(next_poll_at) - now()) * 1000 AS wait FROM generation_tasks
        WHERE status IN ('submitted', 'queued', 'running') AND (lease_until IS NULL OR lease_until < now())`,
    );
    // Tasks due already but not taken wait for a free place, which a finishing task announces.
    if (wait === null || Number(wait) <= 0 || Number(wait) >= this.config.tasks.tickMs || this.stopped) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.kick();
    }, Math.max(10, Number(wait)));
    this.wakeTimer.unref?.();
  }

  private start(task: GenerationTask, step: () => Promise<unknown> = () => this.process(task)): void {
    // In the language of the request that made the task: a refusal or failure is worded for its reader.
    const work = inLanguage(task.language, step)
      .then(() => undefined)
      .catch((error) => this.logger.error(`Task ${task.id}: ${(error as Error).stack ?? error}`))
      .finally(() => {
        this.inFlight.delete(task.id);
        // A place or a provider slot came free: whoever was waiting for it goes now.
        if (this.saturated || this.waitingForSlots) this.kick();
      });
    this.inFlight.set(task.id, work);
  }

  /**
   * A batch-polling provider's tasks at the provider that are due, or fall due within half the
   * shortest poll interval (asking a little early costs nothing when one call answers for all, and
   * less than one interval early never asks a task twice in a row), up to BATCH_LIMIT.
   */
  private async claimBatch(provider: string): Promise<GenerationTask[]> {
    return this.claim(
      this.dataSource.manager,
      `status IN ('submitted', 'queued', 'running') AND next_poll_at <= now() + make_interval(secs => $5::double precision / 1000)
       AND deadline_at > now() AND provider = $4`,
      'next_poll_at',
      BATCH_LIMIT,
      [provider, Math.min(this.config.tasks.tickMs, this.config.tasks.pollMinMs) / 2],
    );
  }

  /**
   * Polls a batch with one pollMany call, then hands each answer on as a per-task poll would (each
   * task then works on its own, so storing one task's results holds up no later call); a task the
   * answer leaves out (or whose results are waiting to be stored) goes through `process` alone.
   */
  private startBatch(adapter: ProviderAdapter, tasks: GenerationTask[]): void {
    const key = batchKey(adapter);
    const work = (async () => {
      const polled = tasks.filter((task) => !task.providerState.pendingOutputs);
      let answers: Map<string, ProviderUpdate | Error>;
      try {
        answers = polled.length ? await adapter.pollMany!(polled.map(adapterView)) : new Map();
      } catch (error) {
        answers = new Map(polled.map((task) => [task.id, error as Error]));
      }
      for (const task of tasks) {
        const answer = answers.get(task.id);
        if (answer === undefined) this.start(task);
        else if (answer instanceof Error) this.start(task, () => this.providerFailed(task, adapter, answer));
        else this.start(task, () => this.apply(task, adapter, answer));
      }
    })()
      .catch((error) => this.logger.error(`Batch poll of ${adapter.provider} failed: ${(error as Error).stack ?? error}`))
      .finally(() => {
        this.inFlight.delete(key);
        // Tasks that fell due while this call was out wait for the next one: look now.
        if (this.batchSkipped) {
          this.batchSkipped = false;
          this.kick();
        }
      });
    this.inFlight.set(key, work);
  }

  /** Submitted tasks whose next poll is due and whose lease (if any) ran out. */
  private async claimActive(providers: string[], limit: number): Promise<GenerationTask[]> {
    return this.claim(
      this.dataSource.manager,
      `status IN ('submitted', 'queued', 'running') AND next_poll_at <= now() AND deadline_at > now() AND provider = ANY($4)`,
      'next_poll_at',
      limit,
      [providers],
    );
  }

  /**
   * Leases up to `limit` tasks matching `condition` (parameters from $4) whose lease, if any, ran
   * out; rows another instance is claiming at the same moment are skipped, never waited for.
   */
  private async claim(manager: DataSource['manager'], condition: string, order: string, limit: number, parameters: unknown[]): Promise<GenerationTask[]> {
    const [rows]: [Array<Record<string, unknown>>, number] = await manager.query(
      `UPDATE generation_tasks t
          SET lease_owner = $1, lease_until = now() + make_interval(secs => $2), attempts = attempts + 1,
              next_poll_at = CASE WHEN t.next_poll_at = 'epoch' THEN now() ELSE t.next_poll_at END
         FROM (SELECT id FROM generation_tasks
                WHERE ${condition} AND (lease_until IS NULL OR lease_until < now())
                ORDER BY ${order} LIMIT $3 FOR UPDATE SKIP LOCKED) due
        WHERE t.id = due.id
        RETURNING t.*`,
      [this.owner, this.config.tasks.leaseSeconds, limit, ...parameters],
    );
    return rows.map((row) => hydrate(this.dataSource, GenerationTask, row));
  }

  /**
   * Tasks not yet at the provider: waiting for a free slot, or left behind by an instance that
   * died while submitting. Each provider's slots are counted under its lock, like at submission.
   */
  private async claimPending(limit: number): Promise<GenerationTask[]> {
    const tasks: GenerationTask[] = [];
    for (const adapter of this.registry.all()) {
      if (tasks.length >= limit) break;
      const [waiting] = await this.dataSource.query(
        `SELECT 1 FROM generation_tasks
          WHERE provider = $1 AND status = 'pending' AND next_poll_at <= now() AND deadline_at > now() AND (lease_until IS NULL OR lease_until < now())
            AND NOT EXISTS (SELECT 1 FROM provider_holds WHERE provider = $1 AND held_until > now())
          LIMIT 1`,
        [adapter.provider],
      );
      if (!waiting) continue;
      const { maxConcurrentTasks } = await adapter.limits();
      await this.dataSource.transaction(async (manager) => {
        const free = maxConcurrentTasks - (await this.activeAtProvider(manager, adapter.provider, maxConcurrentTasks));
        if (free <= 0) {
          this.waitingForSlots = true;
          return;
        }
        const claimed = await this.claim(
          manager,
          `provider = $4 AND status = 'pending' AND next_poll_at <= now() AND deadline_at > now()`,
          'created_at',
          Math.min(free, limit - tasks.length),
          [adapter.provider],
        );
        tasks.push(...claimed);
      });
    }
    return tasks;
  }

  /**
   * Keeps the lease of a task this instance just recorded (leased) if its provider has a free slot,
   * in one call (the database function `lease_task_slot`: the provider's lock, then a count with a
   * snapshot taken after it). Without a slot the lease is given up and the task waits, pending.
   */
  async leaseSlot(task: GenerationTask, max: number): Promise<boolean> {
    const [{ leased }] = await LEASE_TASK_SLOT.rows(this.dataSource, [task.id, this.owner, this.config.tasks.leaseSeconds, max]);
    Object.assign(task, leased ? { attempts: 1 } : { leaseOwner: null, leaseUntil: null });
    return leased;
  }

  /**
   * Jobs in flight at a provider (or being submitted to it), counted up to `max` under a
   * per-provider lock held until the caller's transaction ends, so two instances never hand out
   * the same slot (`lease_task_slot` takes the same lock).
   */
  async activeAtProvider(manager: DataSource['manager'], provider: string, max: number): Promise<number> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`task-slots:${provider}`]);
    // The same count as `lease_task_slot`'s (migration TaskSlotsTaken), in a statement after the lock.
    const [{ active }] = await manager.query('SELECT task_slots_taken($1, $2, NULL) AS active', [provider, max]);
    return active;
  }

  /**
   * Works on one leased task: submit, poll, or store the results it already has. Answers the
   * provider's refusal when a submission was refused (the task is failed and refunded by then),
   * and the task as this step left it when it is still active (null: finished, or taken over).
   */
  async process(task: GenerationTask): Promise<{ refusal: ProviderError | null; task: GenerationTask | null }> {
    const adapter = this.registry.find(task.provider);
    if (!adapter) {
      // The provider's module is not in this build; the deadline sweeper ends the task.
      await this.reschedule(task, { delayMs: this.config.tasks.pollMaxMs });
      return { refusal: null, task: null };
    }
    const pending = task.providerState.pendingOutputs as PendingOutputs | undefined;
    if (pending) {
      await this.storeOutputs(task, pending);
      return { refusal: null, task: null };
    }
    let update: ProviderUpdate;
    try {
      update =
        task.status === TaskStatus.Pending
          ? await adapter.submit(adapterView(task), { webhookUrl: this.webhookUrl(task.provider, task.id) })
          : await adapter.poll(adapterView(task));
    } catch (error) {
      return { refusal: await this.providerFailed(task, adapter, error), task: null };
    }
    return { refusal: null, task: await this.apply(task, adapter, update) };
  }

  /**
   * A refusal of a submission ends the task and is refunded. Anything else (429, timeouts, 5xx,
   * garbage, even a refusal while polling) means "ask again later", until the deadline.
   */
  private async providerFailed(task: GenerationTask, adapter: ProviderAdapter, error: unknown): Promise<ProviderError | null> {
    if (error instanceof ProviderError && error.kind !== 'transient' && task.status === TaskStatus.Pending) {
      const { won } = await this.transitions.finish(task.id, TaskStatus.Failed, {
        error: `${adapter.displayName}: ${error.message}`,
        code: error.options.contentFlagged ? TaskErrorCode.ContentFlagged : error.kind === 'rejected' ? TaskErrorCode.Rejected : TaskErrorCode.Refused,
        refund: true,
      });
      return won ? error : null;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn(`Task ${task.id} (${task.provider}): will ask again later: ${message}`);
    const holdMs = error instanceof ProviderError && error.kind === 'transient' ? error.options.holdProviderMs : undefined;
    if (holdMs && task.status === TaskStatus.Pending) {
      // The provider takes no new job now (e.g. its concurrency is used up): every instance holds
      // its submissions until then, instead of each waiting task asking again and again.
      const heldMs = Math.min(holdMs, this.pollBounds(task).maxMs * 4);
      await this.holdProvider(task.provider, heldMs);
      await this.reschedule(task, { delayMs: heldMs, problem: message });
      return null;
    }
    await this.reschedule(task, { retryAfterMs: error instanceof ProviderError ? error.options.retryAfterMs : undefined, problem: message });
    return null;
  }

  /**
   * Holds new submissions to a provider for `ms` (a hold only ever grows): kept in the database so
   * every instance sees it. Its waiting tasks fall due when it ends; `lease_task_slot` leaves a new
   * task pending until then and claimPending skips the provider.
   */
  async holdProvider(provider: string, ms: number): Promise<void> {
    await this.dataSource.query(
      `WITH hold AS (
         INSERT INTO provider_holds (provider, held_until) VALUES ($1, now() + make_interval(secs => $2::double precision / 1000))
         ON CONFLICT (provider) DO UPDATE SET held_until = greatest(provider_holds.held_until, excluded.held_until)
         RETURNING held_until)
       UPDATE generation_tasks SET next_poll_at = (SELECT held_until FROM hold)
        WHERE provider = $1 AND status = 'pending' AND next_poll_at < (SELECT held_until FROM hold)`,
      [provider, ms],
    );
  }

  private async apply(task: GenerationTask, adapter: ProviderAdapter, update: ProviderUpdate): Promise<GenerationTask | null> {
    if (update.status === 'failed') {
      await this.transitions.finish(task.id, TaskStatus.Failed, {
        error: `${adapter.displayName}: ${update.error ?? 'the provider reported a failure without a reason'}`,
        code: update.contentFlagged ? TaskErrorCode.ContentFlagged : TaskErrorCode.Failed,
        refund: true,
      });
      return null;
    }
    if (update.status === 'succeeded') {
      const outputs = update.outputs ?? [];
      if (outputs.length === 0 && !update.result) {
        await this.transitions.finish(task.id, TaskStatus.Failed, { error: `${adapter.displayName} finished without returning any result`, code: TaskErrorCode.NoOutput, refund: true });
        return null;
      }
      if (update.result) {
        // A text result (describe's prompts) is recorded with the state it came with; with no media it is the whole result.
        const recorded = await this.saveResult(task, update.result, update.providerState ?? {});
        if (!recorded) return null;
        if (outputs.length === 0) {
          await this.transitions.finish(task.id, TaskStatus.Succeeded, { refund: false });
          return null;
        }
      }
      const pending: PendingOutputs = { outputs };
      const saved = await this.save(task, { status: TaskStatus.Running, progress: 100, queuePosition: null, providerState: { ...update.providerState, pendingOutputs: pending }, keepLease: true });
      if (saved) await this.storeOutputs(saved, pending);
      return null;
    }
    const status = { submitted: TaskStatus.Submitted, queued: TaskStatus.Queued, running: TaskStatus.Running }[update.status];
    const providerState = update.previewUrl === undefined ? update.providerState : { ...update.providerState, preview: previewState(update.previewUrl) };
    // Attempts count the submission too; the first poll after it waits the shortest time.
    const polls = task.status === TaskStatus.Pending ? 0 : Math.max(0, task.attempts - 1);
    const saved = await this.save(task, {
      status,
      progress: update.progress,
      queuePosition: update.queuePosition ?? null,
      providerState,
      delayMs: pollDelayMs({
        ...this.pollBounds(task),
        polls,
        queuePosition: update.queuePosition,
        retryAfterMs: update.retryAfterMs,
        // With a webhook the provider says when it is done; polls are then a safety net.
        running: status === TaskStatus.Running,
        webhook: this.config.publicUrl !== null,
      }),
    });
    if (!saved && task.status === TaskStatus.Pending && adapter.cancel) {
      // Canceled while we were submitting it: stop the job we just started.
      const current = await this.dataSource.getRepository(GenerationTask).findOneBy({ id: task.id });
      if (current?.status === TaskStatus.Canceled) {
        const view = adapterView(current);
        // The task is ended already (and refunded when due): the job is stopped whatever it costs.
        await adapter.cancel({ ...view, providerState: { ...view.providerState, ...update.providerState } }, { acceptLoss: true }).catch(() => undefined);
      }
    }
    return saved;
  }

  /** The poll interval bounds for a task, scaled for its kind (POLL_SCALE: videos are asked less often). */
  private pollBounds(task: Pick<GenerationTask, 'kind'>) {
    const scale = POLL_SCALE[task.kind] ?? POLL_SCALE.image;
    const minMs = this.config.tasks.pollMinMs * scale.min;
    return { minMs, maxMs: Math.max(minMs, this.config.tasks.pollMaxMs * scale.max) };
  }

  /**
   * Records an active task's new state if this instance still holds its lease and it is still
   * active. Returns the updated task, or null when it was taken over, canceled or finished.
   */
  private async save(
    task: GenerationTask,
    change: {
      status?: TaskStatus;
      progress?: number;
      queuePosition?: number | null;
      providerState?: Record<string, unknown>;
      delayMs?: number;
      keepLease?: boolean;
    },
  ): Promise<GenerationTask | null> {
    const status = change.status ?? task.status;
    const progress = Math.max(0, Math.min(100, Math.round(change.progress ?? task.progress)));
    const queuePosition = change.queuePosition === undefined ? task.queuePosition : change.queuePosition;
    // A new preview is news too: clients fetch it again (its version is in the task's previewUrl).
    const preview = change.providerState?.preview;
    const newPreview = preview !== undefined && (preview as { version?: string } | null)?.version !== (task.providerState.preview as { version?: string } | null | undefined)?.version;
    const visible = status !== task.status || progress !== task.progress || queuePosition !== task.queuePosition || newPreview;
    // One statement (its own transaction): polls are the engine's most frequent write.
    const rows = await SAVE_TASK.rows(this.dataSource, [
      task.id,
      this.owner,
      status,
      progress,
      queuePosition,
      JSON.stringify(change.providerState ?? {}),
      change.delayMs ?? 0,
      change.keepLease ?? false,
      this.config.tasks.leaseSeconds,
      visible,
    ]);
    if (rows.length === 0) return null;
    return hydrate(this.dataSource, GenerationTask, rows[0]);
  }

  /** Records a task's structured result (and provider state) while this instance holds its lease; false when it no longer does. */
  private async saveResult(task: GenerationTask, result: Record<string, unknown>, providerState: Record<string, unknown>): Promise<boolean> {
    const [, changed] = await this.dataSource.query(
      `UPDATE generation_tasks SET result = $3::jsonb, provider_state = provider_state || $4::jsonb
        WHERE id = $1 AND lease_owner = $2 AND status IN ('pending', 'submitted', 'queued', 'running')`,
      [task.id, this.owner, JSON.stringify(result), JSON.stringify(providerState)],
    );
    return changed > 0;
  }

  private async reschedule(task: GenerationTask, options: { delayMs?: number; retryAfterMs?: number; problem?: string }): Promise<void> {
    const delayMs = options.delayMs ?? pollDelayMs({ ...this.pollBounds(task), polls: Math.max(0, task.attempts - 1), retryAfterMs: options.retryAfterMs });
    await this.save(task, { delayMs, providerState: options.problem ? { lastProblem: options.problem.slice(0, 500) } : {} });
  }

  /**
   * Copies every output into our storage (each output once: its record is unique per task and
   * position, and a stored one is skipped), then marks the task succeeded. A storage failure is
   * retried with backoff until the deadline; the lease is renewed while large files copy. With
   * auto-upload off the outputs are only recorded, pending, with the provider's links.
   */
  private async storeOutputs(task: GenerationTask, pending: PendingOutputs): Promise<void> {
    const renew = setInterval(() => {
      this.dataSource
        .query(`UPDATE generation_tasks SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND lease_owner = $2`, [task.id, this.owner, this.config.tasks.leaseSeconds])
        .catch(() => undefined);
    }, Math.max(1000, (this.config.tasks.leaseSeconds * 1000) / 3));
    const stored: MediaFile[] = [];
    try {
      // Derived outputs of one source share its bytes, read once.
      const sources = new Map<number, Promise<Buffer>>();
      for (const [index, output] of pending.outputs.entries()) stored.push(await this.storeOutput(task, index, output, stored, sources));
    } catch (error) {
      const message = (error as Error).message;
      this.logger.warn(`Task ${task.id}: storing output failed, will retry: ${message}`);
      const attempts = (pending.storageAttempts ?? 0) + 1;
      await this.save(task, {
        providerState: { pendingOutputs: { ...pending, storageError: message.slice(0, 500), storageAttempts: attempts } },
        delayMs: pollDelayMs({ ...this.pollBounds(task), polls: attempts }),
      });
      return;
    } finally {
      clearInterval(renew);
    }
    const { won } = await this.transitions.finish(task.id, TaskStatus.Succeeded, { refund: false });
    if (won) return;
    // An instance that took the task over (this one's lease ran out while copying) may have
    // finished it first, with these same records: they are its results then.
    const ended = await this.dataSource.getRepository(GenerationTask).findOne({ where: { id: task.id }, select: { id: true, status: true } });
    if (ended?.status === TaskStatus.Succeeded) return;
    // Canceled or past its deadline (and refunded) meanwhile: its results go with it.
    for (const file of stored) await this.mediaFiles.delete(task.userId, file.id);
  }

  private async storeOutput(task: GenerationTask, index: number, output: TaskOutput, earlier: MediaFile[] = [], sources = new Map<number, Promise<Buffer>>()): Promise<MediaFile> {
    const repository = this.dataSource.getRepository(MediaFile);
    const adapter = this.registry.get(task.provider);
    // An output given as its bytes (a `data:` URL, e.g. Volcengine's base64 images) has no link to keep.
    const inline = parseDataUrl(output.url);
    const inserted = await repository
      .createQueryBuilder()
      .insert()
      .values({
        userId: task.userId,
        filename: `${task.id}-${index}`,
        source: adapter.mediaSource,
        sourceTaskId: task.id,
        outputIndex: index,
        kind: task.kind,
        sourceUrl: inline ? null : output.url,
        status: MediaStatus.Pending,
        metadata: { ...output.metadata, ...(output.role ? { role: output.role } : {}), prompt: task.prompt, model: task.model, provider: task.provider },
      } as QueryDeepPartialEntity<MediaFile>)
      .orIgnore()
      .returning('*')
      .execute();
    // Recorded already by an earlier attempt (or another instance) when nothing was inserted.
    const row = (inserted.raw as Array<Record<string, unknown>>)[0];
    const record = row ? hydrate(this.dataSource, MediaFile, row) : await repository.findOneByOrFail({ sourceTaskId: task.id, outputIndex: index });
    if (record.status === MediaStatus.Stored) return record;
    // Copied from the link the provider gave with its result (kept in the task); links are not
    // asked for again, so one that expires before the copy succeeds ends as a storage failure.
    const settings = await this.storageSettings.recent();
    if (inline) {
      // Stored whatever auto-upload says: there is no link to copy from later.
      await this.ingest.storeBytes(record, inline, settings);
      return record;
    }
    record.sourceUrl = output.url;
    if (output.derive) {
      // Cut from an output stored just before it (or, with auto-upload off, from its link): it has
      // no link of its own, so it is stored whatever auto-upload says.
      const source = earlier[output.derive.from];
      if (!source) throw new Error(`output ${index} is derived from output ${output.derive.from}, which comes before it`);
      if (!sources.has(output.derive.from)) sources.set(output.derive.from, this.sourceBytes(source));
      await this.ingest.storeBytes(record, await cutRegion(await sources.get(output.derive.from)!, output.derive.region), settings);
      return record;
    }
    if (!settings.autoUpload) {
      // Auto-upload off: the output keeps the provider's link (shown as "not stored yet") until the
      // admin's migration copies it; such links expire within hours to days.
      if (!row) await repository.update({ id: record.id }, { sourceUrl: output.url, status: MediaStatus.Pending, error: null });
      return record;
    }
    await this.ingest.copyIntoStorage(record, settings, {});
    return record;
  }

  /** The bytes of a stored output, or of its provider link while it is not stored. */
  private async sourceBytes(source: MediaFile): Promise<Buffer> {
    if (source.status === MediaStatus.Stored && source.driver && source.key) {
      return buffer(await (await this.storageSettings.driverFor(source.driver)).read(source.key));
    }
    const response = await this.fetcher.fetch(source.sourceUrl ?? '', { maxBytes: 64 * 1024 * 1024, allowedTypes: ['image/*'], timeoutMs: 120_000, connectTimeoutMs: 15_000 });
    return buffer(response.body);
  }

  /** Fails and refunds tasks past their deadline, unless an instance is still working on them. */
  private async sweepDeadlines(): Promise<void> {
    const expired = await this.claim(this.dataSource.manager, `status IN ('pending', 'submitted', 'queued', 'running') AND deadline_at <= now()`, 'deadline_at', SWEEP_BATCH, []);
    for (const task of expired) {
      const adapter = this.registry.find(task.provider);
      const pending = task.providerState.pendingOutputs as PendingOutputs | undefined;
      const allowed = formatDuration(task.deadlineAt.getTime() - task.createdAt.getTime());
      const [error, code] = pending?.storageError
        ? [`Storing the results failed: ${pending.storageError}`, TaskErrorCode.Storage]
        : task.status === TaskStatus.Pending
          ? [`${adapter?.displayName ?? task.provider} could not take the task within ${allowed}`, TaskErrorCode.NotStarted]
          : [`${adapter?.displayName ?? task.provider} did not finish within ${allowed}`, TaskErrorCode.TimedOut];
      const { won } = await this.transitions.finish(task.id, TaskStatus.Failed, { error, code, refund: true });
      if (won && task.status !== TaskStatus.Pending && adapter?.cancel) {
        await adapter.cancel(adapterView(task), { acceptLoss: true }).catch(() => undefined);
      }
    }
  }
}
