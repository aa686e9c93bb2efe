import { applyDecorators, Get, HttpCode, Post, type Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Authenticated } from '../auth-sms/authenticated.decorator.js';

/**
 * The four settings routes every provider module has (`config`, `config`, `config/check`,
 * `config/user`), with the same guards and statuses: each module gives only its words and types.
 */
export const ProviderConfigRoutes = {
  /** `GET config` (admin): the settings, secrets never included. */
  get: (summary: string, type: Type) => applyDecorators(Get('config'), Authenticated({ admin: true }), ApiOperation({ summary }), ApiOkResponse({ type })),
  /** `POST config` (admin): saves what was sent and answers the settings. */
  save: (summary: string, type: Type) => applyDecorators(Post('config'), HttpCode(200), Authenticated({ admin: true }), ApiOperation({ summary }), ApiOkResponse({ type })),
  /** `POST config/check` (admin): tries the form's connection fields; nothing is saved. */
  check: (summary: string, description: string, type: Type) =>
    applyDecorators(Post('config/check'), HttpCode(200), Authenticated({ admin: true }), ApiOperation({ summary, description }), ApiOkResponse({ type })),
  /** `GET config/user` (any user): whether the provider can be used now. */
  user: (summary: string, type: Type) => applyDecorators(Get('config/user'), Authenticated(), ApiOperation({ summary }), ApiOkResponse({ type })),
};
