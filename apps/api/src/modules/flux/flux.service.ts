import { Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { FalError } from '@atelier/providers/fal';
import type { IncomingMessage } from 'node:http';
import { DataSource } from 'typeorm';
import { type FieldError, FieldValidationException, fieldError } from '../../common/errors.js';
import { CreditsService } from '../credits/credits.service.js';
import type { CancelResultDto, HistoryQueryDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { GenerationTask } from '../scheduler/generation-task.entity.js';
import { PricesService } from '../scheduler/prices.service.js';
import { TaskViews } from '../scheduler/task-views.service.js';
import { TasksService } from '../scheduler/tasks.service.js';
import type { MediaFileDto } from '../storage/dto/storage.dto.js';
import { FetchRefusedError } from '../storage/guarded-fetcher.js';
import { IngestService } from '../storage/ingest.service.js';
import { MediaFile, MediaKind, MediaSource, MediaStatus } from '../storage/media-file.entity.js';
import { mapMediaFile } from '../storage/media-files.service.js';
import { receiveFile } from '../storage/multipart.js';
import { HistoryService } from '../history/history.service.js';
import type {
  FluxCreditsDto,
  FluxHealthDto,
  FluxImageToImageDto,
  FluxModelsDto,
  FluxTextToImageDto,
  FluxUserConfigDto,
} from './dto/flux.dto.js';
import { ASPECT_RATIOS, CUSTOM_SIZE, type FluxModel, findFluxModel, FLUX_MODELS, IMAGE_SIZE_PRESETS } from './flux-models.js';
import { checkParameters } from './flux-request.js';
import { FluxSettingsService } from './flux-settings.service.js';

/** Input images: jpg, png or webp up to 10 MB (by their bytes, not their names). */
const INPUT_LIMITS = { maxBytes: 10 * 1024 * 1024, allowedTypes: ['image/jpeg', 'image/png', 'image/webp'] };
const PARAMETER_NAMES = ['numImages', 'imageSize', 'aspectRatio', 'guidanceScale', 'numInferenceSteps', 'seed', 'outputFormat', 'enableSafetyChecker', 'safetyTolerance', 'enhancePrompt', 'strength'] as const;

/** What the Flux routes do: settings, catalogue, submission through the task engine, and its tasks. */
@Injectable()
export class FluxService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: FluxSettingsService,
    private readonly tasks: TasksService,
    private readonly views: TaskViews,
    private readonly prices: PricesService,
    private readonly credits: CreditsService,
    private readonly ingest: IngestService,
    private readonly history: HistoryService,
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

  async health(): Promise<FluxHealthDto> {
    const configured = await this.settings.client();
    if (!configured) return { ok: false, message: 'No API key is configured', latencyMs: null, usesSandbox: false };
    const started = Date.now();
    try {
      await configured.client.check();
      return { ok: true, message: `Reached ${configured.settings.baseUrl} and the key was accepted`, latencyMs: Date.now() - started, usesSandbox: configured.settings.usesSandbox };
    } catch (error) {
      const message =
        error instanceof FalError && error.kind === 'auth'
          ? `The key was refused: ${error.message}`
          : `Could not reach ${configured.settings.baseUrl}: ${(error as Error).message}`;
      return { ok: false, message, latencyMs: Date.now() - started, usesSandbox: configured.settings.usesSandbox };
    }
  }

  async userCredits(userId: string): Promise<FluxCreditsDto> {
    const { balance } = await this.credits.balance(userId);
    const prices = await this.prices.pricesOf('flux');
    return { balance, prices: FLUX_MODELS.map((model) => ({ model: model.id, price: prices.get(model.id) ?? model.defaultPrice })) };
  }

  private model(id: string, allowed: FluxModel['mode'][], endpoint: string): FluxModel {
    const model = findFluxModel(id);
    if (!model) throw fieldError('model', `model must be one of: ${FLUX_MODELS.map((m) => m.id).join(', ')}`);
    if (!allowed.includes(model.mode)) {
      const fitting = FLUX_MODELS.filter((m) => allowed.includes(m.mode)).map((m) => m.id);
      throw fieldError('model', `${model.id} is not a ${endpoint} model; use one of: ${fitting.join(', ')}`);
    }
    return model;
  }

  private checked(model: FluxModel, dto: FluxTextToImageDto | FluxImageToImageDto, extra: FieldError[] = []): Record<string, unknown> {
    const given = Object.fromEntries(PARAMETER_NAMES.map((name) => [name, (dto as unknown as Record<string, unknown>)[name]]));
    const { problems, wire } = checkParameters(model, dto.prompt, given);
    if (problems.length || extra.length) throw new FieldValidationException([...problems, ...extra]);
    return wire;
  }

  async textToImage(userId: string, dto: FluxTextToImageDto): Promise<TaskDto> {
    const model = this.model(dto.model, ['text-to-image'], 'text-to-image');
    const wire = this.checked(model, dto);
    return this.submit(userId, model, 'text-to-image', dto, wire, []);
  }

  async imageToImage(userId: string, dto: FluxImageToImageDto): Promise<TaskDto> {
    const model = this.model(dto.model, ['image-to-image', 'redux', 'multi-image'], 'image-to-image');
    const problems: FieldError[] = [];
    const single = [dto.imageUrl, dto.fileId].filter((value) => value !== undefined).length;
    const multi = [dto.imageUrls, dto.fileIds].filter((value) => value !== undefined).length;
    if (model.imageInput === 'single') {
      if (multi) problems.push({ field: dto.imageUrls ? 'imageUrls' : 'fileIds', messages: [`${model.name.en} takes one image: send imageUrl or fileId`] });
      else if (single !== 1) problems.push({ field: 'imageUrl', messages: [`${model.name.en} needs exactly one image: send imageUrl or fileId`] });
    } else {
      const count = (dto.imageUrls?.length ?? 0) + (dto.fileIds?.length ?? 0) + single;
      if (count < 1 || count > model.maxImages) problems.push({ field: 'imageUrls', messages: [`${model.name.en} needs 1 to ${model.maxImages} images: send imageUrls and/or fileIds`] });
    }
    const wire = this.checked(model, dto, problems);
    // Every input becomes one of the user's own stored images before anything is charged.
    const fileIds: string[] = [];
    for (const [index, id] of [...(dto.fileId ? [dto.fileId] : []), ...(dto.fileIds ?? [])].entries()) fileIds.push(await this.ownImage(userId, id, dto.fileId ? 'fileId' : `fileIds.${index}`));
    for (const [index, url] of [...(dto.imageUrl ? [dto.imageUrl] : []), ...(dto.imageUrls ?? [])].entries()) {
      fileIds.push(await this.imageFromUrl(userId, url, dto.imageUrl ? 'imageUrl' : `imageUrls.${index}`));
    }
    return this.submit(userId, model, model.mode, dto, wire, fileIds);
  }

  private async submit(userId: string, model: FluxModel, action: string, dto: FluxTextToImageDto, wire: Record<string, unknown>, fileIds: string[]): Promise<TaskDto> {
    const settings = await this.settings.effective();
    if (!settings.enabled) throw new ServiceUnavailableException('Flux is turned off by the administrator');
    if (!settings.apiKey) throw new ServiceUnavailableException('Flux is not set up yet: an admin must enter the fal.ai API key');
    // The task keeps the request in our own words: its parameters, and every input as one of our files.
    const given = Object.fromEntries(PARAMETER_NAMES.map((name) => [name, (dto as unknown as Record<string, unknown>)[name]]).filter(([, value]) => value !== undefined && value !== null));
    const prompt = typeof wire.prompt === 'string' ? wire.prompt : null;
    return this.tasks.submit(userId, {
      provider: 'flux',
      model: model.id,
      kind: MediaKind.Image,
      action,
      prompt,
      input: { ...(prompt ? { prompt } : {}), ...given, ...(fileIds.length ? { fileIds } : {}) },
      units: typeof wire.num_images === 'number' ? wire.num_images : 1,
    });
  }

  private async ownImage(userId: string, id: string, field: string): Promise<string> {
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id, userId, status: MediaStatus.Stored, kind: MediaKind.Image });
    if (!file) throw fieldError(field, `${field} is not one of your stored images`);
    return file.id;
  }

  /** Our own media URL is used as it is; an outside URL is first copied in through the guarded fetcher. */
  private async imageFromUrl(userId: string, url: string, field: string): Promise<string> {
    const own = await this.dataSource.getRepository(MediaFile).findOne({
      where: [
        { userId, url, status: MediaStatus.Stored, kind: MediaKind.Image },
        { userId, url: url.replace(/^https?:\/\/[^/]+(?=\/media\/)/, ''), status: MediaStatus.Stored, kind: MediaKind.Image },
      ],
    });
    if (own) return own.id;
    if (!/^https?:\/\//.test(url)) throw fieldError(field, `${field} must be an http(s) URL or one of your images`);
    try {
      const file = await this.ingest.ingestUrl(url, { userId, source: MediaSource.Upload, metadata: { purpose: 'flux-input' } }, INPUT_LIMITS);
      if (file.status !== MediaStatus.Stored) throw new Error(file.error ?? 'storage is set not to copy files automatically');
      return file.id;
    } catch (error) {
      const reason = error instanceof FetchRefusedError ? `could not be fetched: ${error.message}` : (error as Error).message;
      throw fieldError(field, `${field} ${reason}`);
    }
  }

  async uploadImage(userId: string, request: IncomingMessage): Promise<MediaFileDto> {
    const file = await receiveFile(request, INPUT_LIMITS.maxBytes, (stream, filename) =>
      this.ingest.ingestStream(stream, { userId, source: MediaSource.Upload, originalFilename: filename, metadata: { purpose: 'flux-input' } }, INPUT_LIMITS),
    );
    return mapMediaFile(file);
  }

  private async fluxTask(userId: string, taskId: string): Promise<GenerationTask> {
    const task = await this.views.own(userId, taskId);
    if (task.provider !== 'flux') throw new NotFoundException('Task not found');
    return task;
  }

  async task(userId: string, taskId: string): Promise<TaskDto> {
    const [view] = await this.views.views([await this.fluxTask(userId, taskId)]);
    return view;
  }

  async cancel(userId: string, taskId: string): Promise<CancelResultDto> {
    await this.fluxTask(userId, taskId);
    return this.tasks.cancel(userId, taskId);
  }

  listHistory(userId: string, query: HistoryQueryDto): Promise<TaskPageDto> {
    return this.history.list(userId, { ...query, source: 'flux' });
  }
}

