export interface PollDelayOptions {
  minMs: number;
  maxMs: number;
  /** Polls already made since submission. */
  polls: number;
  /** The provider's place in its queue, when it says: the further back, the less often we ask. */
  queuePosition?: number | null;
  /** The provider's own "ask again in" hint. */
  retryAfterMs?: number;
  /**
   * The job is running and only polling will tell when it is done (no webhook): it is asked at
   * least every RUNNING_POLL_FACTOR × minMs, because a running job is the one about to finish.
   */
  running?: boolean;
  /**
   * The provider will call our webhook when the job is done: polls are a safety net and keep the
   * progress shown, so they start at WEBHOOK_POLL_FACTOR × minMs.
   */
  webhook?: boolean;
  /** 0..1, spreads tasks submitted together; tests pass 0.5 for the exact middle. */
  random?: number;
}

/** A running job without a webhook is polled at least every this many `minMs` (3 s by default). */
export const RUNNING_POLL_FACTOR = 3;
/** With a webhook, polls wait at least this many `minMs` (5 s by default). */
export const WEBHOOK_POLL_FACTOR = 5;

/**
 * How long to wait before polling a task again: starting near `minMs` (WEBHOOK_POLL_FACTOR × minMs
 * when a webhook will tell), growing by half each poll up to `maxMs` (up to RUNNING_POLL_FACTOR ×
 * minMs for a running job nobody will call back about),
 * later for tasks far back in a queue, never sooner than the provider asked, with ±10% jitter so
 * tasks submitted together do not poll together.
 */
export function pollDelayMs(options: PollDelayOptions): number {
  const { minMs, maxMs, polls } = options;
  let delay = minMs * Math.pow(1.5, Math.max(0, polls));
  if (options.queuePosition && options.queuePosition > 0) delay = Math.max(delay, minMs * (1 + options.queuePosition / 2));
  if (options.webhook) delay = Math.max(delay, minMs * WEBHOOK_POLL_FACTOR);
  delay = Math.min(delay, maxMs, options.running && !options.webhook ? minMs * RUNNING_POLL_FACTOR : Infinity);
  if (options.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(options.retryAfterMs, maxMs * 4));
  const jitter = 0.9 + 0.2 * (options.random ?? Math.random());
  return Math.round(delay * jitter);
}
