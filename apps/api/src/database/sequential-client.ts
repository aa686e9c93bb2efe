import pg from 'pg';

/**
 * A pg client that sends its promise queries one after another. pg 8 queues a query sent while
 * the client is busy (with a deprecation warning) and pg 9 refuses it, yet TypeORM (1.1) still
 * does so on one connection: its schema reader looks up every enum column's type at once
 * (typeorm/typeorm#12238). Waiting here for the previous query is the "external flow control"
 * pg asks for; queries keep their order, as pg's own queue kept it.
 */
export class SequentialClient extends pg.Client {
  private previous: Promise<unknown> = Promise.resolve();

  // One signature covering pg's overloads: promise form (text or config, values) is sequenced;
  // callbacks and submittables (cursors, streams) keep pg's own behaviour.
  override query(...args: unknown[]): never {
    const last = args[args.length - 1];
    const submittable = typeof (args[0] as { submit?: unknown } | null)?.submit === 'function';
    const run = (super.query as (...a: unknown[]) => unknown).bind(this);
    if (submittable || typeof last === 'function') return run(...args) as never;
    const result = this.previous.then(() => run(...args));
    this.previous = result.catch(() => undefined);
    return result as never;
  }
}
