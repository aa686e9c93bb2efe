import { createSecretKey } from 'node:crypto';
import type { JwtModuleOptions } from '@nestjs/jwt';
import { deriveSecret } from '../../common/app-secret.js';
import type { AppConfig } from '../../config/app-config.js';
import { JWT_ISSUER } from './jwt.strategy.js';

export function jwtModuleOptions(config: AppConfig): JwtModuleOptions {
  return {
    // `secret`, not the deprecated `secretOrPrivateKey` (JwtService warns on every sign with it).
    // A key object, so the JWT library does not first try (and fail) to read it as a public key on every call.
    secret: createSecretKey(deriveSecret(config.appSecret, 'jwt')),
    signOptions: { algorithm: 'HS256', issuer: JWT_ISSUER, expiresIn: config.jwtExpiresInSeconds },
  };
}
