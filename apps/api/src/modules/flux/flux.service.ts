import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FalError } from '@atelier/providers/fal';
import type { IncomingMessage } from 'node:http';
import { DataSource } from 'typeorm';
import { type FieldError, FieldValidationException, fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { RecentlyRead } from '../../common/recently-read.js';
import { CreditsService } from '../credits/credits.service.js';
import type { CancelResultDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { PricesService } from '../scheduler/prices.service.js';
import { TasksService } from '../scheduler/tasks.service.js';
import type { MediaFileDto } from '../storage/dto/storage.dto.js';
import { FetchRefusedError } from '../storage/guarded-fetcher.js';
import { IngestService } from '../storage/ingest.service.js';
import { MediaFile, MediaKind, MediaSource, MediaStatus } from '../storage/media-file.entity.js';
import { mapMediaFile } from '../storage/media-files.service.js';
import { receiveFile } from '../storage/multipart.js';
import { ProviderTasks } from '../history/provider-tasks.service.js';
import type {
  CheckFluxConfigDto,
  FluxCreditsDto,
  FluxHealthDto,
  FluxHistoryQueryDto,
  FluxImageToImageDto,
  FluxModelsDto,
  FluxTextToImageDto,
  FluxUserConfigDto,
} from './dto/flux.dto.js';
import { onlyTheseTypes } from '../storage/media-type.js';
import { ASPECT_RATIOS, CUSTOM_SIZE, type FluxModel, findFluxModel, FLUX_MODELS, IMAGE_SIZE_PRESETS } from './flux-models.js';
import { type CheckedParameters, checkParameters } from './flux-request.js';
import { type EffectiveFluxSettings, FluxSettingsService } from './flux-settings.service.js';

/** Input images: jpg, png or webp up to 10 MB (by their bytes, not their names). */
const INPUT_LIMITS = { maxBytes: 10 * 1024 * 1024, allowedTypes: ['image/jpeg', 'image/png', 'image/webp'] };
/** One of the user's files as an input image: fal reads JPEG, PNG and WebP (a GIF or a video is refused here). */
function usableInput(file: MediaFile, field: string): string {
  if (!INPUT_LIMITS.allowedTypes.includes(file.mimeType ?? '')) throw fieldError(field, onlyTheseTypes(INPUT_LIMITS.allowedTypes));
  return file.id;
}

/** How many times the model's price is charged: once per image asked for. */
const unitsOf = (checked: CheckedParameters) => (typeof checked.wire.num_images === 'number' ? checked.wire.num_images : 1);
const PARAMETER_NAMES = ['numImages', 'imageSize', 'aspectRatio', 'guidanceScale', 'numInferenceSteps', 'seed', 'outputFormat', 'enableSafetyChecker', 'safetyTolerance', 'enhancePrompt', 'strength'] as const;

/** What the Flux routes do: settings, catalogue, submission through the task engine, and its tasks. */
@Injectable()
export class FluxService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: FluxSettingsService,
    private readonly tasks: TasksService,
    private readonly prices: PricesService,
    private readonly credits: CreditsService,
    private readonly ingest: IngestService,
    private readonly providerTasks: ProviderTasks,
  ) {}

  async userConfig(): Promise<FluxUserConfigDto> {
    const settings = await this.settings.effective();
    return { enabled: settings.enabled && !!settings.apiKey, defaultModel: settings.defaultModel, sandbox: settings.usesSandbox };
  }

  async models(): Promise<FluxModelsDto> {
    const prices = await this.prices.pricesOf('flux');
    const models = FLUX_MODELS.map((model) => ({
      id: model.id,
      family: model.family,
      mode: model.mode,
      name: model.name.en,
      nameZhCN: model.name.zhCN,
      description: model.description.en,
      descriptionZhCN: model.description.zhCN,
      prompt: model.prompt,
      imageInput: model.imageInput,
      maxImages: model.maxImages,
      parameters: model.parameters.map(({ wire: _wire, ...parameter }) => parameter),
      price: prices.get(model.id) ?? model.defaultPrice,
      defaultPrice: model.defaultPrice,
      kind: MediaKind.Image,
    }));
    return { models, imageSizes: IMAGE_SIZE_PRESETS, aspectRatios: ASPECT_RATIOS, customSize: CUSTOM_SIZE };
  }

  /**
   * Whether fal can be reached with the stored key. An admin's check goes out every time and says
   * what was found; a user learns whether generating works, from a check at most 15 s old (no
   * outbound call per click, and neither the admin's URL nor low-level errors).
   */
  async health(admin: boolean): Promise<FluxHealthDto> {
    const settings = await this.settings.effective();
    if (admin) return this.checkHealth(settings);
    // Kept per URL and key, so a check made before the admin changed them is not answered after.
    const found = await this.recentHealth.get(`${settings.baseUrl}\n${settings.apiKey}`);
    if (found.ok) return { ...found, message: say('fal.ai can be reached', '可以连接 fal.ai') };
    if (found.reason === 'no_key') return { ...found, message: say('Flux is not set up yet', 'Flux 尚未配置') };
    return { ...found, reason: 'unreachable', message: say('fal.ai cannot be reached at the moment; please try again later', '暂时无法连接 fal.ai，请稍后再试') };
  }

  /** An admin's check of connection settings before saving them. */
  async checkCandidate(dto: CheckFluxConfigDto): Promise<FluxHealthDto> {
    return this.checkHealth(await this.settings.candidate(dto));
  }

  private readonly recentHealth = new RecentlyRead<string, FluxHealthDto>(15_000, async () => this.checkHealth(await this.settings.effective()));

  private async checkHealth(settings: EffectiveFluxSettings): Promise<FluxHealthDto> {
    const configured = await this.settings.client(settings);
    if (!configured) return { ok: false, reason: 'no_key', message: say('No API key is configured', '尚未配置 API 密钥'), latencyMs: null, usesSandbox: false };
    const started = Date.now();
    try {
      await configured.client.check();
      return { ok: true, reason: null, message: say(`Reached ${configured.settings.baseUrl} and the key was accepted`, `已连接 ${configured.settings.baseUrl}，密钥有效`), latencyMs: Date.now() - started, usesSandbox: configured.settings.usesSandbox };
    } catch (error) {
      const refused = error instanceof FalError && error.kind === 'auth';
      // fal's own words stay as they came; the sentence around them is in the admin's language.
      const cause = (error as Error).message;
      const url = configured.settings.baseUrl;
      const message = refused ? say(`The key was refused: ${cause}`, `密钥被拒绝：${cause}`) : say(`Could not reach ${url}: ${cause}`, `无法连接 ${url}：${cause}`);
      return { ok: false, reason: refused ? 'key_refused' : 'unreachable', message, latencyMs: Date.now() - started, usesSandbox: configured.settings.usesSandbox };
    }
  }

  async userCredits(userId: string): Promise<FluxCreditsDto> {
    const { balance } = await this.credits.balance(userId);
    const prices = await this.prices.pricesOf('flux');
    return { balance, prices: FLUX_MODELS.map((model) => ({ model: model.id, price: prices.get(model.id) ?? model.defaultPrice })) };
  }

  private model(id: string, allowed: FluxModel['mode'][], endpoint: string): FluxModel {
    const model = findFluxModel(id);
    if (!model) throw fieldError('model', say(`model must be one of: ${FLUX_MODELS.map((m) => m.id).join(', ')}`, `model 必须是以下之一：${FLUX_MODELS.map((m) => m.id).join(', ')}`));
    if (!allowed.includes(model.mode)) {
      const fitting = FLUX_MODELS.filter((m) => allowed.includes(m.mode)).map((m) => m.id);
      throw fieldError('model', say(`${model.id} is not a ${endpoint} model; use one of: ${fitting.join(', ')}`, `${model.id} 不是 ${endpoint} 模型；请使用：${fitting.join(', ')}`));
    }
    return model;
  }

  private checked(model: FluxModel, dto: FluxTextToImageDto | FluxImageToImageDto, extra: FieldError[] = []): CheckedParameters {
    const given = Object.fromEntries(PARAMETER_NAMES.map((name) => [name, (dto as unknown as Record<string, unknown>)[name]]));
    const checked = checkParameters(model, dto.prompt, given);
    if (checked.problems.length || extra.length) throw new FieldValidationException([...checked.problems, ...extra]);
    return checked;
  }

  async textToImage(userId: string, dto: FluxTextToImageDto): Promise<TaskDto> {
    const model = this.model(dto.model, ['text-to-image'], 'text-to-image');
    return this.submit(userId, model, 'text-to-image', this.checked(model, dto), []);
  }

  async imageToImage(userId: string, dto: FluxImageToImageDto): Promise<TaskDto> {
    const model = this.model(dto.model, ['image-to-image', 'redux', 'multi-image'], 'image-to-image');
    const problems: FieldError[] = [];
    const single = [dto.imageUrl, dto.fileId].filter((value) => value !== undefined).length;
    const multi = [dto.imageUrls, dto.fileIds].filter((value) => value !== undefined).length;
    if (model.imageInput === 'single') {
      if (multi) problems.push({ field: dto.imageUrls ? 'imageUrls' : 'fileIds', messages: [say(`${model.name.en} takes one image: send imageUrl or fileId`, `${model.name.zhCN} 只接受一张图片：请发送 imageUrl 或 fileId`)] });
      else if (single !== 1) problems.push({ field: 'imageUrl', messages: [say(`${model.name.en} needs exactly one image: send imageUrl or fileId`, `${model.name.zhCN} 需要正好一张图片：请发送 imageUrl 或 fileId`)] });
    } else {
      const count = (dto.imageUrls?.length ?? 0) + (dto.fileIds?.length ?? 0) + single;
      if (count < 1 || count > model.maxImages) problems.push({ field: 'imageUrls', messages: [say(`${model.name.en} needs 1 to ${model.maxImages} images: send imageUrls and/or fileIds`, `${model.name.zhCN} 需要 1 到 ${model.maxImages} 张图片：请发送 imageUrls 和/或 fileIds`)] });
    }
    const checked = this.checked(model, dto, problems);
    // Copying in outside images is work (and storage) for nothing when the task cannot go through.
    await this.tasks.checkCanSubmit(userId, 'flux', model.id, unitsOf(checked));
    // Every input becomes one of the user's own stored images before anything is charged.
    const fileIds: string[] = [];
    for (const [index, id] of [...(dto.fileId ? [dto.fileId] : []), ...(dto.fileIds ?? [])].entries()) fileIds.push(await this.ownImage(userId, id, dto.fileId ? 'fileId' : `fileIds.${index}`));
    for (const [index, url] of [...(dto.imageUrl ? [dto.imageUrl] : []), ...(dto.imageUrls ?? [])].entries()) {
      fileIds.push(await this.imageFromUrl(userId, url, dto.imageUrl ? 'imageUrl' : `imageUrls.${index}`));
    }
    return this.submit(userId, model, model.mode, checked, fileIds);
  }

  private async submit(userId: string, model: FluxModel, action: string, checked: CheckedParameters, fileIds: string[]): Promise<TaskDto> {
    // The task keeps the request in our own words: its parameters, and every input as one of our files.
    const prompt = typeof checked.wire.prompt === 'string' ? checked.wire.prompt : null;
    return this.tasks.submit(userId, {
      provider: 'flux',
      model: model.id,
      kind: MediaKind.Image,
      action,
      prompt,
      input: { ...(prompt ? { prompt } : {}), ...checked.values, ...(fileIds.length ? { fileIds } : {}) },
      units: unitsOf(checked),
    });
  }

  private async ownImage(userId: string, id: string, field: string): Promise<string> {
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id, userId, status: MediaStatus.Stored });
    if (!file) throw fieldError(field, say(`${field} is not one of your stored images`, '这张输入图片不在你已保存的图片中（可能已被删除）'));
    return usableInput(file, field);
  }

  /** Our own media URL is used as it is; an outside URL is first copied in through the guarded fetcher. */
  private async imageFromUrl(userId: string, url: string, field: string): Promise<string> {
    const own = await this.dataSource.getRepository(MediaFile).findOne({
      where: [
        { userId, url, status: MediaStatus.Stored },
        { userId, url: url.replace(/^https?:\/\/[^/]+(?=\/media\/)/i, ''), status: MediaStatus.Stored },
      ],
    });
    if (own) return usableInput(own, field);
    if (!/^https?:\/\//i.test(url)) throw fieldError(field, say(`${field} must be an http(s) URL or one of your images`, '输入图片必须是 http(s) 地址或你的图片'));
    try {
      const file = await this.ingest.ingestInput(url, { userId, source: MediaSource.Upload, metadata: { purpose: 'flux-input' } }, INPUT_LIMITS);
      return file.id;
    } catch (error) {
      if (error instanceof FetchRefusedError) throw fieldError(field, say(`${field} could not be fetched: ${error.message}`, `输入图片无法下载：${error.message}`));
      throw fieldError(field, `${field} ${(error as Error).message}`);
    }
  }

  async uploadImage(userId: string, request: IncomingMessage): Promise<MediaFileDto> {
    const file = await receiveFile(request, INPUT_LIMITS.maxBytes, (stream, filename) =>
      this.ingest.ingestStream(stream, { userId, source: MediaSource.Upload, originalFilename: filename, metadata: { purpose: 'flux-input' } }, INPUT_LIMITS),
    );
    return mapMediaFile(file);
  }

  task(userId: string, taskId: string): Promise<TaskDto> {
    return this.providerTasks.view('flux', userId, taskId);
  }

  cancel(userId: string, taskId: string, acceptLoss?: boolean): Promise<CancelResultDto> {
    return this.providerTasks.cancel('flux', userId, taskId, acceptLoss);
  }

  listHistory(userId: string, query: FluxHistoryQueryDto): Promise<TaskPageDto> {
    return this.providerTasks.list('flux', userId, query);
  }
}

