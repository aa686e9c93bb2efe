import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { KlingError, type KlingTask, type KlingVideoFamily, parseKlingCallback, toKlingImage } from '@atelier/providers/kling';
import { buffer } from 'node:stream/consumers';
import { DataSource } from 'typeorm';
import { say } from '../../common/language.js';
import { type AdapterTask, type ProviderAdapter, ProviderError, type ProviderLimits, PER_5_SECONDS, type ProviderModel, type ProviderUpdate, type SubmitContext } from '../scheduler/provider-adapter.js';
import { MediaFile, MediaKind, MediaSource } from '../storage/media-file.entity.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import { KLING_CATALOGUE, KLING_MODES, priceKey } from './kling-models.js';
import { apiFieldName, type KlingTaskInput, toFieldError, wireOf } from './kling-request.js';
import { checkKlingVideoInput } from '@atelier/providers/kling';
import { KlingSettingsService } from './kling-settings.service.js';

/** What the engine keeps of a Kling job, in the task's provider state. */
interface KlingState {
  klingTaskId?: string;
  /** Queries go to the family the job was submitted to (a text2video id is unknown under image2video). */
  family?: KlingVideoFamily;
}

/** Kling's error kinds in the task engine's words (kling.md §3.1). */
export function translateKlingError(error: unknown): ProviderError {
  if (!(error instanceof KlingError)) return new ProviderError('transient', (error as Error)?.message ?? String(error));
  switch (error.kind) {
    case 'busy':
    case 'retryable':
      return new ProviderError('transient', error.message);
    case 'validation': {
      const field = error.details.field ? apiFieldName(error.details.field) : undefined;
      return new ProviderError('rejected', error.message, field ? { fields: [{ field, messages: [error.message] }] } : {});
    }
    case 'policy':
      return new ProviderError('rejected', say(`Kling refused the content: ${error.message}`, `可灵拒绝了该内容：${error.message}`), { contentFlagged: error.contentFlagged });
    case 'balance':
      return new ProviderError('refused', say(`The Kling account has no balance left (${error.message})`, `可灵账户余额不足（${error.message}）`));
    case 'auth':
      return new ProviderError('refused', `the Kling keys were not accepted (${error.message})`);
    default:
      return new ProviderError('refused', error.message);
  }
}

/** Kling's video API as the task engine uses it (libs/providers/kling holds the wire details). */
@Injectable()
export class KlingAdapter implements ProviderAdapter {
  readonly provider = 'kling';
  readonly displayName = 'Kling';
  readonly mediaSource = MediaSource.Kling;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: KlingSettingsService,
    private readonly storage: StorageSettingsService,
  ) {}

  /** One priced key per model and mode (`kling-v2-6:pro`), priced per 5 seconds (kling-models.ts). */
  models(): ProviderModel[] {
    return KLING_CATALOGUE.flatMap((model) =>
      KLING_MODES.map((mode) => ({
        model: priceKey(model.id, mode),
        kind: MediaKind.Video,
        defaultPrice: model.defaultPrices[mode],
        name: { en: `${model.name.en} (${mode})`, zhCN: `${model.name.zhCN}（${mode === 'pro' ? '高品质' : '标准'}）` },
        priceUnit: PER_5_SECONDS,
      })),
    );
  }

  async limits(): Promise<ProviderLimits> {
    const settings = await this.settings.effective();
    const unavailable = !settings.enabled
      ? say('Kling is turned off by the administrator', '可灵已被管理员关闭')
      : !settings.accessKey || !settings.secretKey || !settings.baseUrl
        ? say('Kling is not set up yet: an admin must enter the AccessKey and SecretKey', '可灵尚未配置：需要管理员填写 AccessKey 和 SecretKey')
        : undefined;
    return { enabled: !unavailable, unavailable, maxConcurrentTasks: settings.maxConcurrentTasks, deadlineSeconds: settings.timeoutSeconds };
  }

  private async client() {
    const configured = await this.settings.client();
    if (!configured) throw new ProviderError('refused', 'no Kling keys are configured: an admin must enter them under Admin › Kling');
    return configured.client;
  }

  /** A stored input image as raw base64 (no `data:` prefix, gotcha §10.4). */
  private async imageOf(task: AdapterTask, fileId: string | undefined, field: string): Promise<string | undefined> {
    if (!fileId) return undefined;
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id: fileId, userId: task.userId });
    if (!file?.key || !file.driver) throw new ProviderError('rejected', 'an input image is no longer available', { fields: [{ field, messages: [say('The input image was deleted', '输入图片已被删除')] }] });
    const driver = await this.storage.driverFor(file.driver);
    return toKlingImage(await buffer(await driver.read(file.key)));
  }

  async submit(task: AdapterTask, context: SubmitContext): Promise<ProviderUpdate> {
    const input = task.input as unknown as KlingTaskInput;
    const client = await this.client();
    const images = input.family === 'image2video' ? { image: await this.imageOf(task, input.startFileId, 'startImage'), image_tail: await this.imageOf(task, input.endFileId, 'endImage') } : {};
    const wire = { ...wireOf(input, images), external_task_id: task.id, ...(context.webhookUrl ? { callback_url: context.webhookUrl } : {}) };
    const problem = checkKlingVideoInput(input.family, wire);
    if (problem) throw new ProviderError('rejected', problem.message, { fields: [toFieldError(problem, input.model)] });
    try {
      // Our task id is the job's external_task_id: a lost answer is looked up before anything is sent again.
      const { task: job } = await client.submitOnce(input.family, wire);
      return { ...this.update(job), providerState: { klingTaskId: job.id, family: input.family } satisfies KlingState };
    } catch (error) {
      throw translateKlingError(error);
    }
  }

  async poll(task: AdapterTask): Promise<ProviderUpdate> {
    const state = task.providerState as KlingState;
    const family = state.family ?? (task.input as unknown as KlingTaskInput).family;
    const client = await this.client();
    let job: KlingTask | null;
    try {
      job = state.klingTaskId ? await client.getTask(family, state.klingTaskId) : await client.getTaskByExternalId(family, task.id);
    } catch (error) {
      throw translateKlingError(error);
    }
    if (!job) return { status: 'failed', error: say('Kling no longer knows this task', '可灵已找不到这个任务') };
    return { ...this.update(job), ...(state.klingTaskId ? {} : { providerState: { klingTaskId: job.id, family } }) };
  }

  private update(job: KlingTask): ProviderUpdate {
    switch (job.phase) {
      case 'queued':
        return { status: 'queued' };
      case 'running':
        return { status: 'running' };
      case 'failed': {
        const message = job.statusMessage || 'Kling could not make the video';
        // Kling's risk control says so in its message; the user is refunded and told to change the input.
        const flagged = /risk|security|policy|sensitive/i.test(message);
        return { status: 'failed', error: message, contentFlagged: flagged };
      }
      case 'succeeded':
        if (job.videos.length === 0) return { status: 'failed', error: 'Kling finished without a video' };
        return {
          status: 'succeeded',
          outputs: job.videos.map((video) => ({
            url: video.url,
            metadata: { klingTaskId: job.id, klingVideoId: video.id, klingDuration: video.durationSeconds },
          })),
        };
    }
  }

  /** Callbacks are unsigned (§8): one only makes the task due, and the engine then asks Kling itself. */
  acceptsWebhook(body: unknown): boolean {
    return parseKlingCallback(body) !== null;
  }
}
