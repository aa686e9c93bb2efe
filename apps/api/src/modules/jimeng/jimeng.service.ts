import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { checkVolcImage, VOLC_MODELS, VOLC_PROMPT_MAX, VolcError, type VolcModel } from '@atelier/providers/volcengine';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import sharp, { type Metadata } from 'sharp';
import { DataSource } from 'typeorm';
import { type FieldError, FieldValidationException, fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { ProviderTasks } from '../history/provider-tasks.service.js';
import type { CancelResultDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { PricesService } from '../scheduler/prices.service.js';
import { TasksService } from '../scheduler/tasks.service.js';
import { FetchRefusedError } from '../storage/guarded-fetcher.js';
import { IngestService } from '../storage/ingest.service.js';
import { MediaFile, MediaKind, MediaSource, MediaStatus } from '../storage/media-file.entity.js';
import { MediaFilesService } from '../storage/media-files.service.js';
import { StorageSettingsService } from '../storage/storage-settings.service.js';
import {
  type CheckJimengConfigDto,
  JIMENG_ROUTE_MODELS,
  type JimengHealthDto,
  type JimengHistoryQueryDto,
  type JimengImageRefDto,
  type JimengImageToImageDto,
  type JimengImageToVideoDto,
  type JimengInpaintDto,
  type JimengModelsDto,
  type JimengTextToImageDto,
  type JimengTextToVideoDto,
  type JimengUserConfigDto,
} from './dto/jimeng.dto.js';
import {
  aspectRatiosOf,
  DEFAULT_JIMENG_IMAGE_MODEL,
  DEFAULT_JIMENG_VIDEO_MODEL,
  isFirstTail,
  isVideoModel,
  JIMENG_CATALOGUE,
  JIMENG_DEFAULT_STRENGTH,
  routesOf,
  sizeOf,
  takesPromptExpansion,
  takesReferenceImages,
  takesStrength,
  unitsFor,
} from './jimeng-models.js';
import { checkTaskInput, type JimengTaskInput } from './jimeng-request.js';
import { type EffectiveJimengSettings, JimengSettingsService } from './jimeng-settings.service.js';

/** Input images Volcengine takes (§4): JPEG or PNG within VOLC_IMAGE_LIMITS. */
const INPUT_TYPES = ['image/jpeg', 'image/png'];
/** Copying in an outside image: up to 20 MB, so an image just over Volcengine's 4.7 MB gets our clear 400, not a download error. */
const INPUT_LIMITS = { maxBytes: 20 * 1024 * 1024, allowedTypes: INPUT_TYPES };
/** A mask may also be WebP (it is converted to PNG with the image's size). */
const MASK_LIMITS = { maxBytes: 10 * 1024 * 1024, allowedTypes: ['image/jpeg', 'image/png', 'image/webp'] };

/** The GetResult of a task id that cannot exist: it spends nothing and shows whether the keys and clock pass the gateway. */
const PROBE_MODEL = 'jimeng-image-t2i-3.1';
const PROBE_TASK_ID = '0';

/** What the Jimeng routes do: settings, catalogue, submission through the task engine, and its tasks. */
@Injectable()
export class JimengService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: JimengSettingsService,
    private readonly tasks: TasksService,
    private readonly prices: PricesService,
    private readonly ingest: IngestService,
    private readonly providerTasks: ProviderTasks,
    private readonly storage: StorageSettingsService,
    private readonly mediaFiles: MediaFilesService,
  ) {}

  // ------------------------------------------------------------ settings and catalogue

  async userConfig(): Promise<JimengUserConfigDto> {
    const settings = await this.settings.effective();
    return {
      enabled: !unavailableReason(settings),
      sandbox: settings.usesSandbox,
      defaultImageModel: DEFAULT_JIMENG_IMAGE_MODEL,
      defaultVideoModel: DEFAULT_JIMENG_VIDEO_MODEL,
      unavailable: unavailableReason(settings),
    };
  }

  async models(): Promise<JimengModelsDto> {
    const prices = await this.prices.pricesOf('jimeng');
    return {
      models: JIMENG_CATALOGUE.map((model) => {
        const spec = VOLC_MODELS[model.id];
        const video = isVideoModel(model.id);
        const credits = prices.get(model.id) ?? model.defaultPrice;
        return {
          id: model.id,
          kind: spec.kind,
          routes: routesOf(model.id),
          name: model.name.en,
          nameZhCN: model.name.zhCN,
          resolution: model.resolution,
          images: { min: spec.images.min, max: spec.images.max },
          promptRequired: spec.promptRequired,
          promptMaxLength: VOLC_PROMPT_MAX,
          durations: video ? [5, 10] : [],
          aspectRatios: aspectRatiosOf(model.id),
          size: sizeOf(model.id),
          strength: takesStrength(model.id) ? { min: 0, max: 1, default: JIMENG_DEFAULT_STRENGTH } : null,
          promptExpansion: takesPromptExpansion(model.id),
          multipleOutputs: model.id === 'jimeng-image-seedream-4.0',
          price: {
            priceKey: model.id,
            unit: video ? 'per5Seconds' : 'perRequest',
            credits,
            defaultCredits: model.defaultPrice,
            byDuration: (video ? { '5': credits, '10': credits * 2 } : {}) as Record<string, number>,
          },
        };
      }),
    };
  }

  /** An admin's check of connection settings before saving them: one GetResult for a task that cannot exist. */
  async checkCandidate(dto: CheckJimengConfigDto): Promise<JimengHealthDto> {
    return this.checkHealth(await this.settings.candidate(dto));
  }

  private async checkHealth(settings: EffectiveJimengSettings): Promise<JimengHealthDto> {
    const usesSandbox = settings.usesSandbox;
    const configured = await this.settings.client(settings);
    if (!configured) return { ok: false, reason: 'no_key', message: say('The AccessKeyId or SecretAccessKey is missing', '尚未配置 AccessKeyId 或 SecretAccessKey'), latencyMs: null, usesSandbox };
    const started = Date.now();
    try {
      // An unknown task answers not_found (a `gone` error): the gateway took the signature and the key.
      // Under the req_key in use (an override counts): an inactive capability answers 50400.
      await configured.client.result(configured.client.reqKeyOf(PROBE_MODEL), PROBE_TASK_ID);
      return this.healthy(settings, Date.now() - started);
    } catch (error) {
      const latencyMs = Date.now() - started;
      if (error instanceof VolcError && error.kind === 'gone') return this.healthy(settings, latencyMs);
      const { reason, message } = explainAdminError(error, settings.baseUrl);
      return { ok: false, reason, message, latencyMs, usesSandbox };
    }
  }

  private healthy(settings: EffectiveJimengSettings, latencyMs: number): JimengHealthDto {
    return { ok: true, reason: null, message: say(`Reached ${settings.baseUrl} and the keys were accepted`, `已连接 ${settings.baseUrl}，密钥有效`), latencyMs, usesSandbox: settings.usesSandbox };
  }

  // ------------------------------------------------------------ submissions

  async textToVideo(userId: string, dto: JimengTextToVideoDto): Promise<TaskDto> {
    const input = this.checked({ route: 'text-to-video', model: dto.model as VolcModel, prompt: dto.prompt.trim(), seed: dto.seed, duration: dto.duration ?? 5, aspectRatio: dto.aspectRatio ?? '16:9' });
    return this.submit(userId, input);
  }

  async imageToVideo(userId: string, dto: JimengImageToVideoDto): Promise<TaskDto> {
    const model = dto.model as VolcModel;
    if (isFirstTail(model) && !dto.lastFrame) throw fieldError('lastFrame', say(`${model} needs lastFrame (the last frame)`, `${model} 需要 lastFrame（尾帧）`));
    if (!isFirstTail(model) && dto.lastFrame) throw fieldError('lastFrame', say(`${model} takes only firstFrame: leave lastFrame out (or pick a first-tail model)`, `${model} 只接受 firstFrame：请去掉 lastFrame（或选择首尾帧模型）`));
    const fields = dto.lastFrame ? ['firstFrame', 'lastFrame'] : ['firstFrame'];
    const input = this.checked({ route: 'image-to-video', model, prompt: dto.prompt?.trim() || undefined, seed: dto.seed, duration: dto.duration ?? 5, imageFileIds: fields.map(() => 'pending'), imageFields: fields });
    await this.canSubmit(userId, input);
    input.imageFileIds = [await this.inputImage(userId, dto.firstFrame, 'firstFrame')];
    if (dto.lastFrame) input.imageFileIds.push(await this.inputImage(userId, dto.lastFrame, 'lastFrame'));
    return this.submit(userId, input);
  }

  async textToImage(userId: string, dto: JimengTextToImageDto): Promise<TaskDto> {
    const model = dto.model as VolcModel;
    const problems: FieldError[] = [];
    const refuse = (field: string, en: string, zh: string) => problems.push({ field, messages: [say(en, zh)] });
    if (dto.promptExpansion !== undefined && !takesPromptExpansion(model)) refuse('promptExpansion', `${model} takes no promptExpansion: leave it out`, `${model} 不支持 promptExpansion，请去掉该字段`);
    if (dto.referenceImages?.length && !takesReferenceImages(model)) refuse('referenceImages', `only jimeng-image-seedream-4.0 takes referenceImages`, `只有 jimeng-image-seedream-4.0 支持 referenceImages`);
    if (dto.strength !== undefined && model !== 'jimeng-image-seedream-4.0') refuse('strength', `only jimeng-image-seedream-4.0 takes strength here`, `这里只有 jimeng-image-seedream-4.0 支持 strength`);
    if (dto.forceSingle !== undefined && model !== 'jimeng-image-seedream-4.0') refuse('forceSingle', `only jimeng-image-seedream-4.0 takes forceSingle`, `只有 jimeng-image-seedream-4.0 支持 forceSingle`);
    if (problems.length) throw new FieldValidationException(problems);
    const references = dto.referenceImages ?? [];
    const fields = references.map((_, index) => `referenceImages[${index}]`);
    const input = this.checked({
      route: 'text-to-image',
      model,
      prompt: dto.prompt.trim(),
      seed: dto.seed,
      width: dto.width,
      height: dto.height,
      promptExpansion: dto.promptExpansion,
      strength: dto.strength,
      forceSingle: dto.forceSingle,
      ...(references.length ? { imageFileIds: fields.map(() => 'pending'), imageFields: fields } : {}),
    });
    if (references.length) {
      await this.canSubmit(userId, input);
      input.imageFileIds = [];
      for (const [index, reference] of references.entries()) input.imageFileIds.push(await this.inputImage(userId, reference, fields[index]));
    }
    return this.submit(userId, input);
  }

  async imageToImage(userId: string, dto: JimengImageToImageDto): Promise<TaskDto> {
    const model = (dto.model ?? JIMENG_ROUTE_MODELS['image-to-image'][0]) as VolcModel;
    const input = this.checked({ route: 'image-to-image', model, prompt: dto.prompt.trim(), seed: dto.seed, width: dto.width, height: dto.height, strength: dto.strength ?? JIMENG_DEFAULT_STRENGTH, imageFileIds: ['pending'], imageFields: ['image'] });
    await this.canSubmit(userId, input);
    input.imageFileIds = [await this.inputImage(userId, dto.image, 'image')];
    return this.submit(userId, input);
  }

  async inpaint(userId: string, dto: JimengInpaintDto): Promise<TaskDto> {
    const model = (dto.model ?? JIMENG_ROUTE_MODELS.inpaint[0]) as VolcModel;
    if (!dto.maskFileId === !dto.maskDataUrl) throw fieldError('maskFileId', say('inpaint needs a mask: send maskFileId or maskDataUrl (one of them)', '局部重绘需要蒙版：请发送 maskFileId 或 maskDataUrl（二选一）'));
    const maskField = dto.maskFileId ? 'maskFileId' : 'maskDataUrl';
    const input = this.checked({ route: 'inpaint', model, prompt: dto.prompt.trim(), seed: dto.seed, imageFileIds: ['pending', 'pending'], imageFields: ['image', maskField] });
    await this.canSubmit(userId, input);
    const image = await this.inputFile(userId, dto.image, 'image');
    const stored = dto.maskDataUrl ? await this.storeMask(userId, dto.maskDataUrl) : null;
    const mask = stored ?? (await this.ownFile(userId, dto.maskFileId!, 'maskFileId', MASK_LIMITS.allowedTypes));
    try {
      input.imageFileIds = [image.id, await this.maskFor(userId, image, mask, maskField)];
    } catch (error) {
      // A refused mask sent as a data URL leaves no file of it behind in the user's files.
      if (stored) await this.mediaFiles.delete(userId, stored.id);
      throw error;
    }
    return this.submit(userId, input);
  }

  /** The task input, or a 400 naming the first field the model's rules refuse. */
  private checked(input: JimengTaskInput): JimengTaskInput {
    const clean = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as unknown as JimengTaskInput;
    const problem = checkTaskInput(clean);
    if (problem) throw new FieldValidationException([problem]);
    return clean;
  }

  /** 503 / 402 before copying in images for a task that could not go through. */
  private canSubmit(userId: string, input: JimengTaskInput): Promise<void> {
    return this.tasks.checkCanSubmit(userId, 'jimeng', input.model, unitsFor(input.model, input.duration));
  }

  private submit(userId: string, input: JimengTaskInput): Promise<TaskDto> {
    return this.tasks.submit(userId, {
      provider: 'jimeng',
      model: input.model,
      kind: isVideoModel(input.model) ? MediaKind.Video : MediaKind.Image,
      action: input.route,
      prompt: input.prompt ?? null,
      input: input as unknown as Record<string, unknown>,
      units: unitsFor(input.model, input.duration),
    });
  }

  // ------------------------------------------------------------ input images

  /** One input image as one of the user's stored images Volcengine takes; its id. */
  private async inputImage(userId: string, ref: JimengImageRefDto, field: string): Promise<string> {
    return (await this.inputFile(userId, ref, field)).id;
  }

  private async inputFile(userId: string, ref: JimengImageRefDto, field: string): Promise<MediaFile> {
    const given = [ref.fileId, ref.url].filter((value) => value !== undefined && value !== '').length;
    if (given !== 1) throw fieldError(field, say(`${field} needs exactly one of fileId or url`, `${field} 需要且只能提供 fileId 或 url 之一`));
    let file: MediaFile | null;
    if (ref.fileId) file = await this.ownFile(userId, ref.fileId, `${field}.fileId`, null);
    else {
      const url = ref.url!;
      const files = this.dataSource.getRepository(MediaFile);
      file = await files.findOne({
        where: [
          { userId, url, status: MediaStatus.Stored },
          { userId, url: url.replace(/^https?:\/\/[^/]+(?=\/media\/)/i, ''), status: MediaStatus.Stored },
        ],
      });
      if (!file) {
        if (!/^https?:\/\//i.test(url)) throw fieldError(`${field}.url`, say(`${field}.url must be an http(s) URL or one of your images`, `${field}.url 必须是 http(s) 地址或你的图片`));
        try {
          file = await this.ingest.ingestInput(url, { userId, source: MediaSource.Upload, metadata: { purpose: 'jimeng-input' } }, INPUT_LIMITS);
        } catch (error) {
          if (error instanceof FetchRefusedError) throw fieldError(`${field}.url`, say(`${field}.url could not be fetched: ${error.message}`, `${field}.url 无法下载：${error.message}`));
          throw fieldError(`${field}.url`, `${field}.url: ${(error as Error).message}`);
        }
      }
    }
    const problem = await this.imageProblem(file, field);
    if (problem) throw fieldError(field, problem);
    return file;
  }

  private async ownFile(userId: string, fileId: string, field: string, types: string[] | null): Promise<MediaFile> {
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id: fileId, userId, status: MediaStatus.Stored });
    if (!file) throw fieldError(field, say(`${field} is not one of your stored images`, `${field} 不在你已保存的图片中（可能已被删除）`));
    if (types && (file.kind !== MediaKind.Image || !types.includes(file.mimeType ?? ''))) throw fieldError(field, say(`${field} must be a PNG, JPEG or WebP image`, `${field} 必须是 PNG、JPEG 或 WebP 图片`));
    return file;
  }

  /** Whether a stored image is one Volcengine takes (§4: JPEG/PNG, 4.7 MB, 4096 px, short side 320, ratio 3); the problem in the request's language. */
  private async imageProblem(file: MediaFile, field: string): Promise<string | null> {
    if (file.kind !== MediaKind.Image || !INPUT_TYPES.includes(file.mimeType ?? '')) return say(`${field} must be a JPG or PNG image`, `${field} 必须是 JPG 或 PNG 图片`);
    const { width, height } = await this.dimensions(file);
    const problem = checkVolcImage(field, { bytes: Number(file.size ?? 0), width, height });
    if (!problem) return null;
    const size = width && height ? ` (${width}×${height} px, ${(Number(file.size ?? 0) / 1024 / 1024).toFixed(1)} MB)` : '';
    return say(`${problem.message}${size}`, `图片（${field}）不符合要求：JPG/PNG，不超过 4.7 MB，每边不超过 4096 像素，短边至少 320 像素，长宽比不超过 3${size}`);
  }

  /** The image's size: as recorded at upload, or read with sharp from storage. */
  private async dimensions(file: MediaFile): Promise<{ width?: number; height?: number }> {
    if (file.width && file.height) return { width: file.width, height: file.height };
    const meta = await sharp(await this.bytesOf(file)).metadata();
    return { width: meta.width, height: meta.height };
  }

  private async bytesOf(file: MediaFile): Promise<Buffer> {
    if (!file.driver || !file.key) throw new Error('the file is not stored');
    const driver = await this.storage.driverFor(file.driver);
    return buffer(await driver.read(file.key));
  }

  /** A mask sent as a data URL becomes one of the user's files, so the task keeps an id, not the bytes. */
  private async storeMask(userId: string, dataUrl: string): Promise<MediaFile> {
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    try {
      return await this.ingest.ingestStream(Readable.from([bytes]), { userId, source: MediaSource.Upload, originalFilename: `mask-${randomUUID()}.png`, metadata: { purpose: 'jimeng-mask' } }, MASK_LIMITS);
    } catch (error) {
      throw fieldError('maskDataUrl', say(`maskDataUrl is not a usable image: ${(error as Error).message}`, `maskDataUrl 不是可用的图片：${(error as Error).message}`));
    }
  }

  /**
   * The mask as Volcengine wants it: the image's exact size, white = repaint on black. A painted mask
   * of another size (or with transparency, as a canvas gives) is redrawn with sharp and stored.
   */
  private async maskFor(userId: string, image: MediaFile, mask: MediaFile, field: string): Promise<string> {
    const { width, height } = await this.dimensions(image);
    const bytes = await this.bytesOf(mask);
    const unusable = (error: unknown) => fieldError(field, say(`${field} is not a usable image: ${(error as Error).message}`, `${field} 不是可用的图片：${(error as Error).message}`));
    let meta: Metadata;
    try {
      meta = await sharp(bytes).metadata();
    } catch (error) {
      throw unusable(error);
    }
    if (meta.width === width && meta.height === height && !meta.hasAlpha && meta.format === 'png') return mask.id;
    let redrawn: Buffer;
    try {
      // The header alone may read while the pixels do not (a cut-off file): that is the sender's 400, too.
      redrawn = await sharp(bytes).flatten({ background: '#000000' }).resize(width, height, { fit: 'fill' }).greyscale().png().toBuffer();
    } catch (error) {
      throw unusable(error);
    }
    const stored = await this.ingest.ingestStream(Readable.from([redrawn]), { userId, source: MediaSource.Upload, originalFilename: `mask-${randomUUID()}.png`, metadata: { purpose: 'jimeng-mask', maskOf: image.id } }, MASK_LIMITS);
    return stored.id;
  }

  // ------------------------------------------------------------ tasks

  task(userId: string, taskId: string): Promise<TaskDto> {
    return this.providerTasks.view('jimeng', userId, taskId);
  }

  cancel(userId: string, taskId: string): Promise<CancelResultDto> {
    // Volcengine has no cancel: the engine refunds a task not yet sent and answers 409 for one that was.
    return this.providerTasks.cancel('jimeng', userId, taskId);
  }

  listHistory(userId: string, query: JimengHistoryQueryDto): Promise<TaskPageDto> {
    return this.providerTasks.list('jimeng', userId, query);
  }
}

/** Why Jimeng cannot take tasks now, in the reader's language, or null. */
export function unavailableReason(settings: EffectiveJimengSettings): string | null {
  if (!settings.enabled) return say('Jimeng is turned off by the administrator', '即梦已被管理员关闭');
  if (!settings.accessKeyId || !settings.secretAccessKey || !settings.baseUrl) {
    return say('Jimeng is not set up yet: an admin must enter the Volcengine AccessKeyId and SecretAccessKey', '即梦尚未配置：需要管理员填写火山引擎 AccessKeyId 和 SecretAccessKey');
  }
  return null;
}

export type JimengAdminReason = 'key_refused' | 'clock_skew' | 'not_activated' | 'unreachable';

/**
 * A refusal the admin must fix, worded for them (the gateway's codes, §3; 50400, §7.9): a stale
 * X-Date means this server's clock is off, which no key change fixes.
 */
export function explainAdminError(error: unknown, baseUrl: string): { reason: JimengAdminReason; message: string } {
  const cause = (error as Error)?.message ?? String(error);
  if (error instanceof VolcError && error.kind === 'auth') {
    if (error.details.gatewayCode === 'InvalidTimestamp' || /expired|timestamp|x-date/i.test(cause)) {
      return {
        reason: 'clock_skew',
        message: say(
          `Volcengine refused the request time (X-Date): this server's clock is off by more than 15 minutes. Fix its time (turn on NTP time sync, e.g. chrony or systemd-timesyncd) and check again. (${cause})`,
          `火山引擎拒绝了请求时间（X-Date）：本服务器的时钟偏差超过 15 分钟。请校准服务器时间（开启 NTP 自动对时，如 chrony 或 systemd-timesyncd）后重试。（${cause}）`,
        ),
      };
    }
    if (error.details.code === 50400 || /AccessDenied|LackPolicy/.test(error.details.gatewayCode ?? '')) {
      return {
        reason: 'not_activated',
        message: say(
          `The keys were accepted but access was denied: activate the Jimeng capability in the Volcengine console and give the key the CVFullAccess policy. (${cause})`,
          `密钥有效但访问被拒绝：请在火山引擎控制台开通即梦相应能力，并为该密钥授予 CVFullAccess 策略。（${cause}）`,
        ),
      };
    }
    return {
      reason: 'key_refused',
      message: say(`Volcengine refused the keys: check the AccessKeyId and SecretAccessKey. (${cause})`, `火山引擎拒绝了密钥：请检查 AccessKeyId 和 SecretAccessKey。（${cause}）`),
    };
  }
  return { reason: 'unreachable', message: say(`Could not reach ${baseUrl}: ${cause}`, `无法连接 ${baseUrl}：${cause}`) };
}
