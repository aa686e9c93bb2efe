export interface PollDelayOptions {
  minMs: number;
  maxMs: number;
  /** Polls already made since submission. */
  polls: number;
  /** The provider's place in its queue, when it says: the further back, the less often we ask. */
  queuePosition?: number | null;
  /** The provider's own "ask again in" hint. */
  retryAfterMs?: number;
  /** 0..1, spreads tasks submitted together; tests pass 0.5 for the exact middle. */
  random?: number;
}

/**
 * How long to wait before polling a task again: starting near `minMs`, growing by half each poll
 * up to `maxMs`, later for tasks far back in a queue, never sooner than the provider asked, with
 * ±10% jitter so tasks submitted together do not poll together.
 */
export function pollDelayMs(options: PollDelayOptions): number {
  const { minMs, maxMs, polls } = options;
  let delay = minMs * Math.pow(1.5, Math.max(0, polls));
  if (options.queuePosition && options.queuePosition > 0) delay = Math.max(delay, minMs * (1 + options.queuePosition / 2));
  delay = Math.min(delay, maxMs);
  if (options.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(options.retryAfterMs, maxMs * 4));
  const jitter = 0.9 + 0.2 * (options.random ?? Math.random());
  return Math.round(delay * jitter);
}
