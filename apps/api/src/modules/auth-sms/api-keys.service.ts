import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { ApiKey } from './api-key.entity.js';
import { type ApiKeyDto, type CreatedApiKeyDto, type CreateApiKeyDto, mapApiKey } from './dto/api-key.dto.js';
import { User, UserStatus } from './user.entity.js';
import { AccountDisabledException } from '../../common/errors.js';
import { say } from '../../common/language.js';

export const API_KEY_PREFIX = 'atl_';
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
/** Writing `last_used_at` on every request would turn reads into writes; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

@Injectable()
export class ApiKeysService {
  constructor(@InjectRepository(ApiKey) private readonly apiKeys: Repository<ApiKey>) {}

  async create(user: User, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const key = await this.apiKeys.save(
      this.apiKeys.create({
        userId: user.id,
        name: dto.name,
        prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
        keyHash: hashKey(secret),
        lastUsedAt: null,
      }),
    );
    return { ...mapApiKey(key), secret };
  }

  async list(user: User): Promise<ApiKeyDto[]> {
    const keys = await this.apiKeys.find({ where: { userId: user.id }, order: { createdAt: 'DESC' } });
    return keys.map(mapApiKey);
  }

  async delete(user: User, id: string): Promise<void> {
    const result = await this.apiKeys.delete({ id, userId: user.id });
    if (!result.affected) throw new NotFoundException(say('API key not found', 'API 密钥不存在'));
  }

  /** Resolves a presented key to its active owner, or null; a disabled owner's key says so. */
  async authenticate(secret: string): Promise<{ key: ApiKey; user: User } | null> {
    if (!secret.startsWith(API_KEY_PREFIX)) return null;
    const key = await this.apiKeys.findOne({ where: { keyHash: hashKey(secret) }, relations: { user: true } });
    if (!key?.user) return null;
    if (key.user.status !== UserStatus.Active) throw new AccountDisabledException(say('This account is disabled', '该账户已被停用'));
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.apiKeys.update({ id: key.id }, { lastUsedAt: () => 'now()' });
    }
    return { key, user: key.user };
  }
}
