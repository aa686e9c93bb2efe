import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { KlingClient, klingBaseUrl, type KlingRegion } from '@atelier/providers/kling';
import { DataSource } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { normalizeBaseUrl, ProviderSettingsStore } from '../../common/provider-settings.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import type { CheckKlingConfigDto, KlingConfigDto, SaveKlingConfigDto } from './dto/kling.dto.js';
import { KlingSettings } from './kling-settings.entity.js';

/** Requests to Kling itself (submit, query) give up after this; tasks have their own deadline. */
const REQUEST_TIMEOUT_MS = 30_000;
/** A video may take long: one hour by default (the engine's default for videos). */
const DEFAULT_TIMEOUT_SECONDS = 3600;

export interface EffectiveKlingSettings {
  enabled: boolean;
  accessKey: string | null;
  secretKey: string | null;
  region: KlingRegion | 'custom';
  baseUrl: string;
  timeoutSeconds: number;
  maxConcurrentTasks: number;
  /** Untouched settings in sandbox mode point at this server's own Kling sandbox. */
  usesSandbox: boolean;
  /** The AccessKey an admin has stored (the sandbox's own key does not count). */
  accessKeySaved: string | null;
  secretKeySaved: boolean;
  saved: boolean;
}

@Injectable()
export class KlingSettingsService extends ProviderSettingsStore<KlingSettings, EffectiveKlingSettings, CheckKlingConfigDto> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly sandbox: SandboxLocator,
  ) {
    super(config.appSecret, dataSource, KlingSettings);
  }

  /** The settings saving these connection fields would give (empty keys keep the stored ones). */
  async candidate(dto: CheckKlingConfigDto): Promise<EffectiveKlingSettings> {
    const row = await this.savedRow();
    const savedSecret = this.reveal(row?.secretKeyEncrypted);
    const accessKey = dto.accessKey || row?.accessKey || null;
    const secretKey = dto.secretKey || savedSecret;
    const region = (dto.region ?? row?.region ?? null) as KlingRegion | 'custom' | null;
    const baseUrl = dto.baseUrl === undefined ? (row?.baseUrl ?? null) : normalizeBaseUrl(dto.baseUrl);
    // A fresh install in sandbox mode generates at once: what an admin has not set comes from the sandbox.
    const sandboxDefaults = this.sandbox.enabled && !accessKey && !secretKey && !region && !baseUrl;
    const sandboxUrl = this.sandbox.enabled ? this.sandbox.url('kling') : null;
    const effectiveRegion = sandboxDefaults ? 'custom' : (region ?? (baseUrl ? 'custom' : 'singapore'));
    let url: string;
    if (sandboxDefaults) url = sandboxUrl!;
    else if (effectiveRegion === 'custom') url = baseUrl ?? '';
    else url = klingBaseUrl(effectiveRegion);
    return {
      enabled: row?.enabled ?? true,
      accessKey: sandboxDefaults ? SANDBOX_CREDENTIALS.kling.accessKey : accessKey,
      secretKey: sandboxDefaults ? SANDBOX_CREDENTIALS.kling.secretKey : secretKey,
      region: effectiveRegion,
      baseUrl: url,
      timeoutSeconds: row?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      maxConcurrentTasks: row?.maxConcurrentTasks ?? 3,
      usesSandbox: sandboxDefaults || (!!sandboxUrl && url.startsWith(sandboxUrl)),
      accessKeySaved: row?.accessKey ?? null,
      secretKeySaved: !!row?.secretKeyEncrypted,
      saved: row !== null,
    };
  }

  /** A client for these settings, or null when keys or URL are missing. */
  async client(settings?: EffectiveKlingSettings): Promise<{ client: KlingClient; settings: EffectiveKlingSettings } | null> {
    const current = settings ?? (await this.effective());
    if (!current.accessKey || !current.secretKey || !current.baseUrl) return null;
    const client = new KlingClient({ accessKey: current.accessKey, secretKey: current.secretKey, baseUrl: current.baseUrl, timeoutMs: REQUEST_TIMEOUT_MS });
    return { client, settings: current };
  }

  async getConfig(): Promise<KlingConfigDto> {
    const settings = await this.effective();
    return {
      accessKey: settings.accessKeySaved ?? '',
      secretKeySet: settings.secretKeySaved,
      region: settings.region,
      baseUrl: settings.baseUrl,
      enabled: settings.enabled,
      timeout: settings.timeoutSeconds,
      maxConcurrentTasks: settings.maxConcurrentTasks,
      usesSandbox: settings.usesSandbox,
      sandboxAvailable: this.sandbox.enabled,
      saved: settings.saved,
    };
  }

  /** Saves what was sent; empty keys keep the stored ones, an empty baseUrl clears it. */
  async saveConfig(dto: SaveKlingConfigDto): Promise<KlingConfigDto> {
    await this.updateRow((row) => {
      if (dto.accessKey) row.accessKey = dto.accessKey;
      if (dto.secretKey) row.secretKeyEncrypted = this.secrets.encrypt(dto.secretKey);
      if (dto.region !== undefined) row.region = dto.region;
      if (dto.baseUrl !== undefined) row.baseUrl = normalizeBaseUrl(dto.baseUrl);
      if (row.region === 'custom' && !row.baseUrl) throw fieldError('baseUrl', say('Region custom needs a baseUrl', '自定义区域需要填写 baseUrl'));
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.timeout !== undefined) row.timeoutSeconds = dto.timeout;
      if (dto.maxConcurrentTasks !== undefined) row.maxConcurrentTasks = dto.maxConcurrentTasks;
    });
    return this.getConfig();
  }
}
