import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  isMjActionKey,
  isModalAction,
  type MidjourneyClient,
  MidjourneyError,
  type MjActionKey,
  type MjBlendDimensions,
  type MjBotType,
  type MjSubmitted,
  type MjTask,
  toDataUrl,
} from '@atelier/providers/midjourney';
import { buffer } from 'node:stream/consumers';
import { DataSource, In } from 'typeorm';
import { say } from '../../common/language.js';
import { GenerationTask } from '../scheduler/generation-task.entity.js';
import {
  type AdapterTask,
  type CancelOptions,
  type CancelOutcome,
  type ProviderAdapter,
  ProviderError,
  type ProviderLimits,
  type ProviderModel,
  type ProviderUpdate,
  type SubmitContext,
  type TaskAction,
} from '../scheduler/provider-adapter.js';
import { MediaFile, MediaKind, MediaSource } from '../storage/media-file.entity.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import { catalogueEntry, MJ_PRICE_MODELS } from './midjourney-actions.js';
import { type MjState, updateFromTask } from './midjourney-results.js';
import { MidjourneySettingsService } from './midjourney-settings.service.js';

/** How long to wait after the proxy's "queue full" (code 23) before trying again. */
const BUSY_RETRY_MS = 5000;
/** A cancel of ours shows at the proxy before we record it; polls leave such a task alone this long. */
const CANCEL_GRACE_MS = 60_000;
const CANCEL_IN_PROGRESS = () => new ProviderError('transient', 'our cancel of this task is being recorded', { retryAfterMs: 1000 });

/** The proxy's refusals in the engine's terms (midjourney-proxy.md §2.1). */
export function translateMjError(error: unknown): ProviderError {
  if (!(error instanceof MidjourneyError)) return new ProviderError('transient', (error as Error)?.message ?? String(error));
  const field = error.details.field;
  switch (error.kind) {
    case 'banned': {
      const word = error.details.bannedWord;
      const message = word ? `the prompt contains a banned word: ${word}` : `the prompt was refused as banned (${error.message})`;
      return new ProviderError('rejected', message, { contentFlagged: true, fields: [{ field: 'prompt', messages: [message] }] });
    }
    case 'busy':
      return new ProviderError('transient', `the proxy's queue is full (${error.message})`, { retryAfterMs: BUSY_RETRY_MS });
    case 'not_found':
      return new ProviderError('rejected', `the task it builds on no longer exists at the proxy (${error.message})`);
    case 'validation':
      return new ProviderError('rejected', error.message, field ? { fields: [{ field, messages: [error.message] }] } : {});
    case 'unsupported':
      return new ProviderError('rejected', error.message);
    case 'failure':
      return new ProviderError('refused', error.message);
    case 'auth':
      return new ProviderError('refused', `the secret was not accepted (${error.message})`);
    default:
      return new ProviderError('transient', error.message);
  }
}

const BLEND_DIMENSIONS: Record<string, MjBlendDimensions> = { portrait: 'PORTRAIT', square: 'SQUARE', landscape: 'LANDSCAPE' };

/** midjourney-proxy as the task engine uses it (libs/providers/midjourney holds the wire details). */
@Injectable()
export class MidjourneyAdapter implements ProviderAdapter {
  readonly provider = 'midjourney';
  readonly displayName = 'Midjourney';
  readonly mediaSource = MediaSource.Midjourney;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: MidjourneySettingsService,
    private readonly storage: StorageSettingsService,
  ) {}

  models(): ProviderModel[] {
    return MJ_PRICE_MODELS.map((model) => ({ model: model.id, kind: MediaKind.Image, defaultPrice: model.defaultPrice, name: model.name }));
  }

  async limits(): Promise<ProviderLimits> {
    const settings = await this.settings.effective();
    const unavailable = !settings.enabled
      ? say('Midjourney is turned off by the administrator', 'Midjourney 已被管理员关闭')
      : !settings.apiSecret || !settings.baseUrl
        ? say('Midjourney is not set up yet: an admin must enter the midjourney-proxy address and secret', 'Midjourney 尚未配置：需要管理员填写 midjourney-proxy 地址和密钥')
        : undefined;
    return { enabled: !unavailable, unavailable, maxConcurrentTasks: settings.maxConcurrentTasks, deadlineSeconds: settings.timeoutSeconds };
  }

  private async client(): Promise<MidjourneyClient> {
    const configured = await this.settings.client();
    if (!configured) throw new ProviderError('refused', 'no midjourney-proxy is configured: an admin must enter its address and secret under Admin › Midjourney');
    return configured.client;
  }

  async submit(task: AdapterTask, context: SubmitContext): Promise<ProviderUpdate> {
    const client = await this.client();
    const common = { notifyHook: context.webhookUrl ?? undefined, state: task.id };
    const input = task.input as Record<string, unknown>;
    const botType = (input.botType as MjBotType | undefined) ?? undefined;
    let submitted: MjSubmitted;
    try {
      if (task.action === 'imagine') {
        const base64Array = await this.dataUrls((input.referenceFileIds as string[] | undefined) ?? [], task.userId, 'referenceImages');
        submitted = await client.imagine({ prompt: String(input.prompt), base64Array: base64Array.length ? base64Array : undefined, botType, ...common });
      } else if (task.action === 'blend') {
        const base64Array = await this.dataUrls(input.fileIds as string[], task.userId, 'images');
        submitted = await client.blend({ base64Array, dimensions: BLEND_DIMENSIONS[String(input.dimensions ?? 'square')], botType, ...common });
      } else if (task.action === 'describe') {
        const [base64] = await this.dataUrls([input.fileId as string], task.userId, 'image');
        submitted = await client.describe({ base64, botType, ...common });
      } else if (isMjActionKey(task.action)) {
        submitted = await this.act(client, task, task.action, common);
      } else {
        throw new ProviderError('rejected', `unknown action ${task.action}`);
      }
    } catch (error) {
      throw error instanceof ProviderError ? error : translateMjError(error);
    }
    const state: MjState = { mjId: submitted.taskId, flavor: client.flavor, queuePosition: submitted.queuePosition };
    if (submitted.outcome === 'queued') return { status: 'queued', queuePosition: submitted.queuePosition, providerState: state as Record<string, unknown> };
    return { status: 'submitted', providerState: state as Record<string, unknown> };
  }

  /**
   * Presses the parent's button (trueai) or asks for the change (novicezk). A MODAL action (custom
   * zoom, vary region) is confirmed at once through /submit/modal with the request's prompt or mask.
   */
  private async act(client: MidjourneyClient, task: AdapterTask, key: MjActionKey, common: { notifyHook?: string; state: string }): Promise<MjSubmitted> {
    const parent = task.parentTaskId ? await this.dataSource.getRepository(GenerationTask).findOneBy({ id: task.parentTaskId, userId: task.userId }) : null;
    const parentState = (parent?.providerState ?? {}) as MjState;
    if (!parent || !parentState.mjId) throw new ProviderError('rejected', 'the task this action builds on no longer exists');
    const pressed = await client.act({ id: parentState.mjId, buttons: parentState.buttons ?? [] } as unknown as MjTask, key, common);
    if (!isModalAction(key) || pressed.outcome !== 'modal') return pressed;
    const input = task.input as { prompt?: string; zoom?: number; maskFileId?: string };
    let prompt = (input.prompt ?? '').trim() || (parent.prompt ?? '').trim();
    if (key === 'zoom:custom') prompt = `${prompt.replace(/(?:^|\s)--zoom\s+\S+/g, '').trim()} --zoom ${input.zoom ?? 2}`.trim();
    const maskBase64 = key === 'vary:region' && input.maskFileId ? (await this.dataUrls([input.maskFileId], task.userId, 'maskFileId'))[0] : undefined;
    const confirmed = await client.modal({ taskId: pressed.taskId, prompt, maskBase64 });
    return { ...confirmed, taskId: confirmed.taskId || pressed.taskId };
  }

  async poll(task: AdapterTask): Promise<ProviderUpdate> {
    const { mjId, flavor, queuePosition } = task.providerState as MjState;
    if (!mjId) throw new ProviderError('transient', 'the task has no proxy task yet');
    const client = await this.client();
    let found: MjTask | null;
    try {
      found = await client.fetchTask(mjId);
    } catch (error) {
      throw translateMjError(error);
    }
    // An empty answer: the proxy does not know the task (lost with its store, or expired).
    if (!found) return { status: 'failed', error: 'the midjourney-proxy no longer knows this task' };
    if (found.phase === 'canceled' && (await this.cancelingHere(task.id))) throw CANCEL_IN_PROGRESS();
    return updateFromTask(found, task.action, flavor ?? client.flavor, queuePosition ?? null);
  }

  /**
   * Whether our own cancel of the task is under way: trueai shows it as FAILURE "取消任务" at once,
   * and a poll must not end the task as failed before the cancel records it (with its refund rules).
   */
  private async cancelingHere(taskId: string): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT provider_state->>'cancelRequestedAt' AS at FROM generation_tasks WHERE id = $1`, [taskId]);
    return !!row?.at && Date.now() - Number(row.at) < CANCEL_GRACE_MS;
  }

  /** One list-by-condition call for every task of this tick; ids the proxy leaves out are polled alone by the engine. */
  async pollMany(tasks: AdapterTask[]): Promise<Map<string, ProviderUpdate | Error>> {
    const answers = new Map<string, ProviderUpdate | Error>();
    const byMjId = new Map<string, AdapterTask>();
    for (const task of tasks) {
      const mjId = (task.providerState as MjState).mjId;
      if (mjId) byMjId.set(mjId, task);
      else answers.set(task.id, new ProviderError('transient', 'the task has no proxy task yet'));
    }
    if (byMjId.size === 0) return answers;
    const client = await this.client();
    let found: MjTask[];
    try {
      found = await client.listByCondition([...byMjId.keys()]);
    } catch (error) {
      const problem = translateMjError(error);
      for (const task of byMjId.values()) answers.set(task.id, problem);
      return answers;
    }
    for (const mj of found) {
      const task = byMjId.get(mj.id);
      const state = task?.providerState as MjState | undefined;
      if (!task) continue;
      if (mj.phase === 'canceled' && (await this.cancelingHere(task.id))) answers.set(task.id, CANCEL_IN_PROGRESS());
      else answers.set(task.id, updateFromTask(mj, task.action, state?.flavor ?? client.flavor, state?.queuePosition ?? null));
    }
    return answers;
  }

  async cancel(task: AdapterTask, options: CancelOptions): Promise<CancelOutcome> {
    const { mjId } = task.providerState as MjState;
    if (!mjId) return { canceled: true };
    const client = await this.client();
    if (client.flavor !== 'trueai') return { canceled: false, reason: say('the novicezk midjourney-proxy cannot cancel a job', 'novicezk 版 midjourney-proxy 不能取消任务') };
    const finished = say('Midjourney has already finished it', 'Midjourney 已经完成了它');
    const gone = say('the proxy no longer knows this task', '代理已找不到这个任务');
    try {
      // The proxy answers 200 to any cancel: only the task's status says what happened.
      const before = await client.fetchTask(mjId);
      if (!before) return { canceled: false, reason: gone };
      if (before.phase === 'succeeded') return { canceled: false, reason: finished };
      if (before.phase === 'canceled') return { canceled: true, started: before.startTime !== null };
      if (before.phase === 'failed') return { canceled: false, reason: say('it has already failed', '它已经失败了') };
      // Midjourney bills a job it has started: stopped only when the caller accepts the loss.
      if (before.phase === 'running' && !options.acceptLoss) return { canceled: false, started: true };
      await this.dataSource.query(`UPDATE generation_tasks SET provider_state = provider_state || jsonb_build_object('cancelRequestedAt', $2::bigint) WHERE id = $1`, [task.id, Date.now()]);
      await client.cancel(mjId);
      const after = await client.fetchTask(mjId);
      if (after?.phase === 'canceled') return { canceled: true, started: before.phase === 'running' };
      if (after?.phase === 'succeeded') return { canceled: false, reason: finished };
      return { canceled: false, reason: say('the proxy did not stop it', '代理没有停止它') };
    } catch (error) {
      throw translateMjError(error);
    }
  }

  /** The proxy calls with the whole task; only a body that looks like one is worth a look. */
  acceptsWebhook(body: unknown): boolean {
    return !!body && typeof body === 'object' && ['string', 'number'].includes(typeof (body as { id?: unknown }).id);
  }

  actions(task: AdapterTask): TaskAction[] {
    const offers = (task.providerState as MjState).offers ?? [];
    return offers.flatMap((key) => {
      const entry = catalogueEntry(key);
      return entry ? [{ key, label: entry.label }] : [];
    });
  }

  /** The user's stored images as the data URLs the proxies take (midjourney-proxy.md §5.4). */
  private async dataUrls(fileIds: string[], userId: string, field: string): Promise<string[]> {
    if (fileIds.length === 0) return [];
    const files = await this.dataSource.getRepository(MediaFile).findBy({ id: In(fileIds), userId });
    const urls: string[] = [];
    for (const id of fileIds) {
      const file = files.find((candidate) => candidate.id === id);
      if (!file?.key || !file.driver) throw new ProviderError('rejected', 'an input image is no longer available', { fields: [{ field, messages: ['The input image was deleted'] }] });
      const driver = await this.storage.driverFor(file.driver);
      urls.push(toDataUrl(await buffer(await driver.read(file.key)), file.mimeType ?? 'image/png'));
    }
    return urls;
  }
}
