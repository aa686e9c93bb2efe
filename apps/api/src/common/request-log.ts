import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import { requestIdOf } from './request-id.js';

/** Query parameters that carry credentials: webhook tokens, event-stream tokens. */
const SECRET_QUERY = /([?&](?:token|access_token)=)[^&#]*/gi;
export const REDACTED = '[Redacted]';

/** The URL as it may be logged: credentials in its query are replaced, the rest kept for debugging. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, `$1${REDACTED}`);
}

function redactQuery(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  const copy: Record<string, unknown> = { ...(query as Record<string, unknown>) };
  for (const name of Object.keys(copy)) if (/^(token|access_token)$/i.test(name)) copy[name] = REDACTED;
  return copy;
}

/**
 * pino-http's options for the request log. EventSource cannot send headers and providers call
 * webhooks with the token we gave them in the URL, so `?token=` would otherwise sit in every
 * log line in clear: anyone reading the logs could replay it.
 */
export function requestLogOptions(config: Pick<AppConfig, 'logLevel'>): Options {
  return {
    level: config.logLevel,
    // The id handlers ahead of Nest's middleware (media files, body parsers) already gave it.
    genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdOf(req, res),
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    serializers: {
      // Wrapped by pino-http: receives pino's standard request object.
      req: (req: { url?: string; query?: unknown }) => ({ ...req, url: req.url && redactUrl(req.url), query: redactQuery(req.query) }),
    },
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/api/health' },
  };
}
