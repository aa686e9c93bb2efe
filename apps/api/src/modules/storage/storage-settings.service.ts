import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { join } from 'node:path';
import { Repository } from 'typeorm';
import { fieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import { RecentlyRead } from '../../common/recently-read.js';
import { SecretBox } from '../../common/secret-box.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { SandboxLocator } from '../system/sandbox-locator.service.js';
import { CosStorageDriver } from './drivers/cos.driver.js';
import { LocalStorageDriver } from './drivers/local.driver.js';
import { type StorageDriver, StorageError } from './drivers/storage-driver.js';
import type { CheckStorageConfigDto, SaveStorageConfigDto, StorageConfigDto, StorageTestResultDto } from './dto/storage.dto.js';
import { StorageDriverName } from './media-file.entity.js';
import { StorageProvider, StorageSettings } from './storage-settings.entity.js';

const DEFAULTS = {
  provider: StorageProvider.Local,
  enabled: true,
  sandbox: false,
  region: null,
  bucket: null,
  domain: null,
  protocol: 'https:',
  autoUpload: true,
  allowedTypes: ['image/*', 'video/*'],
  maxFileSize: 100 * 1024 * 1024,
  basePath: 'generated/',
  imagePath: 'images/',
  videoPath: 'videos/',
};

export type EffectiveStorageSettings = Omit<StorageSettings, 'id' | 'updatedAt' | 'secretIdEncrypted' | 'secretKeyEncrypted'> & {
  saved: boolean;
  row: StorageSettings | null;
};

@Injectable()
export class StorageSettingsService {
  private readonly secrets: SecretBox;
  readonly local: LocalStorageDriver;
  /** The COS driver for the current settings, rebuilt when they change. */
  private cosCache?: { stamp: string; driver: CosStorageDriver };

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(StorageSettings) private readonly settings: Repository<StorageSettings>,
    private readonly sandbox: SandboxLocator,
  ) {
    this.secrets = new SecretBox(config.appSecret);
    this.local = new LocalStorageDriver(join(config.dataDir, 'media'));
  }

  /** Reads the settings now (admin pages, uploads); storing task outputs uses `recent()`. */
  async effective(): Promise<EffectiveStorageSettings> {
    const settings = this.read();
    return this.recentlyRead.keep('storage', settings);
  }

  /**
   * The settings as read within the last 2 s: for storing task outputs, which happens for every
   * task. A change on this instance shows at once; one made on another instance within 2 s.
   */
  recent(): Promise<EffectiveStorageSettings> {
    return this.recentlyRead.get('storage');
  }

  private readonly recentlyRead = new RecentlyRead<'storage', EffectiveStorageSettings>(2000, () => this.read());

  private async read(): Promise<EffectiveStorageSettings> {
    const row = await this.settings.findOneBy({ id: 1 });
    return row ? { ...row, saved: true, row } : { ...DEFAULTS, saved: false, row: null };
  }

  /** The driver that receives new files. */
  async activeDriver(settings?: EffectiveStorageSettings): Promise<StorageDriver> {
    const current = settings ?? (await this.effective());
    if (current.provider === StorageProvider.Cos && current.enabled && current.row) return this.cosDriver(current.row);
    return this.local;
  }

  /** The driver holding files recorded under `name` (old files keep working after a switch). */
  async driverFor(name: StorageDriverName): Promise<StorageDriver> {
    if (name === StorageDriverName.Local) return this.local;
    const row = await this.settings.findOneBy({ id: 1 });
    if (!row) throw new StorageError('config', say('COS is not configured any more', 'COS 已不再配置'));
    return this.cosDriver(row);
  }

  private cosDriver(row: StorageSettings): CosStorageDriver {
    const stamp = `${row.updatedAt.getTime()}:${this.sandbox.port()}`;
    if (this.cosCache?.stamp === stamp) return this.cosCache.driver;
    const driver = this.buildCos(row.sandbox, {
      secretId: row.secretIdEncrypted ? this.secrets.decrypt(row.secretIdEncrypted) : null,
      secretKey: row.secretKeyEncrypted ? this.secrets.decrypt(row.secretKeyEncrypted) : null,
      region: row.region,
      bucket: row.bucket,
      domain: row.domain,
      protocol: row.protocol,
    });
    this.cosCache = { stamp, driver };
    return driver;
  }

  /** A COS driver for connection fields (saved or a form's); missing ones are a `config` failure. */
  private buildCos(
    sandbox: boolean,
    fields: { secretId: string | null; secretKey: string | null; region: string | null; bucket: string | null; domain: string | null; protocol: string },
  ): CosStorageDriver {
    if (sandbox) {
      if (!this.sandbox.enabled) {
        throw new StorageError('config', say('Storage is set to the sandbox COS, but this server does not run the sandbox', '存储设置为沙盒 COS，但此服务器未运行沙盒'));
      }
      const { secretId, secretKey, region, bucket } = SANDBOX_CREDENTIALS.cos;
      return new CosStorageDriver({ secretId, secretKey, region, bucket, domain: `127.0.0.1:${this.sandbox.port()}/sandbox/cos/{Bucket}`, protocol: 'http:' });
    }
    const { secretId, secretKey, region, bucket } = fields;
    if (!secretId || !secretKey || !region || !bucket) {
      throw new StorageError('config', say('COS is missing its SecretId, SecretKey, region or bucket', 'COS 缺少 SecretId、SecretKey、地域或存储桶'));
    }
    return new CosStorageDriver({ secretId, secretKey, region, bucket, domain: fields.domain, protocol: fields.protocol === 'http:' ? 'http:' : 'https:' });
  }

  async getConfig(): Promise<StorageConfigDto> {
    const s = await this.effective();
    const active = s.provider === StorageProvider.Cos && s.enabled && s.row ? StorageProvider.Cos : StorageProvider.Local;
    return {
      provider: s.provider,
      enabled: s.enabled,
      sandbox: s.sandbox,
      secretIdSet: !!s.row?.secretIdEncrypted,
      secretKeySet: !!s.row?.secretKeyEncrypted,
      region: s.sandbox ? SANDBOX_CREDENTIALS.cos.region : s.region,
      bucket: s.sandbox ? SANDBOX_CREDENTIALS.cos.bucket : s.bucket,
      domain: s.domain,
      protocol: s.protocol,
      autoUpload: s.autoUpload,
      allowedTypes: s.allowedTypes,
      maxFileSize: s.maxFileSize,
      basePath: s.basePath,
      imagePath: s.imagePath,
      videoPath: s.videoPath,
      activeDriver: active,
      sandboxAvailable: this.sandbox.enabled,
      saved: s.saved,
    };
  }

  async saveConfig(dto: SaveStorageConfigDto): Promise<StorageConfigDto> {
    const current = await this.settings.findOneBy({ id: 1 });
    const sandbox = dto.provider === StorageProvider.Cos && (dto.sandbox ?? false);
    if (sandbox && !this.sandbox.enabled) throw fieldError('sandbox', say('the sandbox COS is only available while the server runs in sandbox mode', '只有服务器以沙盒模式运行时才能使用沙盒 COS'));
    // Empty secrets keep the stored ones: the API never sends them back to be re-submitted.
    const secretIdEncrypted = dto.secretId ? this.secrets.encrypt(dto.secretId) : (current?.secretIdEncrypted ?? null);
    const secretKeyEncrypted = dto.secretKey ? this.secrets.encrypt(dto.secretKey) : (current?.secretKeyEncrypted ?? null);
    const region = dto.region ?? current?.region ?? null;
    const bucket = dto.bucket ?? current?.bucket ?? null;
    if (dto.provider === StorageProvider.Cos && dto.enabled && !sandbox) {
      if (!secretIdEncrypted) throw fieldError('secretId', say('secretId is required for COS', 'COS 需要填写 SecretId'));
      if (!secretKeyEncrypted) throw fieldError('secretKey', say('secretKey is required for COS', 'COS 需要填写 SecretKey'));
      if (!region) throw fieldError('region', say('region is required for COS', 'COS 需要填写地域'));
      if (!bucket) throw fieldError('bucket', say('bucket is required for COS', 'COS 需要填写存储桶'));
    }
    const base = current ?? DEFAULTS;
    await this.settings.save(
      this.settings.create({
        id: 1,
        provider: dto.provider,
        enabled: dto.enabled,
        sandbox,
        secretIdEncrypted,
        secretKeyEncrypted,
        region,
        bucket,
        domain: dto.domain !== undefined ? dto.domain || null : (current?.domain ?? null),
        protocol: dto.protocol ?? base.protocol,
        autoUpload: dto.autoUpload ?? base.autoUpload,
        allowedTypes: dto.allowedTypes ?? base.allowedTypes,
        maxFileSize: dto.maxFileSize ?? base.maxFileSize,
        basePath: dto.basePath ?? base.basePath,
        imagePath: dto.imagePath ?? base.imagePath,
        videoPath: dto.videoPath ?? base.videoPath,
      }),
    );
    return this.getConfig();
  }

  /** Tests the saved settings end to end; answers what failed in plain words. */
  async test(): Promise<StorageTestResultDto> {
    const settings = await this.effective();
    const provider = settings.provider;
    return this.probe(provider, () => {
      if (provider !== StorageProvider.Cos) return this.local;
      if (!settings.row) throw new StorageError('config', say('COS is not configured yet: save its settings first', 'COS 尚未配置：请先保存其设置'));
      return this.cosDriver(settings.row);
    });
  }

  /**
   * Tests the connection fields of the admin form before they are saved (the rules of saving: an
   * empty secret keeps the stored one, a field left out keeps the saved value). Nothing is saved.
   */
  async check(dto: CheckStorageConfigDto): Promise<StorageTestResultDto> {
    const provider = dto.provider;
    return this.probe(provider, async () => {
      if (provider !== StorageProvider.Cos) return this.local;
      const row = await this.settings.findOneBy({ id: 1 });
      return this.buildCos(dto.sandbox ?? false, {
        secretId: dto.secretId || (row?.secretIdEncrypted ? this.secrets.decrypt(row.secretIdEncrypted) : null),
        secretKey: dto.secretKey || (row?.secretKeyEncrypted ? this.secrets.decrypt(row.secretKeyEncrypted) : null),
        region: dto.region || (row?.region ?? null),
        bucket: dto.bucket || (row?.bucket ?? null),
        domain: dto.domain !== undefined ? dto.domain || null : (row?.domain ?? null),
        protocol: dto.protocol ?? row?.protocol ?? DEFAULTS.protocol,
      });
    });
  }

  private async probe(provider: StorageProvider, driver: () => StorageDriver | Promise<StorageDriver>): Promise<StorageTestResultDto> {
    try {
      await (await driver()).test();
      const message =
        provider === StorageProvider.Cos
          ? say('COS works: the bucket answered and a probe file was written and deleted', 'COS 可用：存储桶已响应，测试文件已写入并删除')
          : say('Local storage works: the data folder is writable', '本地存储可用：数据文件夹可写');
      return { ok: true, provider, reason: null, message };
    } catch (error) {
      const storageError = error instanceof StorageError ? error : new StorageError('other', (error as Error).message);
      return { ok: false, provider, reason: storageError.reason, message: storageError.message };
    }
  }
}
