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
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
import type { AuthContext } from './auth.types.js';
import { UserRole } from './user.entity.js';

const ADMIN_ONLY = 'atelier:admin-only';

/** Accepts a JWT or an API key in `Authorization: Bearer`, with one clear message when both fail. */
@Injectable()
export class BearerAuthGuard extends AuthGuard(['jwt', 'api-key']) {
  override handleRequest<T = AuthContext>(error: unknown, context: T | false): T {
    if (error) throw error;
    if (!context) {
      throw new UnauthorizedException('Sign in first: send a valid token or API key as "Authorization: Bearer <token>"');
    }
    return context;
  }
}

/** Like BearerAuthGuard, but a request without any Authorization header passes as anonymous. */
@Injectable()
export class OptionalBearerAuthGuard extends BearerAuthGuard {
  override handleRequest<T = AuthContext>(error: unknown, context: T | false, _info?: unknown, execution?: ExecutionContext): T {
    const header = execution?.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization;
    if (!header && !error) return null as T;
    return super.handleRequest(error, context);
  }
}

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()]);
    if (!adminOnly) return true;
    const auth = context.switchToHttp().getRequest<{ user?: AuthContext }>().user;
    if (auth?.user.role !== UserRole.Admin) throw new ForbiddenException('This action needs an admin account');
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
