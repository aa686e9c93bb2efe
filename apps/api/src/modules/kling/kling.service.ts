import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { KLING_ASPECT_RATIOS, KLING_CAMERA_AXES, KLING_CAMERA_TYPES, KLING_MODELS, KlingError, type KlingMode, type KlingVideoFamily } from '@atelier/providers/kling';
import { DataSource } from 'typeorm';
import { type FieldError, FieldValidationException, fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { ProviderTasks } from '../history/provider-tasks.service.js';
import type { CancelResultDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { PricesService } from '../scheduler/prices.service.js';
import { TasksService } from '../scheduler/tasks.service.js';
import type { MediaFileDto } from '../storage/dto/storage.dto.js';
import { FetchRefusedError } from '../storage/guarded-fetcher.js';
import { IngestService } from '../storage/ingest.service.js';
import { MediaFile, MediaKind, MediaSource, MediaStatus } from '../storage/media-file.entity.js';
import { mapMediaFile } from '../storage/media-files.service.js';
import { VideoFramesService } from '../storage/video/video-frames.service.js';
import type {
  CheckKlingConfigDto,
  KlingHealthDto,
  KlingHistoryQueryDto,
  KlingImageRefDto,
  KlingImageToVideoDto,
  KlingModelsDto,
  KlingTextToVideoDto,
  KlingUserConfigDto,
} from './dto/kling.dto.js';
import { DEFAULT_KLING_MODEL, findKlingModel, KLING_CATALOGUE, KLING_DURATIONS, KLING_MODES, parametersOf, priceKey, unitsForDuration } from './kling-models.js';
import { checkTaskInput, type KlingTaskInput } from './kling-request.js';
import { type EffectiveKlingSettings, KlingSettingsService } from './kling-settings.service.js';

/** Kling's input image rules (kling.md §6), checked here so a bad image is our 400, not a paid refusal. */
export const KLING_IMAGE_RULES = { types: ['image/jpeg', 'image/png'], maxBytes: 10 * 1024 * 1024, minSide: 300, minRatio: 1 / 2.5, maxRatio: 2.5 };
const INPUT_LIMITS = { maxBytes: KLING_IMAGE_RULES.maxBytes, allowedTypes: KLING_IMAGE_RULES.types };

/** Whether a stored image is one Kling takes; the problem in the request's language, naming the field. */
export function checkKlingImage(file: Pick<MediaFile, 'mimeType' | 'size' | 'width' | 'height' | 'kind'>, field: string): string | null {
  if (file.kind !== MediaKind.Image || !KLING_IMAGE_RULES.types.includes(file.mimeType ?? '')) {
    return say(`${field} must be a JPG or PNG image`, `${field} 必须是 JPG 或 PNG 图片`);
  }
  if (Number(file.size) > KLING_IMAGE_RULES.maxBytes) return say(`${field} must be at most 10 MB`, `${field} 不能超过 10 MB`);
  const width = file.width ?? 0;
  const height = file.height ?? 0;
  if (Math.min(width, height) < KLING_IMAGE_RULES.minSide) {
    return say(`${field} is ${width}×${height} px: its short side must be at least 300 px`, `${field} 为 ${width}×${height} 像素：短边至少需要 300 像素`);
  }
  const ratio = width / height;
  if (ratio < KLING_IMAGE_RULES.minRatio - 1e-9 || ratio > KLING_IMAGE_RULES.maxRatio + 1e-9) {
    return say(`${field} is ${width}×${height} px: its aspect ratio must be between 1:2.5 and 2.5:1`, `${field} 为 ${width}×${height} 像素：宽高比必须在 1:2.5 到 2.5:1 之间`);
  }
  return null;
}

const OPTION_NAMES = ['prompt', 'negativePrompt', 'mode', 'duration', 'cfgScale', 'cameraControl', 'sound'] as const;

/** What the Kling routes do: settings, catalogue, submission through the task engine, and its tasks. */
@Injectable()
export class KlingService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: KlingSettingsService,
    private readonly tasks: TasksService,
    private readonly prices: PricesService,
    private readonly ingest: IngestService,
    private readonly frames: VideoFramesService,
    private readonly providerTasks: ProviderTasks,
  ) {}

  async userConfig(): Promise<KlingUserConfigDto> {
    const settings = await this.settings.effective();
    return { enabled: settings.enabled && !!settings.accessKey && !!settings.secretKey, defaultModel: DEFAULT_KLING_MODEL, sandbox: settings.usesSandbox };
  }

  async models(): Promise<KlingModelsDto> {
    const prices = await this.prices.pricesOf('kling');
    const models = KLING_CATALOGUE.map((model) => {
      const caps = KLING_MODELS[model.id];
      return {
        id: model.id,
        name: model.name.en,
        nameZhCN: model.name.zhCN,
        description: model.description.en,
        descriptionZhCN: model.description.zhCN,
        textToVideo: (caps.families as readonly string[]).includes('text2video'),
        imageToVideo: (caps.families as readonly string[]).includes('image2video'),
        modes: [...caps.modes],
        durations: caps.durations.map(Number),
        cfgScale: caps.cfgScale,
        cameraControl: caps.cameraControl,
        endImage: caps.imageTail ? 'pro' : 'none',
        sound: caps.sound ? 'pro' : 'none',
        parameters: parametersOf(model.id),
        prices: KLING_MODES.filter((mode) => (caps.modes as readonly string[]).includes(mode)).map((mode) => {
          const per5Seconds = prices.get(priceKey(model.id, mode)) ?? model.defaultPrices[mode];
          return {
            mode,
            priceKey: priceKey(model.id, mode),
            per5Seconds,
            defaultPer5Seconds: model.defaultPrices[mode],
            byDuration: Object.fromEntries(KLING_DURATIONS.map((seconds) => [String(seconds), per5Seconds * unitsForDuration(seconds)])),
          };
        }),
        kind: MediaKind.Video,
      };
    });
    return { models, aspectRatios: [...KLING_ASPECT_RATIOS], cameraTypes: [...KLING_CAMERA_TYPES], cameraAxes: [...KLING_CAMERA_AXES], imageRules: KLING_IMAGE_RULES };
  }

  /** An admin's check of connection settings before saving them: one task-list query, which spends nothing. */
  async checkCandidate(dto: CheckKlingConfigDto): Promise<KlingHealthDto> {
    return this.checkHealth(await this.settings.candidate(dto));
  }

  private async checkHealth(settings: EffectiveKlingSettings): Promise<KlingHealthDto> {
    const configured = await this.settings.client(settings);
    if (!configured) return { ok: false, reason: 'no_key', message: say('The AccessKey, SecretKey or base URL is missing', '尚未配置 AccessKey、SecretKey 或接口地址'), latencyMs: null, usesSandbox: settings.usesSandbox };
    const started = Date.now();
    try {
      await configured.client.listTasks('text2video', 1, 1);
      return { ok: true, reason: null, message: say(`Reached ${settings.baseUrl} and the keys were accepted`, `已连接 ${settings.baseUrl}，密钥有效`), latencyMs: Date.now() - started, usesSandbox: settings.usesSandbox };
    } catch (error) {
      const refused = error instanceof KlingError && (error.kind === 'auth' || error.kind === 'account');
      const cause = (error as Error).message;
      const message = refused ? say(`The keys were refused: ${cause}`, `密钥被拒绝：${cause}`) : say(`Could not reach ${settings.baseUrl}: ${cause}`, `无法连接 ${settings.baseUrl}：${cause}`);
      return { ok: false, reason: refused ? 'key_refused' : 'unreachable', message, latencyMs: Date.now() - started, usesSandbox: settings.usesSandbox };
    }
  }

  /** Our task input from a request, checked against the model; a 400 names the first bad field. */
  private taskInput(family: KlingVideoFamily, dto: KlingTextToVideoDto | KlingImageToVideoDto): KlingTaskInput {
    const model = findKlingModel(dto.model);
    const fitting = KLING_CATALOGUE.filter((m) => (KLING_MODELS[m.id].families as readonly string[]).includes(family)).map((m) => m.id);
    if (!model || !fitting.includes(model.id)) {
      throw fieldError('model', say(`model must be one of: ${fitting.join(', ')}`, `model 必须是以下之一：${fitting.join(', ')}`));
    }
    const given = dto as unknown as Record<string, unknown>;
    const problems: FieldError[] = [];
    if (given.duration !== undefined && typeof given.duration !== 'number') problems.push({ field: 'duration', messages: [say('duration must be one of: 5, 10 (seconds, a number)', 'duration 必须是以下之一：5, 10（秒，数字）')] });
    if (given.sound !== undefined && typeof given.sound !== 'boolean') problems.push({ field: 'sound', messages: [say('sound must be true or false', 'sound 必须是 true 或 false')] });
    if (given.mode !== undefined && typeof given.mode !== 'string') problems.push({ field: 'mode', messages: [say('mode must be one of: std, pro', 'mode 必须是以下之一：std, pro')] });
    if (problems.length) throw new FieldValidationException(problems);
    const input: KlingTaskInput = { family, model: model.id, mode: ((dto.mode as KlingMode | undefined) ?? 'std'), duration: dto.duration ?? 5 };
    for (const name of OPTION_NAMES) if (given[name] !== undefined && name !== 'mode' && name !== 'duration') (input as unknown as Record<string, unknown>)[name] = given[name];
    if (typeof input.prompt === 'string') input.prompt = input.prompt.trim() || undefined;
    if (given.aspectRatio !== undefined) input.aspectRatio = given.aspectRatio as string;
    const image = dto as KlingImageToVideoDto;
    if (family === 'image2video') {
      // Placeholders for the check; the real ids are set once the images are found.
      if (image.startImage) input.startFileId = 'pending';
      if (image.endImage) input.endFileId = 'pending';
    }
    const problem = checkTaskInput(input);
    if (problem) throw new FieldValidationException([problem]);
    return input;
  }

  private submit(userId: string, input: KlingTaskInput, action: string): Promise<TaskDto> {
    return this.tasks.submit(userId, {
      provider: 'kling',
      model: priceKey(input.model, input.mode),
      kind: MediaKind.Video,
      action,
      prompt: input.prompt ?? null,
      input: input as unknown as Record<string, unknown>,
      units: unitsForDuration(input.duration),
    });
  }

  async textToVideo(userId: string, dto: KlingTextToVideoDto): Promise<TaskDto> {
    return this.submit(userId, this.taskInput('text2video', dto), 'text-to-video');
  }

  async imageToVideo(userId: string, dto: KlingImageToVideoDto): Promise<TaskDto> {
    const input = this.taskInput('image2video', dto);
    // Copying in outside images is work (and storage) for nothing when the task cannot go through.
    await this.tasks.checkCanSubmit(userId, 'kling', priceKey(input.model, input.mode), unitsForDuration(input.duration));
    if (dto.startImage) input.startFileId = await this.inputImage(userId, dto.startImage, 'startImage');
    else delete input.startFileId;
    if (dto.endImage) input.endFileId = await this.inputImage(userId, dto.endImage, 'endImage');
    else delete input.endFileId;
    return this.submit(userId, input, 'image-to-video');
  }

  /** One input image as one of the user's stored images that Kling takes. */
  private async inputImage(userId: string, ref: KlingImageRefDto, field: string): Promise<string> {
    const given = [ref.fileId, ref.url].filter((value) => value !== undefined && value !== '').length;
    if (given !== 1) throw fieldError(field, say(`${field} needs exactly one of fileId or url`, `${field} 需要且只能提供 fileId 或 url 之一`));
    const files = this.dataSource.getRepository(MediaFile);
    let file: MediaFile | null;
    if (ref.fileId) {
      file = await files.findOneBy({ id: ref.fileId, userId, status: MediaStatus.Stored });
      if (!file) throw fieldError(`${field}.fileId`, say(`${field}.fileId is not one of your stored images`, `${field}.fileId 不在你已保存的图片中（可能已被删除）`));
    } else {
      const url = ref.url!;
      file = await files.findOne({
        where: [
          { userId, url, status: MediaStatus.Stored },
          { userId, url: url.replace(/^https?:\/\/[^/]+(?=\/media\/)/i, ''), status: MediaStatus.Stored },
        ],
      });
      if (!file) {
        if (!/^https?:\/\//i.test(url)) throw fieldError(`${field}.url`, say(`${field}.url must be an http(s) URL or one of your images`, `${field}.url 必须是 http(s) 地址或你的图片`));
        try {
          file = await this.ingest.ingestInput(url, { userId, source: MediaSource.Upload, metadata: { purpose: 'kling-input' } }, INPUT_LIMITS);
        } catch (error) {
          if (error instanceof FetchRefusedError) throw fieldError(`${field}.url`, say(`${field}.url could not be fetched: ${error.message}`, `${field}.url 无法下载：${error.message}`));
          throw fieldError(`${field}.url`, `${field}.url: ${(error as Error).message}`);
        }
      }
    }
    const problem = checkKlingImage(file, field);
    if (problem) throw fieldError(field, problem);
    return file.id;
  }

  task(userId: string, taskId: string): Promise<TaskDto> {
    return this.providerTasks.view('kling', userId, taskId);
  }

  cancel(userId: string, taskId: string): Promise<CancelResultDto> {
    // Kling has no cancel: the engine refunds a task not yet sent and answers 409 for one that was.
    return this.providerTasks.cancel('kling', userId, taskId);
  }

  listHistory(userId: string, query: KlingHistoryQueryDto): Promise<TaskPageDto> {
    return this.providerTasks.list('kling', userId, query);
  }

  /** "Use the last frame as the start frame": the last frame of the task's video, as a new stored image. */
  async lastFrame(userId: string, taskId: string): Promise<MediaFileDto> {
    await this.providerTasks.own('kling', userId, taskId);
    const video = await this.dataSource.getRepository(MediaFile).findOne({
      where: { userId, sourceTaskId: taskId, kind: MediaKind.Video, status: MediaStatus.Stored },
      order: { outputIndex: 'ASC' },
    });
    if (!video) throw new UnprocessableEntityException(say('This task has no stored video yet', '该任务还没有已保存的视频'));
    const frame = await this.frames.storeFrame(userId, video.id, 'last', { source: MediaSource.Kling, metadata: { purpose: 'kling-last-frame', taskId } });
    return mapMediaFile(frame);
  }
}
