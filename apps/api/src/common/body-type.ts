import { type CallHandler, type ExecutionContext, HttpException, HttpStatus, Injectable, type NestInterceptor } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Observable } from 'rxjs';

const ACCEPTED = /^(application\/([\w.+-]+\+)?json|multipart\/form-data)\s*(;|$)/i;

/** Where a body problem found before routing waits for the guards (see `BodyProblemInterceptor`). */
const DEFERRED = Symbol('deferredBodyProblem');
type WithDeferred = Request & { [DEFERRED]?: unknown };

/**
 * The API reads JSON bodies (and multipart for uploads): any other body gets a 415 saying so,
 * rather than being parsed as nothing and answered with "model must be a string". It is answered
 * only after authentication, so a caller who is not signed in learns nothing about a route's body.
 */
export function refuseOtherBodyTypes(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !ACCEPTED.test(req.headers['content-type'] ?? '')) {
    (req as WithDeferred)[DEFERRED] = new HttpException(
      'Send the body as JSON (Content-Type: application/json), or as multipart/form-data to upload a file',
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
  next();
}

/**
 * After the JSON parser: a body that is not valid JSON waits for the guards as well. (A body over
 * the size limit is still refused at once: its bytes are not read further.)
 */
export function deferInvalidJson(error: unknown, req: Request, _res: Response, next: NextFunction): void {
  if ((error as { type?: unknown })?.type !== 'entity.parse.failed') return next(error);
  (req as WithDeferred)[DEFERRED] = error;
  req.body = undefined;
  next();
}

/**
 * Raises the body problem found before routing, once the guards have let the request through
 * (interceptors run after every guard): 401 and 403 come first, then 415 or "not valid JSON".
 */
@Injectable()
export class BodyProblemInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const problem = context.switchToHttp().getRequest<WithDeferred>()[DEFERRED];
    if (problem !== undefined) throw problem;
    return next.handle();
  }
}
