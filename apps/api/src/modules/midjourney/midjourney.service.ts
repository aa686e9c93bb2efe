import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { buildImaginePrompt, isModalAction, type MjActionKey, MidjourneyError, type MjImagineParams } from '@atelier/providers/midjourney';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { FieldValidationException, fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { ProviderTasks } from '../history/provider-tasks.service.js';
import type { CancelResultDto, TaskDto, TaskPageDto } from '../scheduler/dto/task.dto.js';
import { GenerationTask, TaskStatus } from '../scheduler/generation-task.entity.js';
import { PricesService } from '../scheduler/prices.service.js';
import { TasksService } from '../scheduler/tasks.service.js';
import { FetchRefusedError } from '../storage/guarded-fetcher.js';
import { IngestService } from '../storage/ingest.service.js';
import { MediaFile, MediaKind, MediaSource, MediaStatus } from '../storage/media-file.entity.js';
import type {
  CheckMidjourneyConfigDto,
  MidjourneyActionsDto,
  MidjourneyBlendDto,
  MidjourneyDescribeDto,
  MidjourneyHealthDto,
  MidjourneyHistoryQueryDto,
  MidjourneyImagineDto,
  MidjourneyTaskActionDto,
  MidjourneyUserConfigDto,
} from './dto/midjourney.dto.js';
import { catalogueEntry, MJ_CATALOGUE, type MjCatalogueEntry, MJ_PRICE_MODELS } from './midjourney-actions.js';
import { checkPromptFlags } from './midjourney-prompt.js';
import type { MjState } from './midjourney-results.js';
import { type EffectiveMidjourneySettings, MidjourneySettingsService } from './midjourney-settings.service.js';

const PROVIDER = 'midjourney';
/** Input images: jpg, png or webp up to 10 MB (by their bytes); they travel to the proxy as data URLs. */
const INPUT_LIMITS = { maxBytes: 10 * 1024 * 1024, allowedTypes: ['image/jpeg', 'image/png', 'image/webp'] };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The helper fields of imagine, in our names and in the providers library's. */
const PARAMETER_FIELDS: Array<[keyof MidjourneyImagineDto, keyof MjImagineParams]> = [
  ['aspectRatio', 'aspectRatio'],
  ['version', 'version'],
  ['stylize', 'stylize'],
  ['chaos', 'chaos'],
  ['weird', 'weird'],
  ['quality', 'quality'],
  ['seed', 'seed'],
  ['no', 'no'],
  ['rawStyle', 'raw'],
  ['tile', 'tile'],
];

/** What the Midjourney routes do: settings, the action catalogue, submissions through the task engine, and its tasks. */
@Injectable()
export class MidjourneyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: MidjourneySettingsService,
    private readonly tasks: TasksService,
    private readonly prices: PricesService,
    private readonly ingest: IngestService,
    private readonly providerTasks: ProviderTasks,
  ) {}

  async userConfig(): Promise<MidjourneyUserConfigDto> {
    const settings = await this.settings.effective();
    return { enabled: settings.enabled && !!settings.apiSecret && !!settings.baseUrl, flavor: settings.flavor, mode: settings.mode, defaultBotType: settings.defaultBotType, sandbox: settings.usesSandbox };
  }

  async actions(): Promise<MidjourneyActionsDto> {
    const [prices, settings] = await Promise.all([this.prices.pricesOf(PROVIDER), this.settings.effective()]);
    const defaults = new Map(this.priceDefaults());
    return {
      actions: MJ_CATALOGUE.map((entry) => ({
        key: entry.key,
        type: entry.type,
        label: entry.label.en,
        labelZhCN: entry.label.zhCN,
        model: entry.model,
        price: prices.get(entry.model) ?? defaults.get(entry.model) ?? 0,
        defaultPrice: defaults.get(entry.model) ?? 0,
        needs: entry.needs,
        modal: entry.modal,
        result: entry.result,
        available: settings.flavor === 'trueai' || entry.novicezk,
      })),
    };
  }

  private priceDefaults(): Array<[string, number]> {
    return MJ_PRICE_MODELS.map((model) => [model.id, model.defaultPrice]);
  }

  // ---- connection checks ----

  async checkCandidate(dto: CheckMidjourneyConfigDto): Promise<MidjourneyHealthDto> {
    return this.checkHealth(await this.settings.candidate(dto));
  }


  /** Whether the proxy answers with the secret: a list-by-condition of no real id spends nothing. */
  async checkHealth(settings: EffectiveMidjourneySettings): Promise<MidjourneyHealthDto> {
    const configured = await this.settings.client(settings);
    if (!configured) return { ok: false, reason: 'no_secret', message: say('No midjourney-proxy address and secret are configured', '尚未配置 midjourney-proxy 地址和密钥'), latencyMs: null, usesSandbox: false };
    const started = Date.now();
    const url = settings.baseUrl;
    try {
      await configured.client.listByCondition(['0']);
      return { ok: true, reason: null, message: say(`Reached ${url} (${settings.flavor}) and the secret was accepted`, `已连接 ${url}（${settings.flavor}），密钥有效`), latencyMs: Date.now() - started, usesSandbox: settings.usesSandbox };
    } catch (error) {
      const refused = error instanceof MidjourneyError && error.kind === 'auth';
      const cause = (error as Error).message;
      const message = refused ? say(`The secret was refused: ${cause}`, `密钥被拒绝：${cause}`) : say(`Could not reach ${url}: ${cause}`, `无法连接 ${url}：${cause}`);
      return { ok: false, reason: refused ? 'secret_refused' : 'unreachable', message, latencyMs: Date.now() - started, usesSandbox: settings.usesSandbox };
    }
  }

  // ---- submissions ----

  async imagine(userId: string, dto: MidjourneyImagineDto): Promise<TaskDto> {
    const typed = checkPromptFlags(dto.prompt);
    if (typed) throw fieldError('prompt', say(`${typed.message}`, `提示词参数 ${typed.flag} 有误：${typed.message}`));
    const params: MjImagineParams = {};
    for (const [field, name] of PARAMETER_FIELDS) if (dto[field] !== undefined) (params as Record<string, unknown>)[name] = dto[field];
    const built = buildImaginePrompt(dto.prompt, params);
    if (!built.ok) {
      const field = PARAMETER_FIELDS.find(([, name]) => name === built.field)?.[0] ?? 'prompt';
      throw fieldError(field, say(`${field} (${built.flag}) ${built.message}`, `${field}（${built.flag}）取值有误：${built.message}`));
    }
    const settings = await this.settings.effective();
    await this.tasks.checkCanSubmit(userId, PROVIDER, 'imagine');
    const referenceFileIds = await this.ownImages(userId, dto.referenceImages ?? [], 'referenceImages');
    const given = Object.fromEntries(PARAMETER_FIELDS.filter(([field]) => dto[field] !== undefined).map(([field]) => [field, dto[field]]));
    return this.tasks.submit(userId, {
      provider: PROVIDER,
      model: 'imagine',
      kind: MediaKind.Image,
      action: 'imagine',
      prompt: built.prompt,
      input: { prompt: built.prompt, botType: dto.botType ?? settings.defaultBotType, ...given, ...(referenceFileIds.length ? { referenceFileIds } : {}) },
    });
  }

  async blend(userId: string, dto: MidjourneyBlendDto): Promise<TaskDto> {
    const settings = await this.settings.effective();
    await this.tasks.checkCanSubmit(userId, PROVIDER, 'blend');
    const fileIds = await this.ownImages(userId, dto.images, 'images');
    return this.tasks.submit(userId, {
      provider: PROVIDER,
      model: 'blend',
      kind: MediaKind.Image,
      action: 'blend',
      prompt: null,
      input: { fileIds, dimensions: dto.dimensions ?? 'square', botType: dto.botType ?? settings.defaultBotType },
    });
  }

  async describe(userId: string, dto: MidjourneyDescribeDto): Promise<TaskDto> {
    const settings = await this.settings.effective();
    await this.tasks.checkCanSubmit(userId, PROVIDER, 'describe');
    const [fileId] = await this.ownImages(userId, [dto.image], 'image');
    return this.tasks.submit(userId, {
      provider: PROVIDER,
      model: 'describe',
      kind: MediaKind.Image,
      action: 'describe',
      prompt: null,
      input: { fileId, botType: dto.botType ?? settings.defaultBotType },
    });
  }

  /**
   * A child task from one of the parent's actions, charged at the action's price. The parent must
   * be the caller's (404), succeeded and offering the action now (409 saying why).
   */
  async act(userId: string, parentId: string, dto: MidjourneyTaskActionDto): Promise<TaskDto> {
    const parent = await this.midjourneyTask(userId, parentId);
    const key = dto.action as MjActionKey;
    const entry = catalogueEntry(key) as MjCatalogueEntry;
    if (parent.status !== TaskStatus.Succeeded) {
      throw new ConflictException(say(`The task has not succeeded (it is ${parent.status}): only a finished task offers actions`, `任务尚未成功（当前为 ${parent.status}）：只有已完成的任务才能执行操作`));
    }
    const offers = ((parent.providerState as MjState).offers ?? []) as string[];
    if (!offers.includes(key)) {
      const settings = await this.settings.effective();
      const why =
        settings.flavor === 'novicezk' && !entry.novicezk
          ? say(`${entry.label.en} needs the trueai midjourney-proxy (this server uses novicezk)`, `“${entry.label.zhCN}”需要 trueai 版 midjourney-proxy（当前为 novicezk）`)
          : say(`This task does not offer ${entry.label.en} (it offers: ${offers.join(', ') || 'nothing'})`, `这个任务不提供“${entry.label.zhCN}”（可用：${offers.join(', ') || '无'}）`);
      throw new ConflictException(why);
    }
    const problems: Array<{ field: string; messages: string[] }> = [];
    if (key !== 'zoom:custom' && dto.zoom !== undefined) problems.push({ field: 'zoom', messages: [say('zoom is only for zoom:custom', 'zoom 只用于 zoom:custom')] });
    if (key !== 'vary:region' && (dto.maskFileId || dto.maskDataUrl)) problems.push({ field: dto.maskFileId ? 'maskFileId' : 'maskDataUrl', messages: [say('a mask is only for vary:region', '蒙版只用于 vary:region')] });
    if (!isModalAction(key) && dto.prompt !== undefined) problems.push({ field: 'prompt', messages: [say(`${key} takes no prompt (only zoom:custom and vary:region do)`, `${key} 不接受提示词（只有 zoom:custom 和 vary:region 接受）`)] });
    if (key === 'vary:region' && !dto.maskFileId === !dto.maskDataUrl) problems.push({ field: 'maskFileId', messages: [say('vary:region needs a mask: send maskFileId or maskDataUrl (one of them)', 'vary:region 需要蒙版：请发送 maskFileId 或 maskDataUrl（二选一）')] });
    if (dto.prompt !== undefined) {
      const typed = checkPromptFlags(dto.prompt);
      if (typed) problems.push({ field: 'prompt', messages: [typed.message] });
    }
    if (problems.length) throw new FieldValidationException(problems);
    await this.tasks.checkCanSubmit(userId, PROVIDER, entry.model);
    let maskFileId: string | undefined;
    if (key === 'vary:region') maskFileId = dto.maskFileId ? await this.ownImage(userId, dto.maskFileId, 'maskFileId') : await this.storeMask(userId, dto.maskDataUrl!);
    return this.tasks.submit(userId, {
      provider: PROVIDER,
      model: entry.model,
      kind: MediaKind.Image,
      action: key,
      prompt: dto.prompt?.trim() || parent.prompt,
      parentTaskId: parent.id,
      input: { action: key, ...(dto.prompt !== undefined ? { prompt: dto.prompt.trim() } : {}), ...(key === 'zoom:custom' ? { zoom: dto.zoom ?? 2 } : {}), ...(maskFileId ? { maskFileId } : {}) },
    });
  }

  /** A mask sent as a data URL becomes one of the user's files, so the task keeps an id, not the bytes. */
  private async storeMask(userId: string, dataUrl: string): Promise<string> {
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    try {
      const file = await this.ingest.ingestStream(Readable.from([bytes]), { userId, source: MediaSource.Upload, originalFilename: `mask-${randomUUID()}.png`, metadata: { purpose: 'midjourney-mask' } }, INPUT_LIMITS);
      return file.id;
    } catch (error) {
      throw fieldError('maskDataUrl', say(`maskDataUrl is not a usable image: ${(error as Error).message}`, `maskDataUrl 不是可用的图片：${(error as Error).message}`));
    }
  }

  /** Every reference: one of the user's stored images by id, or an outside URL copied in first. */
  private async ownImages(userId: string, references: string[], field: string): Promise<string[]> {
    const ids: string[] = [];
    for (const [index, reference] of references.entries()) {
      const name = `${field}${references.length > 1 || field !== 'image' ? `.${index}` : ''}`;
      ids.push(UUID.test(reference) ? await this.ownImage(userId, reference, name) : await this.imageFromUrl(userId, reference, name));
    }
    return ids;
  }

  private async ownImage(userId: string, id: string, field: string): Promise<string> {
    const file = await this.dataSource.getRepository(MediaFile).findOneBy({ id, userId, status: MediaStatus.Stored });
    if (!file) throw fieldError(field, say(`${field} is not one of your stored images`, `${field} 不在你已保存的图片中（可能已被删除）`));
    if (!INPUT_LIMITS.allowedTypes.includes(file.mimeType ?? '')) throw fieldError(field, say(`${field} must be a JPEG, PNG or WebP image (it is ${file.mimeType})`, `${field} 必须是 JPEG、PNG 或 WebP 图片（这张是 ${file.mimeType}）`));
    return file.id;
  }

  private async imageFromUrl(userId: string, url: string, field: string): Promise<string> {
    const own = await this.dataSource.getRepository(MediaFile).findOne({
      where: [
        { userId, url, status: MediaStatus.Stored },
        { userId, url: url.replace(/^https?:\/\/[^/]+(?=\/media\/)/i, ''), status: MediaStatus.Stored },
      ],
    });
    if (own) return this.ownImage(userId, own.id, field);
    if (!/^https?:\/\//i.test(url)) throw fieldError(field, say(`${field} must be one of your file ids or an http(s) URL`, `${field} 必须是你的文件 id 或 http(s) 地址`));
    try {
      const file = await this.ingest.ingestInput(url, { userId, source: MediaSource.Upload, metadata: { purpose: 'midjourney-input' } }, INPUT_LIMITS);
      return file.id;
    } catch (error) {
      if (error instanceof FetchRefusedError) throw fieldError(field, say(`${field} could not be fetched: ${error.message}`, `${field} 无法下载：${error.message}`));
      throw fieldError(field, `${field} ${(error as Error).message}`);
    }
  }

  // ---- tasks ----

  private midjourneyTask(userId: string, taskId: string): Promise<GenerationTask> {
    return this.providerTasks.own(PROVIDER, userId, taskId);
  }

  task(userId: string, taskId: string): Promise<TaskDto> {
    return this.providerTasks.view(PROVIDER, userId, taskId);
  }

  /** The engine's cancel, except that a novicezk proxy cannot stop a job it has been sent (409). */
  async cancel(userId: string, taskId: string, acceptLoss?: boolean): Promise<CancelResultDto> {
    const task = await this.midjourneyTask(userId, taskId);
    const state = task.providerState as MjState;
    const active = ![TaskStatus.Succeeded, TaskStatus.Failed, TaskStatus.Canceled].includes(task.status);
    if (active && state.mjId && (state.flavor ?? (await this.settings.effective()).flavor) === 'novicezk') {
      throw new ConflictException(
        say(
          'The novicezk midjourney-proxy cannot cancel a job once it has been sent; it will finish and you keep the results',
          'novicezk 版 midjourney-proxy 无法取消已提交的任务；任务会完成，结果归你所有',
        ),
      );
    }
    return this.tasks.cancel(userId, taskId, acceptLoss);
  }

  listHistory(userId: string, query: MidjourneyHistoryQueryDto): Promise<TaskPageDto> {
    return this.providerTasks.list(PROVIDER, userId, query);
  }
}
