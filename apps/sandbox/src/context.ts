import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every provider the sandbox stands in for; later provider issues add theirs here. */
export const PROVIDERS = ['fal', 'smsbao', 'cos', 'midjourney', 'kling', 'volcengine'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface SandboxTiming {
  /** How long an image job waits in the queue. */
  queueMs: number;
  /** A job runs for a random time between these two. */
  runMinMs: number;
  runMaxMs: number;
  /** Run time of a job whose prompt contains `sandbox:slow`. */
  slowMs: number;
  /** midjourney-proxy: jobs one account runs at once, and how many may wait (more answer code 23); benchmarks raise them. */
  mjConcurrency: number;
  mjQueueSize: number;
}

export interface SandboxOptions {
  /** Where the sandbox keeps files (COS objects, generated images). */
  dataDir: string;
  timing?: Partial<SandboxTiming>;
  /** How long generated-file URLs keep working, like a provider CDN. */
  outputTtlSeconds?: number;
}

export interface RecordedRequest {
  provider: ProviderName;
  method: string;
  path: string;
  at: string;
}

export interface SmsMessage {
  phone: string;
  content: string;
  sentAt: string;
}

export const DEFAULT_TIMING: SandboxTiming = { queueMs: 1000, runMinMs: 2000, runMaxMs: 4000, slowMs: 30_000, mjConcurrency: 3, mjQueueSize: 10 };

/** State shared by the provider stand-ins and the control API. */
export class SandboxContext {
  readonly dataDir: string;
  timing: SandboxTiming;
  outputTtlSeconds: number;
  readonly requests: RecordedRequest[] = [];
  /** fal status polls made, and when each request completed: for tests and the completion-lag benchmark. */
  readonly falStats = { statusCalls: 0, completions: new Map<string, number>() };
  /**
   * While held, new fal jobs wait in the queue without their clock running; releasing starts them
   * all (the completion-lag benchmark submits 1,000 jobs first, so all of them are in flight at once).
   */
  readonly falHold = { held: false, waiting: [] as Array<() => void> };
  readonly smsOutbox: SmsMessage[] = [];
  /** How far the Volcengine gateway's clock is from the real one (to show a server whose clock is off). */
  readonly volcengine = { clockOffsetMs: 0 };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly resetHandlers: Array<() => void> = [];

  constructor(options: SandboxOptions) {
    this.dataDir = options.dataDir;
    mkdirSync(this.dataDir, { recursive: true });
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.outputTtlSeconds = options.outputTtlSeconds ?? 3600;
  }

  dir(...parts: string[]): string {
    const path = join(this.dataDir, ...parts);
    mkdirSync(path, { recursive: true });
    return path;
  }

  record(provider: ProviderName, method: string, path: string): void {
    this.requests.push({ provider, method, path, at: new Date().toISOString() });
    // Bounded, so a long-running sandbox does not grow without limit.
    if (this.requests.length > 10_000) this.requests.splice(0, this.requests.length - 10_000);
  }

  /** A timer that is cleared by reset() and close(). */
  later(ms: number, work: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void Promise.resolve()
        .then(work)
        .catch(() => undefined);
    }, ms);
    timer.unref?.();
    this.timers.add(timer);
  }

  onReset(handler: () => void): void {
    this.resetHandlers.push(handler);
  }

  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.requests.length = 0;
    this.smsOutbox.length = 0;
    this.falStats.statusCalls = 0;
    this.falStats.completions.clear();
    this.falHold.held = false;
    this.falHold.waiting.length = 0;
    for (const handler of this.resetHandlers) handler();
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
