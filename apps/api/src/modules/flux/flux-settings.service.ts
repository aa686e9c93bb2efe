import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { FAL_DEFAULT_BASE_URL, FalClient } from '@atelier/providers/fal';
import { DataSource } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { normalizeBaseUrl, ProviderSettingsStore } from '../../common/provider-settings.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import type { CheckFluxConfigDto, FluxConfigDto, SaveFluxConfigDto } from './dto/flux.dto.js';
import { DEFAULT_FLUX_MODEL, findFluxModel } from './flux-models.js';
import { FluxSettings } from './flux-settings.entity.js';

/** Requests to fal itself (submit, status, result) give up after this; tasks have their own timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface EffectiveFluxSettings {
  enabled: boolean;
  apiKey: string | null;
  baseUrl: string;
  timeoutSeconds: number;
  maxConcurrentTasks: number;
  defaultModel: string;
  /** Untouched settings in sandbox mode point at this server's own fal sandbox. */
  usesSandbox: boolean;
  /** An admin has stored a key (the sandbox's own key does not count). */
  apiKeySaved: boolean;
  saved: boolean;
}

@Injectable()
export class FluxSettingsService extends ProviderSettingsStore<FluxSettings, EffectiveFluxSettings, CheckFluxConfigDto> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly sandbox: SandboxLocator,
  ) {
    super(config.appSecret, dataSource, FluxSettings);
  }

  /**
   * The settings saving these connection fields would give (an empty key keeps the stored one, an
   * empty URL returns to the default): the saved ones for no fields, a check before saving otherwise.
   */
  async candidate(dto: CheckFluxConfigDto): Promise<EffectiveFluxSettings> {
    const row = await this.savedRow();
    const savedKey = this.reveal(row?.apiKeyEncrypted);
    const apiKey = dto.clearApiKey ? null : dto.apiKey || savedKey;
    const baseUrl = dto.baseUrl === undefined ? (row?.baseUrl ?? null) : normalizeBaseUrl(dto.baseUrl);
    return this.resolve(row, apiKey, baseUrl);
  }

  private resolve(row: FluxSettings | null, savedKey: string | null, savedBaseUrl: string | null): EffectiveFluxSettings {
    // A fresh install in sandbox mode generates at once: the key and URL an admin has not set come from the sandbox.
    const sandboxDefaults = this.sandbox.enabled && !savedKey && !savedBaseUrl;
    return {
      enabled: row?.enabled ?? true,
      apiKey: sandboxDefaults ? SANDBOX_CREDENTIALS.fal.key : savedKey,
      baseUrl: sandboxDefaults ? this.sandbox.url('fal') : (savedBaseUrl ?? FAL_DEFAULT_BASE_URL),
      timeoutSeconds: row?.timeoutSeconds ?? 900,
      maxConcurrentTasks: row?.maxConcurrentTasks ?? 4,
      defaultModel: row?.defaultModel ?? DEFAULT_FLUX_MODEL,
      usesSandbox: sandboxDefaults || (this.sandbox.enabled && (savedBaseUrl ?? '').startsWith(this.sandbox.url('fal'))),
      apiKeySaved: !!row?.apiKeyEncrypted,
      saved: row !== null,
    };
  }

  async client(settings?: EffectiveFluxSettings): Promise<{ client: FalClient; settings: EffectiveFluxSettings } | null> {
    const current = settings ?? (await this.effective());
    if (!current.apiKey) return null;
    return { client: new FalClient({ apiKey: current.apiKey, baseUrl: current.baseUrl, timeoutMs: REQUEST_TIMEOUT_MS }), settings: current };
  }

  async getConfig(): Promise<FluxConfigDto> {
    const settings = await this.effective();
    return {
      apiKeySet: settings.apiKeySaved,
      baseUrl: settings.baseUrl,
      enabled: settings.enabled,
      timeout: settings.timeoutSeconds,
      maxConcurrentTasks: settings.maxConcurrentTasks,
      defaultModel: settings.defaultModel,
      usesSandbox: settings.usesSandbox,
      sandboxAvailable: this.sandbox.enabled,
      saved: settings.saved,
    };
  }

  /** Saves what was sent; an empty apiKey keeps the stored one (clearApiKey forgets it), an empty baseUrl returns to the default. */
  async saveConfig(dto: SaveFluxConfigDto): Promise<FluxConfigDto> {
    if (dto.defaultModel !== undefined && !findFluxModel(dto.defaultModel)) throw fieldError('defaultModel', `Unknown model "${dto.defaultModel}"`);
    if (dto.clearApiKey && dto.apiKey) throw fieldError('apiKey', say('Send a new apiKey or clearApiKey, not both', '请填写新的 apiKey 或选择清除密钥，不能同时进行'));
    await this.updateRow((row) => {
      if (dto.apiKey) row.apiKeyEncrypted = this.secrets.encrypt(dto.apiKey);
      if (dto.clearApiKey) row.apiKeyEncrypted = null;
      if (dto.baseUrl !== undefined) row.baseUrl = normalizeBaseUrl(dto.baseUrl);
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.timeout !== undefined) row.timeoutSeconds = dto.timeout;
      if (dto.maxConcurrentTasks !== undefined) row.maxConcurrentTasks = dto.maxConcurrentTasks;
      if (dto.defaultModel !== undefined) row.defaultModel = dto.defaultModel;
    });
    return this.getConfig();
  }
}
