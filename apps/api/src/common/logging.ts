import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  type LoggerService,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger as Pino } from 'pino';
import { type HttpLogger, pinoHttp, type Options as PinoHttpOptions } from 'pino-http';

// Why not nestjs-pino: its only line that supports NestJS 12 (5.x) requires Node 22.12, while we
// promise Node 20.19; its 4.x line is CommonJS, which cannot load the ESM NestJS 12 under jest on
// Node 20. What we used of it is this: pino-http's request logging and Nest's own log calls going
// to the same pino logger, bound to the request they happen in (so they carry its request id).

const PINO_HTTP_OPTIONS = Symbol('PINO_HTTP_OPTIONS');
const requestLogger = new AsyncLocalStorage<Pino>();

/** Nest's LoggerService on pino: `log(message, ...params, context)`, as Nest calls it. */
@Injectable()
export class AppLogger implements LoggerService {
  readonly root: Pino;
  /** pino-http, sharing the root logger, so request logs and Nest's logs go to one stream. */
  readonly httpMiddleware: HttpLogger<IncomingMessage, ServerResponse>;

  constructor(@Inject(PINO_HTTP_OPTIONS) options: PinoHttpOptions<IncomingMessage, ServerResponse>) {
    const { logger: _ignored, ...rest } = options;
    this.root = pino({ level: rest.level as string | undefined, redact: rest.redact });
    this.httpMiddleware = pinoHttp({ ...rest, logger: this.root });
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    const logger = requestLogger.getStore() ?? this.root;
    const fields: Record<string, unknown> = {};
    // Nest passes the context (the class name) last.
    if (params.length > 0) fields.context = params[params.length - 1];
    const rest = params.slice(0, -1);
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, ...(rest as []));
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message }, ...(rest as []));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && /\n\s*at /.test(rest[0])) {
      // Nest's own exception handlers call error(message, stack, context).
      const err = new Error(String(message));
      err.stack = rest[0];
      logger.error({ ...fields, err });
    } else {
      logger[level](fields, String(message), ...(rest as []));
    }
  }
}

@Global()
@Module({})
export class LoggingModule implements NestModule {
  static forRoot(options: PinoHttpOptions<IncomingMessage, ServerResponse>): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: PINO_HTTP_OPTIONS, useValue: options }, AppLogger],
      exports: [AppLogger],
    };
  }

  constructor(private readonly logger: AppLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    const bindRequestLogger = (req: IncomingMessage & { log?: Pino }, _res: ServerResponse, next: () => void) =>
      requestLogger.run(req.log ?? this.logger.root, next);
    // '{*splat}' is express 5's "every path", the root included.
    consumer.apply(this.logger.httpMiddleware, bindRequestLogger).forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }
}
