import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { MidjourneyClient } from '@atelier/providers/midjourney';
import { DataSource } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { normalizeBaseUrl, ProviderSettingsStore } from '../../common/provider-settings.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import type { CheckMidjourneyConfigDto, MidjourneyConfigDto, MjBotTypeName, MjFlavorName, MjModeName, SaveMidjourneyConfigDto } from './dto/midjourney.dto.js';
import { MidjourneySettings } from './midjourney-settings.entity.js';

/** Requests to the proxy itself (submit, fetch, list); tasks have their own timeout. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface EffectiveMidjourneySettings {
  enabled: boolean;
  apiSecret: string | null;
  /** Empty when no proxy is set (there is no public default: every deployment runs its own). */
  baseUrl: string;
  flavor: MjFlavorName;
  mode: MjModeName;
  defaultBotType: MjBotTypeName;
  maxConcurrentTasks: number;
  timeoutSeconds: number;
  /** Untouched settings in sandbox mode point at this server's own midjourney-proxy sandbox. */
  usesSandbox: boolean;
  apiSecretSaved: boolean;
  saved: boolean;
}

@Injectable()
export class MidjourneySettingsService extends ProviderSettingsStore<MidjourneySettings, EffectiveMidjourneySettings, CheckMidjourneyConfigDto> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly sandbox: SandboxLocator,
  ) {
    super(config.appSecret, dataSource, MidjourneySettings);
  }

  /** The settings saving these connection fields would give (an empty secret keeps the stored one); the saved ones for no fields. */
  async candidate(dto: CheckMidjourneyConfigDto): Promise<EffectiveMidjourneySettings> {
    const row = await this.savedRow();
    const savedSecret = this.reveal(row?.apiSecretEncrypted);
    const apiSecret = dto.clearApiSecret ? null : dto.apiSecret || savedSecret;
    const baseUrl = dto.baseUrl === undefined ? (row?.baseUrl ?? null) : normalizeBaseUrl(dto.baseUrl);
    // A fresh install in sandbox mode generates at once: what an admin has not set comes from the sandbox.
    const sandboxDefaults = this.sandbox.enabled && !apiSecret && !baseUrl;
    const flavor = (dto.flavor ?? row?.flavor ?? 'trueai') as MjFlavorName;
    const sandboxBase = `${this.sandbox.url('mj')}/${flavor}`;
    return {
      enabled: row?.enabled ?? true,
      apiSecret: sandboxDefaults ? SANDBOX_CREDENTIALS.midjourney.secret : apiSecret,
      baseUrl: sandboxDefaults ? sandboxBase : (baseUrl ?? ''),
      flavor,
      mode: (dto.mode ?? row?.mode ?? 'fast') as MjModeName,
      defaultBotType: (row?.defaultBotType ?? 'MID_JOURNEY') as MjBotTypeName,
      maxConcurrentTasks: row?.maxConcurrentTasks ?? 3,
      timeoutSeconds: row?.timeoutSeconds ?? 900,
      usesSandbox: sandboxDefaults || (this.sandbox.enabled && (baseUrl ?? '').startsWith(this.sandbox.url('mj'))),
      apiSecretSaved: !!row?.apiSecretEncrypted,
      saved: row !== null,
    };
  }

  /** A client for the settings, or null while no proxy or secret is set. */
  async client(settings?: EffectiveMidjourneySettings): Promise<{ client: MidjourneyClient; settings: EffectiveMidjourneySettings } | null> {
    const current = settings ?? (await this.effective());
    if (!current.apiSecret || !current.baseUrl) return null;
    const client = new MidjourneyClient({ baseUrl: current.baseUrl, secret: current.apiSecret, flavor: current.flavor, mode: current.flavor === 'trueai' ? current.mode : undefined, timeoutMs: REQUEST_TIMEOUT_MS });
    return { client, settings: current };
  }

  async getConfig(): Promise<MidjourneyConfigDto> {
    const settings = await this.effective();
    return {
      apiSecretSet: settings.apiSecretSaved,
      baseUrl: settings.baseUrl,
      flavor: settings.flavor,
      mode: settings.mode,
      defaultBotType: settings.defaultBotType,
      enabled: settings.enabled,
      maxConcurrentTasks: settings.maxConcurrentTasks,
      timeout: settings.timeoutSeconds,
      usesSandbox: settings.usesSandbox,
      sandboxAvailable: this.sandbox.enabled,
      saved: settings.saved,
    };
  }

  /** Saves what was sent; an empty apiSecret keeps the stored one (clearApiSecret forgets it), an empty baseUrl returns to the default. */
  async saveConfig(dto: SaveMidjourneyConfigDto): Promise<MidjourneyConfigDto> {
    if (dto.clearApiSecret && dto.apiSecret) throw fieldError('apiSecret', say('Send a new apiSecret or clearApiSecret, not both', '请填写新的 apiSecret 或选择清除密钥，不能同时进行'));
    await this.updateRow((row) => {
      if (dto.apiSecret) row.apiSecretEncrypted = this.secrets.encrypt(dto.apiSecret);
      if (dto.clearApiSecret) row.apiSecretEncrypted = null;
      if (dto.baseUrl !== undefined) row.baseUrl = normalizeBaseUrl(dto.baseUrl);
      if (dto.flavor !== undefined) row.flavor = dto.flavor;
      if (dto.mode !== undefined) row.mode = dto.mode;
      if (dto.defaultBotType !== undefined) row.defaultBotType = dto.defaultBotType;
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.maxConcurrentTasks !== undefined) row.maxConcurrentTasks = dto.maxConcurrentTasks;
      if (dto.timeout !== undefined) row.timeoutSeconds = dto.timeout;
    });
    return this.getConfig();
  }
}
