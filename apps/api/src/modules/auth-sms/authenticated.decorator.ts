import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import { say } from '../../common/language.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import type { AuthContext } from './auth.types.js';
import { JwtStrategy } from './jwt.strategy.js';
import { UserRole } from './user.entity.js';

const ADMIN_ONLY = 'atelier:admin-only';

/**
 * Accepts a JWT or an API key in `Authorization: Bearer`, with one clear message when both fail.
 * The strategies are this application's own instances rather than passport's global registry by
 * name, so several app instances in one process (tests, workers) never use each other's database.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly jwt: JwtStrategy,
    private readonly apiKey: ApiKeyStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<{ user?: AuthContext | null; headers: Record<string, string | undefined> }>();
    const response = http.getResponse();
    const result = await new Promise<AuthContext | false>((resolve, reject) => {
      // Object.create: passport decorates the strategy per request, so each request gets its own.
      const strategies = [Object.create(this.jwt), Object.create(this.apiKey)];
      passport.authenticate(strategies, { session: false }, (error: unknown, auth: AuthContext | false) =>
        error ? reject(error) : resolve(auth),
      )(request, response, reject);
    });
    request.user = this.handleRequest(result, request.headers.authorization);
    return true;
  }

  protected handleRequest(auth: AuthContext | false, _header: string | undefined): AuthContext | null {
    if (!auth) {
      throw new UnauthorizedException(say('Sign in first: send a valid token or API key as "Authorization: Bearer <token>"', '请先登录：以 "Authorization: Bearer <token>" 发送有效的令牌或 API 密钥'));
    }
    return auth;
  }
}

/** Like BearerAuthGuard, but a request without any Authorization header passes as anonymous. */
@Injectable()
export class OptionalBearerAuthGuard extends BearerAuthGuard {
  protected override handleRequest(auth: AuthContext | false, header: string | undefined): AuthContext | null {
    if (!header) return null;
    return super.handleRequest(auth, header);
  }
}

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()]);
    if (!adminOnly) return true;
    const auth = context.switchToHttp().getRequest<{ user?: AuthContext }>().user;
    if (auth?.user.role !== UserRole.Admin) throw new ForbiddenException(say('This action needs an admin account', '此操作需要管理员账户'));
    return true;
  }
}

/** Requires a signed-in caller (JWT or API key); `{ admin: true }` also requires the admin role. */
export function Authenticated(options: { admin?: boolean } = {}) {
  return applyDecorators(
    SetMetadata(ADMIN_ONLY, options.admin ?? false),
    UseGuards(BearerAuthGuard, AdminGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Missing, invalid or expired token or API key' }),
    ...(options.admin ? [ApiForbiddenResponse({ type: ErrorResponseDto, description: 'The caller is not an admin' })] : []),
  );
}

/** Accepts anonymous callers, but authenticates those who send a token or key. */
export function OptionalAuthentication() {
  return applyDecorators(UseGuards(OptionalBearerAuthGuard), ApiBearerAuth(), ApiSecurity({}));
}

/** The caller's authentication context, set by `Authenticated`. */
export const Auth = createParamDecorator((_data: unknown, context: ExecutionContext): AuthContext => {
  return context.switchToHttp().getRequest<{ user: AuthContext }>().user;
});

/** The caller's context when signed in, or null: for `OptionalAuthentication` routes. */
export const OptionalAuth = createParamDecorator((_data: unknown, context: ExecutionContext): AuthContext | null => {
  return context.switchToHttp().getRequest<{ user?: AuthContext | null }>().user ?? null;
});
