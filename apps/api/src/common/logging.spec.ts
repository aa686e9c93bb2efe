import { jest } from '@jest/globals';
import type { MiddlewareConsumer } from '@nestjs/common';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger as Pino } from 'pino';
import { AppLogger, LoggingModule } from './logging.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

describe('AppLogger', () => {
  it('writes Nest’s log calls to pino with their context, and Nest’s (message, stack, context) errors as errors', () => {
    const logger = new AppLogger({ level: 'silent' });
    const info = jest.spyOn(logger.root, 'info').mockImplementation(() => undefined);
    const error = jest.spyOn(logger.root, 'error').mockImplementation(() => undefined);
    logger.log('started', 'TaskEngine');
    expect(info).toHaveBeenCalledWith({ context: 'TaskEngine' }, 'started');
    logger.log({ tasks: 3 }, 'TaskEngine');
    expect(info).toHaveBeenLastCalledWith({ context: 'TaskEngine', tasks: 3 });
    logger.error('boom', 'Error: boom\n    at somewhere (file.js:1:1)', 'ExceptionsHandler');
    const [fields] = error.mock.calls[0] as unknown as [{ context: string; err: Error }];
    expect(fields.context).toBe('ExceptionsHandler');
    expect(fields.err.message).toBe('boom');
    expect(fields.err.stack).toContain('at somewhere');
  });

  it('logs inside a request through that request’s logger (its id included), and answers X-Request-Id', async () => {
    const logger = new AppLogger({
      level: 'silent',
      genReqId: (_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('X-Request-Id', 'req-1');
        return 'req-1';
      },
    });
    const middlewares: Middleware[] = [];
    const consumer = { apply: (...fns: Middleware[]) => (middlewares.push(...fns), { forRoutes: () => consumer }) } as unknown as MiddlewareConsumer;
    new LoggingModule(logger).configure(consumer);
    expect(middlewares).toHaveLength(2);
    const seen: Array<{ id: unknown }> = [];
    const server = createServer((req, res) => {
      middlewares[0](req, res, () => {
        const requestLog = (req as IncomingMessage & { log: Pino }).log;
        jest.spyOn(requestLog, 'warn').mockImplementation(function (this: Pino) {
          seen.push({ id: (this.bindings() as { reqId?: unknown }).reqId ?? (req as IncomingMessage & { id?: unknown }).id });
        } as never);
        middlewares[1](req, res, () => {
          logger.warn('inside', 'Test');
          res.end('ok');
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(response.headers.get('x-request-id')).toBe('req-1');
      expect(seen).toEqual([{ id: 'req-1' }]);
    } finally {
      server.close();
    }
  });
});
