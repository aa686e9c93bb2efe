import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID = /^[\w.-]{1,128}$/;

/**
 * The request's id: the caller's `X-Request-Id` when it is sane, else a new UUID; echoed back and
 * kept on the request, so the logger (pino-http) and the handlers that run before Nest's
 * middleware (media files, body parsers) name the same request.
 */
export function requestIdOf(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  if (typeof req.id === 'string') return req.id;
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  req.id = id;
  if (!res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}
