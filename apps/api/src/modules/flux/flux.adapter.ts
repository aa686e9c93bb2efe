import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FalError, type FalQueueHandle } from '@atelier/providers/fal';
import { buffer } from 'node:stream/consumers';
import { DataSource, In } from 'typeorm';
import { say } from '../../common/language.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import {
  type AdapterTask,
  type CancelOptions,
  type CancelOutcome,
  type ProviderAdapter,
  ProviderError,
  type ProviderLimits,
  type ProviderModel,
  type ProviderUpdate,
} from '../scheduler/provider-adapter.js';
import { MediaFile, MediaKind, MediaSource } from '../storage/media-file.entity.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import { findFluxModel, FLUX_MODELS } from './flux-models.js';
import { checkParameters } from './flux-request.js';
import { FluxSettingsService } from './flux-settings.service.js';

/** What the engine keeps of a fal request, in the task's provider state. */
interface FalState {
  request?: FalQueueHandle;
}

const SNAKE_TO_CAMEL: Record<string, string> = {
  image_url: 'imageUrl',
  image_urls: 'imageUrls',
  image_size: 'imageSize',
  num_images: 'numImages',
  guidance_scale: 'guidanceScale',
  num_inference_steps: 'numInferenceSteps',
  output_format: 'outputFormat',
  enable_safety_checker: 'enableSafetyChecker',
  safety_tolerance: 'safetyTolerance',
  enhance_prompt: 'enhancePrompt',
  aspect_ratio: 'aspectRatio',
};

/** fal's field names in our API's words: `image_size.width` → `imageSize.width`. */
export function apiFieldName(falField: string): string {
  const [head, ...rest] = falField.split('.');
  return [SNAKE_TO_CAMEL[head] ?? head, ...rest].join('.');
}

/** "Step 14/28" in fal's logs → 50. */
export function progressFromLogs(logs: Array<{ message: string }>): number | undefined {
  for (let i = logs.length - 1; i >= 0; i--) {
    const match = /(\d+)\s*\/\s*(\d+)/.exec(logs[i].message);
    if (match && Number(match[2]) > 0) return Math.min(99, Math.round((Number(match[1]) / Number(match[2])) * 100));
  }
  return undefined;
}

/** The fal queue protocol as the task engine uses it (libs/providers/fal holds the wire details). */
@Injectable()
export class FluxAdapter implements ProviderAdapter {
  readonly provider = 'flux';
  readonly displayName = 'FLUX (fal.ai)';
  readonly mediaSource = MediaSource.Flux;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: FluxSettingsService,
    private readonly storage: StorageSettingsService,
    private readonly sandbox: SandboxLocator,
  ) {}

  models(): ProviderModel[] {
    return FLUX_MODELS.map((model) => ({ model: model.id, kind: MediaKind.Image, defaultPrice: model.defaultPrice, name: model.name }));
  }

  async limits(): Promise<ProviderLimits> {
    const settings = await this.settings.effective();
    const unavailable = !settings.enabled
      ? say('Flux is turned off by the administrator', 'Flux 已被管理员关闭')
      : !settings.apiKey
        ? say('Flux is not set up yet: an admin must enter the fal.ai API key', 'Flux 尚未配置：需要管理员填写 fal.ai API 密钥')
        : undefined;
    return { enabled: !unavailable, unavailable, maxConcurrentTasks: settings.maxConcurrentTasks, deadlineSeconds: settings.timeoutSeconds };
  }

  private async client() {
    const configured = await this.settings.client();
    if (!configured) throw new ProviderError('refused', 'no API key is configured: an admin must enter one under Admin › Flux');
    return configured;
  }

  private translate(error: unknown): ProviderError {
    if (!(error instanceof FalError)) return new ProviderError('transient', (error as Error).message ?? String(error));
    switch (error.kind) {
      case 'validation':
        return new ProviderError('rejected', error.message, {
          fields: (error.details.fields ?? []).map((field) => ({ field: apiFieldName(field.field), messages: [field.message] })),
        });
      case 'auth':
        return new ProviderError('refused', `the API key was not accepted (${error.message})`);
      case 'retryable':
        return new ProviderError('transient', error.message, { retryAfterMs: error.details.retryAfterMs });
      default:
        return new ProviderError('refused', error.message);
    }
  }

  async submit(task: AdapterTask, context: { webhookUrl: string | null }): Promise<ProviderUpdate> {
    const { client } = await this.client();
    const model = findFluxModel(task.model);
    if (!model) throw new ProviderError('rejected', `unknown model ${task.model}`);
    // The request was checked when it was made; checking again turns it into fal's words.
    const { fileIds = [], prompt, ...parameters } = task.input as { fileIds?: string[]; prompt?: string } & Record<string, unknown>;
    const { problems, wire } = checkParameters(model, prompt, parameters);
    if (problems.length) throw new ProviderError('rejected', problems.flatMap((problem) => problem.messages).join('; '), { fields: problems });
    const images = await this.readableUrls(fileIds, task.userId);
    if (model.imageInput === 'single') wire.image_url = images[0];
    if (model.imageInput === 'multi') wire.image_urls = images;
    try {
      const request = await client.submit(model.id, wire, { webhookUrl: context.webhookUrl });
      const state: FalState = { request: { requestId: request.requestId, statusUrl: request.statusUrl, responseUrl: request.responseUrl, cancelUrl: request.cancelUrl } };
      return { status: 'queued', queuePosition: request.queuePosition, providerState: state as Record<string, unknown> };
    } catch (error) {
      throw this.translate(error);
    }
  }

  async poll(task: AdapterTask): Promise<ProviderUpdate> {
    const request = (task.providerState as FalState).request;
    if (!request) throw new ProviderError('transient', 'the task has no fal request yet');
    const { client } = await this.client();
    try {
      const status = await client.status(request, { logs: true });
      if (status.status === 'IN_QUEUE') return { status: 'queued', queuePosition: status.queuePosition };
      if (status.status === 'IN_PROGRESS') return { status: 'running', progress: progressFromLogs(status.logs) };
    } catch (error) {
      throw this.translate(error);
    }
    // COMPLETED only says it finished: the result says whether it worked.
    try {
      const result = await client.result(request);
      if (result.images.length === 0) return { status: 'failed', error: 'fal.ai finished without any image' };
      return {
        status: 'succeeded',
        outputs: result.images.map((image, index) => ({
          url: image.url,
          metadata: { seed: result.seed, hasNsfwConcepts: result.hasNsfwConcepts[index] ?? false, falRequestId: request.requestId },
        })),
      };
    } catch (error) {
      if (error instanceof FalError && (error.kind === 'validation' || error.kind === 'final')) {
        const policy = error.details.fields?.some((field) => field.type === 'content_policy_violation');
        return { status: 'failed', error: policy ? `the content was flagged by the safety checker: ${error.message}` : error.message, contentFlagged: !!policy };
      }
      throw this.translate(error);
    }
  }

  async cancel(task: AdapterTask, options: CancelOptions): Promise<CancelOutcome> {
    const request = (task.providerState as FalState).request;
    if (!request) return { canceled: true };
    const { client } = await this.client();
    const gone = say('fal.ai no longer knows this request', 'fal.ai 已找不到这个请求');
    const finished = say('fal.ai has already finished it', 'fal.ai 已经完成了它');
    try {
      // fal's answer to a cancel does not say whether the job had started (and is billed): its status does.
      const before = await client.status(request);
      if (before.status === 'COMPLETED') return { canceled: false, reason: finished };
      // Decided before fal is asked to stop it: a started job is billed whether or not it is stopped.
      if (before.status === 'IN_PROGRESS' && !options.acceptLoss) return { canceled: false, started: true };
      const outcome = await client.cancel(request);
      if (outcome === 'CANCELLATION_REQUESTED') return { canceled: true, started: before.status === 'IN_PROGRESS' };
      return { canceled: false, reason: outcome === 'ALREADY_COMPLETED' ? finished : gone };
    } catch (error) {
      if (error instanceof FalError && error.details.status === 404) return { canceled: false, reason: gone };
      throw this.translate(error);
    }
  }

  /**
   * URLs fal can read for our stored input images: our public URL when storage has one fal can
   * reach (or the in-process sandbox is the one reading), otherwise the bytes as a data URI.
   */
  private async readableUrls(fileIds: string[], userId: string): Promise<string[]> {
    if (fileIds.length === 0) return [];
    const files = await this.dataSource.getRepository(MediaFile).findBy({ id: In(fileIds), userId });
    const settings = await this.settings.effective();
    const urls: string[] = [];
    for (const id of fileIds) {
      const file = files.find((candidate) => candidate.id === id);
      if (!file?.url || !file.key || !file.driver) throw new ProviderError('rejected', 'an input image is no longer available', { fields: [{ field: 'fileId', messages: ['The input image was deleted'] }] });
      const driver = await this.storage.driverFor(file.driver);
      if (/^https?:\/\//.test(file.url) && (driver.publiclyReachable || settings.usesSandbox)) urls.push(file.url);
      else if (file.url.startsWith('/') && this.config.publicUrl) urls.push(`${this.config.publicUrl}${file.url}`);
      else if (file.url.startsWith('/') && settings.usesSandbox) urls.push(`http://127.0.0.1:${this.sandbox.port()}${file.url}`);
      else urls.push(`data:${file.mimeType ?? 'image/png'};base64,${(await buffer(await driver.read(file.key))).toString('base64')}`);
    }
    return urls;
  }
}
