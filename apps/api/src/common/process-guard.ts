import { Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';

/** Told about an exception that escaped from a callback or an event listener started inside `contain`. */
export type EscapeHandler = (error: unknown) => void;

const containers = new AsyncLocalStorage<EscapeHandler>();

/**
 * Runs `work` so that an exception thrown later by a callback or event listener it started (which no
 * try/catch and no promise can catch: a library throwing inside its own response handler, say) is
 * handed to `onEscape` by the process guard, so the caller can still answer: a request in flight gets
 * its 5xx, an SDK call its rejection. The innermost `contain` wins. Needs `installProcessGuards()`.
 */
export function contain<T>(onEscape: EscapeHandler, work: () => T): T {
  return containers.run(onEscape, work);
}

let installed = false;

/**
 * One exception from a callback or an event emitter must not end the server with every request in
 * flight: uncaught exceptions and unhandled rejections are logged at error level with their stack,
 * handed to whoever contained the work they came from (see `contain`), and the process keeps running.
 * Installed once per process (main.ts, and the app factory for tests and tools that embed the app).
 */
export function installProcessGuards(target: NodeJS.Process = process): void {
  if (installed) return;
  installed = true;
  const logger = new Logger('Process');
  target.on('uncaughtException', (error: unknown) => {
    const onEscape = containers.getStore();
    logger.error(describe('Uncaught exception', error, onEscape !== undefined));
    try {
      onEscape?.(error);
    } catch (failure) {
      logger.error(describe('The handler of an uncaught exception failed', failure, false));
    }
  });
  target.on('unhandledRejection', (reason: unknown) => {
    logger.error(describe('Unhandled promise rejection', reason, false));
  });
}

function describe(what: string, error: unknown, contained: boolean): string {
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `${what}${contained ? ' (answered by the work it came from)' : ''}; the process keeps running: ${detail}`;
}
