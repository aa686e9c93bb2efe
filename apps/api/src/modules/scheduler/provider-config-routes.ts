import { applyDecorators, Get, HttpCode, Post, type Type } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiPaymentRequiredResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/error-response.dto.js';
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

/**
 * What a provider's submission route may answer besides its task: each provider words the 400
 * (its own refusals), the 502 and the 503; the 402 is the same for all.
 */
export const ProviderSubmitErrors = (descriptions: { badRequest: string; badGateway: string; unavailable: string }) =>
  applyDecorators(
    ApiBadRequestResponse({ type: ErrorResponseDto, description: descriptions.badRequest }),
    ApiPaymentRequiredResponse({ type: ErrorResponseDto, description: 'Not enough credits; nothing was sent' }),
    ApiBadGatewayResponse({ type: ErrorResponseDto, description: descriptions.badGateway }),
    ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: descriptions.unavailable }),
  );
