import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { isVolcModel, VOLC_MODEL_IDS, VOLC_MODELS, VOLC_VISUAL_BASE_URL, type VolcReqKeyOverrides, VolcVisualClient } from '@atelier/providers/volcengine';
import { DataSource } from 'typeorm';
import { type FieldError, FieldValidationException } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { RecentlyRead } from '../../common/recently-read.js';
import { SecretBox } from '../../common/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import type { CheckJimengConfigDto, JimengConfigDto, SaveJimengConfigDto } from './dto/jimeng.dto.js';
import { type JimengAigcMeta, JimengSettings, type JimengWatermark } from './jimeng-settings.entity.js';

/** Requests to Volcengine itself (submit, query) give up after this; tasks have their own deadline. */
const REQUEST_TIMEOUT_MS = 30_000;
const SETTINGS_CACHE_MS = 2000;
const DEFAULT_TIMEOUT_SECONDS = 3600;
/** Volcengine's default concurrency is 1–2 per capability (§3.2). */
const DEFAULT_MAX_CONCURRENT = 2;
const REQ_KEY = /^[a-z0-9_]{1,100}$/;

export const DEFAULT_WATERMARK: JimengWatermark = { enabled: false, position: 0, language: 0, opacity: 0.3, text: '' };
export const DEFAULT_AIGC_META: JimengAigcMeta = { enabled: false, contentProducer: '', producerId: '', contentPropagator: '', propagateId: '' };

export interface EffectiveJimengSettings {
  enabled: boolean;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  baseUrl: string;
  timeoutSeconds: number;
  maxConcurrentTasks: number;
  reqKeyOverrides: VolcReqKeyOverrides;
  watermark: JimengWatermark;
  aigcMeta: JimengAigcMeta;
  /** Untouched settings in sandbox mode point at this server's own Volcengine sandbox. */
  usesSandbox: boolean;
  /** The AccessKeyId an admin has stored (the sandbox's own key does not count). */
  accessKeyIdSaved: string | null;
  secretSaved: boolean;
  saved: boolean;
}

const normalizeBaseUrl = (url: string): string | null => url.replace(/\/+$/, '') || null;

/** Only known model ids with well-formed req_keys survive a read (a hand-edited row cannot break submission). */
function cleanOverrides(value: unknown): VolcReqKeyOverrides {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter(([model, key]) => isVolcModel(model) && typeof key === 'string' && REQ_KEY.test(key))) as VolcReqKeyOverrides;
}

@Injectable()
export class JimengSettingsService {
  private readonly secrets: SecretBox;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sandbox: SandboxLocator,
  ) {
    this.secrets = new SecretBox(config.appSecret);
  }

  private readonly recent = new RecentlyRead<'jimeng', EffectiveJimengSettings>(SETTINGS_CACHE_MS, () => this.candidate({}));

  effective(): Promise<EffectiveJimengSettings> {
    return this.recent.get('jimeng');
  }

  /** The settings saving these connection fields would give (empty keys keep the stored ones). */
  async candidate(dto: CheckJimengConfigDto): Promise<EffectiveJimengSettings> {
    const row = await this.dataSource.getRepository(JimengSettings).findOneBy({ id: 1 });
    const savedSecret = row?.secretAccessKeyEncrypted ? this.secrets.decrypt(row.secretAccessKeyEncrypted) : null;
    const accessKeyId = dto.accessKeyId || row?.accessKeyId || null;
    const secretAccessKey = dto.secretAccessKey || savedSecret;
    const baseUrl = dto.baseUrl === undefined ? (row?.baseUrl ?? null) : normalizeBaseUrl(dto.baseUrl);
    // A fresh install in sandbox mode generates at once: what an admin has not set comes from the sandbox.
    const sandboxDefaults = this.sandbox.enabled && !accessKeyId && !secretAccessKey && !baseUrl;
    const sandboxUrl = this.sandbox.enabled ? this.sandbox.url('volcengine') : null;
    const url = sandboxDefaults ? sandboxUrl! : (baseUrl ?? VOLC_VISUAL_BASE_URL);
    return {
      enabled: row?.enabled ?? true,
      accessKeyId: sandboxDefaults ? SANDBOX_CREDENTIALS.volcengine.accessKeyId : accessKeyId,
      secretAccessKey: sandboxDefaults ? SANDBOX_CREDENTIALS.volcengine.secretAccessKey : secretAccessKey,
      baseUrl: url,
      timeoutSeconds: row?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      maxConcurrentTasks: row?.maxConcurrentTasks ?? DEFAULT_MAX_CONCURRENT,
      reqKeyOverrides: cleanOverrides(row?.reqKeyOverrides),
      watermark: { ...DEFAULT_WATERMARK, ...row?.watermark },
      aigcMeta: { ...DEFAULT_AIGC_META, ...row?.aigcMeta },
      usesSandbox: sandboxDefaults || (!!sandboxUrl && url.startsWith(sandboxUrl)),
      accessKeyIdSaved: row?.accessKeyId ?? null,
      secretSaved: !!row?.secretAccessKeyEncrypted,
      saved: row !== null,
    };
  }

  /** A client for these settings (req_key overrides included), or null when keys or URL are missing. */
  async client(settings?: EffectiveJimengSettings): Promise<{ client: VolcVisualClient; settings: EffectiveJimengSettings } | null> {
    const current = settings ?? (await this.effective());
    if (!current.accessKeyId || !current.secretAccessKey || !current.baseUrl) return null;
    const client = new VolcVisualClient({
      accessKeyId: current.accessKeyId,
      secretAccessKey: current.secretAccessKey,
      baseUrl: current.baseUrl,
      reqKeys: current.reqKeyOverrides,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    return { client, settings: current };
  }

  async getConfig(): Promise<JimengConfigDto> {
    const settings = await this.effective();
    return {
      accessKeyId: settings.accessKeyIdSaved ?? '',
      secretAccessKeySet: settings.secretSaved,
      baseUrl: settings.baseUrl,
      enabled: settings.enabled,
      timeout: settings.timeoutSeconds,
      maxConcurrentTasks: settings.maxConcurrentTasks,
      reqKeyOverrides: { ...settings.reqKeyOverrides } as Record<string, string>,
      defaultReqKeys: Object.fromEntries(VOLC_MODEL_IDS.map((model) => [model, VOLC_MODELS[model].reqKey])),
      watermark: settings.watermark,
      aigcMeta: settings.aigcMeta,
      usesSandbox: settings.usesSandbox,
      sandboxAvailable: this.sandbox.enabled,
      saved: settings.saved,
    };
  }

  /** Saves what was sent; empty keys keep the stored ones, an empty baseUrl clears it, reqKeyOverrides replaces the map. */
  async saveConfig(dto: SaveJimengConfigDto): Promise<JimengConfigDto> {
    const overrides = dto.reqKeyOverrides === undefined ? undefined : checkOverrides(dto.reqKeyOverrides);
    await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(JimengSettings);
      const row = (await repository.findOne({ where: { id: 1 }, lock: { mode: 'pessimistic_write' } })) ?? repository.create({ id: 1, reqKeyOverrides: {} });
      if (dto.accessKeyId) row.accessKeyId = dto.accessKeyId;
      if (dto.secretAccessKey) row.secretAccessKeyEncrypted = this.secrets.encrypt(dto.secretAccessKey);
      if (dto.baseUrl !== undefined) row.baseUrl = normalizeBaseUrl(dto.baseUrl);
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.timeout !== undefined) row.timeoutSeconds = dto.timeout;
      if (dto.maxConcurrentTasks !== undefined) row.maxConcurrentTasks = dto.maxConcurrentTasks;
      if (overrides !== undefined) row.reqKeyOverrides = overrides;
      if (dto.watermark !== undefined) row.watermark = { ...DEFAULT_WATERMARK, ...row.watermark, ...definedOf(dto.watermark) };
      if (dto.aigcMeta !== undefined) row.aigcMeta = { ...DEFAULT_AIGC_META, ...row.aigcMeta, ...definedOf(dto.aigcMeta) };
      await repository.save(row);
    });
    this.recent.clear();
    return this.getConfig();
  }
}

const definedOf = <T extends object>(value: T): Partial<T> => Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;

/** The overrides to store (empty values dropped), or a 400 naming each bad entry. */
export function checkOverrides(given: Record<string, unknown>): Record<string, string> {
  const problems: FieldError[] = [];
  const kept: Record<string, string> = {};
  for (const [model, key] of Object.entries(given)) {
    const field = `reqKeyOverrides.${model}`;
    if (!isVolcModel(model)) problems.push({ field, messages: [say(`${model} is not a Jimeng model id (one of: ${VOLC_MODEL_IDS.join(', ')})`, `${model} 不是即梦模型 ID（可选：${VOLC_MODEL_IDS.join(', ')}）`)] });
    else if (typeof key !== 'string') problems.push({ field, messages: [say(`${field} must be a string`, `${field} 必须是字符串`)] });
    else if (key === '') continue;
    else if (!REQ_KEY.test(key)) problems.push({ field, messages: [say(`${field} must be a req_key: lower-case letters, digits and _ (at most 100)`, `${field} 必须是 req_key：小写字母、数字和下划线（最多 100 个）`)] });
    else kept[model] = key;
  }
  if (problems.length) throw new FieldValidationException(problems);
  return kept;
}
