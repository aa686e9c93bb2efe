import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { databaseUnavailableMessage, isDatabaseUnavailable } from '../database/availability.js';
import { type ErrorCode, ErrorBody, FieldValidationException, RateLimitedException } from './errors.js';
import { say } from './language.js';
import { requestIdOf } from './request-id.js';

/** Errors raised by body-parser carry a status and a type. */
interface BodyParserError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

export function errorBody(statusCode: number, message: string, details?: ErrorBody['details']): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(details ? { details } : {}) };
}

/** Maps anything thrown while handling a request to the one JSON error shape, never leaking internals. */
export function toErrorBody(exception: unknown): { body: ErrorBody; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (exception instanceof FieldValidationException) {
    return { body: errorBody(400, exception.message, exception.details), headers };
  }
  if (exception instanceof RateLimitedException) {
    headers['Retry-After'] = String(exception.retryAfterSeconds);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const raw = (response as { message: unknown }).message;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw);
    }
    const body = errorBody(status, message);
    if (exception.errorCode) body.errorCode = exception.errorCode as ErrorCode;
    return { body, headers };
  }
  // Storage failures (wrong keys, unreachable bucket) are an outside service failing, said plainly.
  if (exception instanceof Error && exception.name === 'StorageError') {
    return { body: errorBody(502, say(`Storage failed: ${exception.message}`, `存储失败：${exception.message}`)), headers };
  }
  // A database that is down, restarting or not answering is a 503 to retry, not a bug.
  if (isDatabaseUnavailable(exception)) {
    return { body: errorBody(503, databaseUnavailableMessage()), headers: { ...headers, 'Retry-After': '5' } };
  }
  if (exception instanceof QueryFailedError) {
    const code = (exception as QueryFailedError & { driverError?: { code?: string } }).driverError?.code;
    // Safety nets for races that services cannot rule out up front.
    if (code === '23505') return { body: errorBody(409, say('This value is already in use', '该值已被使用')), headers };
    if (code === '22P02' || code === '22007' || code === '22008') return { body: errorBody(400, say('A value has the wrong format', '某个值的格式不正确')), headers };
    // Text PostgreSQL cannot store (U+0000, broken UTF-8) that came in another way than a JSON body.
    if (code === '22021' || code === '22P05') return { body: errorBody(400, say('A value contains a character that cannot be stored', '某个值含有无法保存的字符')), headers };
  }
  const parserError = exception as BodyParserError;
  const parserStatus = parserError?.status ?? parserError?.statusCode;
  if (typeof parserError?.type === 'string' && parserStatus && parserStatus >= 400 && parserStatus < 500) {
    const messages: Record<string, string> = {
      'entity.parse.failed': 'The request body is not valid JSON',
      'entity.too.large': 'The request body is too large',
      'encoding.unsupported': 'The request body encoding is not supported',
      'charset.unsupported': 'The request body charset is not supported',
    };
    return { body: errorBody(parserStatus, messages[parserError.type] ?? 'The request body could not be read'), headers };
  }
  // http-errors raised by Express middleware (e.g. static files: 404, 416 for a bad Range).
  if (parserStatus && parserStatus >= 400 && parserStatus < 500 && parserError.expose) {
    return { body: errorBody(parserStatus, parserStatus === 404 ? 'File not found' : (STATUS_CODES[parserStatus] ?? 'Bad request')), headers };
  }
  return { body: errorBody(HttpStatus.INTERNAL_SERVER_ERROR, say('Internal server error', '服务器内部错误')), headers };
}

const logger = new Logger('Errors');

/**
 * Answers `exception` in the one error shape. Every 5xx is logged at error level with its stack and
 * the request's id, whichever path it came by (Nest's filter, Express middleware such as the media
 * files, or an exception that escaped from a callback while the request was in flight).
 */
export function answerError(exception: unknown, req: Request, res: Response): void {
  const { body, headers } = toErrorBody(exception);
  if (body.statusCode >= 500) {
    logger.error({
      msg: `${req.method} ${req.originalUrl ?? req.url} answered ${body.statusCode}: ${exception instanceof Error ? exception.message : String(exception)}`,
      requestId: requestIdOf(req, res),
      statusCode: body.statusCode,
      err: exception instanceof Error ? exception : new Error(String(exception)),
    });
  }
  if (res.headersSent) {
    // Too late for an answer: end the response, so the client is not left waiting.
    if (!res.writableEnded) res.destroy();
    return;
  }
  res.status(body.statusCode).set(headers).json(body);
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    answerError(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
