import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { VOLC_MODELS, VolcError, type VolcImageFacts, type VolcModel, type VolcTaskResult, type VolcVisualClient } from '@atelier/providers/volcengine';
import { buffer } from 'node:stream/consumers';
import { DataSource, In } from 'typeorm';
import { say } from '../../common/language.js';
import { type AdapterTask, type ProviderAdapter, ProviderError, type ProviderLimits, PER_5_SECONDS, type ProviderModel, type ProviderUpdate, type TaskOutput } from '../scheduler/provider-adapter.js';
import { MediaFile, MediaKind, MediaSource } from '../storage/media-file.entity.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import { isVideoModel, JIMENG_CATALOGUE } from './jimeng-models.js';
import { apiFieldName, type JimengTaskInput, resultOptions, toFieldError, wireOf } from './jimeng-request.js';
import { JimengSettingsService } from './jimeng-settings.service.js';
import { explainAdminError, unavailableReason } from './jimeng.service.js';

/** What the engine keeps of a Volcengine job, in the task's provider state. */
export interface JimengState {
  volcTaskId?: string;
  /** The req_key the job was submitted with: GetResult must name the same one (§6), whatever the overrides say later. */
  reqKey?: string;
  /** Resends after an output moderation refusal the table allows one retry for (50511/50516/50517/50519). */
  resends?: number;
  /** GetResult answers 50500/50501 in a row: a done job that failed inside Volcengine, or a hiccup. */
  internalErrors?: number;
}

/** 50430 (the account's concurrent jobs are used up): hold new submissions this long. */
export const CONCURRENCY_HOLD_MS = 30_000;
/** 50429 (QPS): ask again after this. */
const RATE_LIMIT_RETRY_MS = 5_000;
/** GetResult 50500/50501 this many times in a row ends the task (refunded). */
const MAX_INTERNAL_ERRORS = 3;
/** Output moderation refusals the table allows one resend for. */
const MAX_RESENDS = 1;

/**
 * Volcengine's errors in the task engine's words (jimeng-volcengine.md §3.2, the table):
 * moderation → rejected with contentFlagged; 50429/5xx → try later; 50430 → try later and hold the
 * provider; 50400 and gateway refusals → refused, worded for the admin; our field checks → 400.
 */
export function translateVolcError(error: unknown, input?: Pick<JimengTaskInput, 'imageFields' | 'model'>): ProviderError {
  if (!(error instanceof VolcError)) return new ProviderError('transient', (error as Error)?.message ?? String(error));
  switch (error.kind) {
    case 'busy':
      return error.concurrencyLimited
        ? new ProviderError('transient', error.message, { retryAfterMs: CONCURRENCY_HOLD_MS, holdProviderMs: CONCURRENCY_HOLD_MS })
        : new ProviderError('transient', error.message, { retryAfterMs: RATE_LIMIT_RETRY_MS });
    case 'retryable':
      return new ProviderError('transient', error.message);
    case 'policy':
      return new ProviderError('rejected', say(`Volcengine refused the content (${error.details.code}): ${error.message}`, `火山引擎内容审核未通过（${error.details.code}）：${error.message}`), { contentFlagged: true });
    case 'validation': {
      if (error.details.field && input) return new ProviderError('rejected', error.message, { fields: [toFieldError({ field: error.details.field, message: error.message, allowed: error.details.allowed }, input)] });
      const field = error.details.field ? apiFieldName(error.details.field, input ?? {}) : undefined;
      return new ProviderError('rejected', error.message, field ? { fields: [{ field, messages: [error.message] }] } : {});
    }
    case 'auth':
      return new ProviderError('refused', explainAdminError(error, '').message);
    case 'gone':
      return new ProviderError('refused', error.message);
    default:
      return new ProviderError('refused', error.message);
  }
}

/** Jimeng on Volcengine's visual API as the task engine uses it: polling only (there are no callbacks). */
@Injectable()
export class JimengAdapter implements ProviderAdapter {
  readonly provider = 'jimeng';
  readonly displayName = 'Jimeng';
  readonly mediaSource = MediaSource.Jimeng;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: JimengSettingsService,
    private readonly storage: StorageSettingsService,
  ) {}

  /** One priced key per model (its id): videos per 5 seconds, images per request. */
  models(): ProviderModel[] {
    return JIMENG_CATALOGUE.map((model) => {
      const video = isVideoModel(model.id);
      return {
        model: model.id,
        kind: video ? MediaKind.Video : MediaKind.Image,
        defaultPrice: model.defaultPrice,
        name: model.name,
        ...(video ? { priceUnit: PER_5_SECONDS } : {}),
      };
    });
  }

  async limits(): Promise<ProviderLimits> {
    const settings = await this.settings.effective();
    const unavailable = unavailableReason(settings) ?? undefined;
    return { enabled: !unavailable, unavailable, maxConcurrentTasks: settings.maxConcurrentTasks, deadlineSeconds: settings.timeoutSeconds };
  }

  private async configured() {
    const configured = await this.settings.client();
    if (!configured) throw new ProviderError('refused', 'no Volcengine keys are configured: an admin must enter them under Admin › Jimeng');
    return configured;
  }

  /**
   * The task's stored images for the wire: their URLs when storage serves them publicly (COS),
   * which Volcengine fetches itself; otherwise raw base64 (no `data:` prefix, gotcha §7.5). One
   * request carries one of the two, never both.
   */
  private async images(task: AdapterTask, input: JimengTaskInput): Promise<{ images: { base64?: string[]; urls?: string[] }; facts: VolcImageFacts[] }> {
    const ids = input.imageFileIds ?? [];
    if (ids.length === 0) return { images: {}, facts: [] };
    const files = await this.dataSource.getRepository(MediaFile).findBy({ id: In(ids), userId: task.userId });
    const ordered = ids.map((id, index) => {
      const file = files.find((candidate) => candidate.id === id);
      const field = input.imageFields?.[index] ?? 'image';
      if (!file?.key || !file.driver) throw new ProviderError('rejected', 'an input image is no longer available', { fields: [{ field, messages: [say('The input image was deleted', '输入图片已被删除')] }] });
      return file;
    });
    const facts = ordered.map((file) => ({ bytes: Number(file.size ?? 0), width: file.width ?? undefined, height: file.height ?? undefined }));
    const drivers = await Promise.all(ordered.map((file) => this.storage.driverFor(file.driver!)));
    if (drivers.every((driver, index) => driver.publiclyReachable && /^https?:\/\//.test(ordered[index].url ?? ''))) {
      return { images: { urls: ordered.map((file) => file.url!) }, facts };
    }
    const base64 = await Promise.all(ordered.map(async (file, index) => (await buffer(await drivers[index].read(file.key!))).toString('base64')));
    return { images: { base64 }, facts };
  }

  async submit(task: AdapterTask): Promise<ProviderUpdate> {
    const input = task.input as unknown as JimengTaskInput;
    const { client } = await this.configured();
    const { images, facts } = await this.images(task, input);
    const submitted = await this.send(client, input, wireOf(input, images), facts);
    return { status: 'submitted', providerState: { volcTaskId: submitted.taskId, reqKey: submitted.reqKey, resends: 0, internalErrors: 0 } satisfies JimengState };
  }

  private async send(client: VolcVisualClient, input: JimengTaskInput, wire: ReturnType<typeof wireOf>, facts: VolcImageFacts[]) {
    try {
      return await client.submit(input.model, wire, facts);
    } catch (error) {
      throw translateVolcError(error, input);
    }
  }

  async poll(task: AdapterTask): Promise<ProviderUpdate> {
    const state = task.providerState as JimengState;
    const input = task.input as unknown as JimengTaskInput;
    const { client, settings } = await this.configured();
    // A task recorded before the req_key was kept: the model's req_key now.
    const reqKey = state.reqKey ?? client.reqKeyOf(input.model);
    if (!state.volcTaskId) return { status: 'failed', error: say('The Volcengine task id was lost', '火山引擎任务 ID 丢失') };
    const kind = VOLC_MODELS[input.model as VolcModel]?.kind ?? 'image';
    let result: VolcTaskResult;
    try {
      result = await client.result(reqKey, state.volcTaskId, { returnUrl: true, reqJson: resultOptions(kind, settings) });
    } catch (error) {
      return this.pollFailed(task, error, state, input);
    }
    const reset = state.internalErrors ? { providerState: { internalErrors: 0 } } : {};
    if (!result.terminal) return { status: result.phase === 'queued' ? 'queued' : 'running', ...reset };
    return { status: 'succeeded', outputs: this.outputs(result), ...reset };
  }

  /** A GetResult error: end the task where it cannot get better, resend once where the table allows, else ask again later. */
  private async pollFailed(task: AdapterTask, error: unknown, state: JimengState, input: JimengTaskInput): Promise<ProviderUpdate> {
    if (!(error instanceof VolcError)) throw translateVolcError(error, input);
    switch (error.kind) {
      case 'gone':
        return { status: 'failed', error: say(`Volcengine no longer knows this task (${error.message}); it was refunded`, `火山引擎已找不到该任务（${error.message}），已退还积分`) };
      case 'policy': {
        const resends = state.resends ?? 0;
        if (error.retryLimit > 0 && resends < MAX_RESENDS) {
          // The output was refused (50511 …): the table allows one new generation, which may pass.
          try {
            const { client } = await this.configured();
            const { images, facts } = await this.images(task, input);
            const submitted = await this.send(client, input, wireOf(input, images), facts);
            return { status: 'submitted', progress: 0, providerState: { volcTaskId: submitted.taskId, reqKey: submitted.reqKey, resends: resends + 1, internalErrors: 0 } satisfies JimengState };
          } catch (resendError) {
            // A resend refused for good (its input image deleted, its input flagged, the keys refused) ends the
            // task now: thrown from a poll it would only be asked again, resending again, until the deadline.
            if (resendError instanceof ProviderError && resendError.kind !== 'transient') {
              return { status: 'failed', contentFlagged: resendError.options.contentFlagged === true, error: resendError.message };
            }
            throw resendError;
          }
        }
        return { status: 'failed', contentFlagged: true, error: translateVolcError(error, input).message };
      }
      case 'retryable': {
        if (error.details.code !== 50500 && error.details.code !== 50501) throw translateVolcError(error, input);
        // A done job that failed inside Volcengine answers 50500 on every ask; a hiccup does not repeat.
        const internalErrors = (state.internalErrors ?? 0) + 1;
        if (internalErrors >= MAX_INTERNAL_ERRORS) return { status: 'failed', error: say(`Volcengine could not make it (${error.details.code}: ${error.message})`, `火山引擎生成失败（${error.details.code}：${error.message}）`) };
        return { status: 'running', providerState: { internalErrors } };
      }
      case 'validation':
      case 'unexpected':
        return { status: 'failed', error: error.message };
      default:
        // busy, auth: the engine asks again later (an admin may fix the keys before the deadline).
        throw translateVolcError(error, input);
    }
  }

  private outputs(result: VolcTaskResult): TaskOutput[] {
    const metadata = { volcTaskId: result.taskId, reqKey: result.reqKey };
    if (result.videoUrl) return [{ url: result.videoUrl, metadata }];
    if (result.imageUrls.length) return result.imageUrls.map((url) => ({ url, metadata }));
    // Images as raw base64 (return_url not honoured): stored from the bytes, there is no link.
    return result.imagesBase64.map((data) => ({ url: `data:${sniffImageType(data)};base64,${data}`, metadata }));
  }
}

/** JPEG (`/9j/`) or PNG (`iVBOR`) from the first base64 characters; JPEG when unsure (3.x answers JPEG). */
function sniffImageType(base64: string): string {
  if (base64.startsWith('iVBOR')) return 'image/png';
  if (base64.startsWith('UklGR')) return 'image/webp';
  return 'image/jpeg';
}
