import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import bearer from 'passport-http-bearer';
import { ApiKeysService } from './api-keys.service.js';
import type { AuthContext } from './auth.types.js';

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(bearer.Strategy, 'api-key') {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  async validate(token: string): Promise<AuthContext | false> {
    const found = await this.apiKeys.authenticate(token);
    return found ? { user: found.user, via: 'api-key', apiKeyId: found.key.id } : false;
  }
}
