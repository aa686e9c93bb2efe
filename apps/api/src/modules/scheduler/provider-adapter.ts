import type { FieldError } from '../../common/errors.js';
import type { MediaKind, MediaSource } from '../storage/media-file.entity.js';

/** What an adapter sees of a task. */
export interface AdapterTask {
  id: string;
  userId: string;
  model: string;
  action: string;
  input: Record<string, unknown>;
  providerState: Record<string, unknown>;
  attempts: number;
  /** The task this one was made from (a Midjourney upscale of a grid, ...), or null. */
  parentTaskId?: string | null;
}

export interface TaskOutput {
  /**
   * Where the result can be downloaded now (it is copied into our storage through the guarded
   * fetcher). For a derived output: the link of the output it is cut from. A base64 `data:` URL
   * (a provider that answers with the bytes) is stored from those bytes, whatever auto-upload says.
   */
  url: string;
  /** What this output is among its task's (`grid`, `image`, ...), kept in its metadata as `role`. */
  role?: string;
  /** Kept on the media file (seed, nsfw flag, ...). */
  metadata?: Record<string, unknown>;
  /**
   * A derived output: cut from output `from` (an earlier index) instead of downloaded, the region
   * in fractions of its width and height (Midjourney's four images out of their 2x2 grid).
   */
  derive?: { from: number; region: { left: number; top: number; width: number; height: number } };
}

/** An action a finished task offers (a Midjourney button), in our own words: never the provider's ids. */
export interface TaskAction {
  key: string;
  label: { en: string; zhCN: string };
}

/** The provider's answer, mapped to our statuses. */
export interface ProviderUpdate {
  status: 'submitted' | 'queued' | 'running' | 'succeeded' | 'failed';
  /** Merged into the task's provider state. */
  providerState?: Record<string, unknown>;
  progress?: number;
  queuePosition?: number | null;
  /** Required with `succeeded`. */
  outputs?: TaskOutput[];
  /** Required with `failed`: the provider's reason in plain words. */
  error?: string;
  /** With `failed`: the provider's safety checker flagged the prompt or the result. */
  contentFlagged?: boolean;
  /** When the provider says when to ask again. */
  retryAfterMs?: number;
  /** With `succeeded`: a small structured result (describe's `{ prompts }`), beside or instead of outputs. */
  result?: Record<string, unknown>;
  /**
   * While running: the provider's preview picture (kept in the provider state, shown to clients
   * only through GET /tasks/{id}/preview, never as the provider's link); null clears it.
   */
  previewUrl?: string | null;
}

export type ProviderErrorKind =
  /** The request was refused because of what was asked (validation, banned prompt): 4xx, refunded. */
  | 'rejected'
  /** The provider refused for its own reasons (auth, no balance, disabled): 502, refunded. */
  | 'refused'
  /** 429, timeouts, 5xx, unreadable answers: ask again later, never a failure by itself. */
  | 'transient';

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly options: {
      fields?: FieldError[];
      retryAfterMs?: number;
      contentFlagged?: boolean;
      /**
       * With `transient`: the provider refuses new jobs for now as a whole (Volcengine's 50430,
       * concurrency used up). The engine holds every new submission to it for this long, on every
       * instance (the hold is kept in the database), instead of asking again task by task.
       */
      holdProviderMs?: number;
    } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export type CancelOutcome =
  /**
   * The provider stopped the job. `started`: it had begun working on it, so the provider bills it
   * and the task is not refunded (our own record may not know yet).
   */
  | { canceled: true; started?: boolean }
  /** It had already finished or can no longer be stopped. */
  | { canceled: false; reason: string }
  /**
   * Left running: it had started (so canceling it would not be refunded) and the caller did not
   * accept the loss. Only an adapter that can tell, before stopping the job, that it started answers this.
   */
  | { canceled: false; started: true };

export interface CancelOptions {
  /**
   * Stop the job even when it has started and the provider bills it. Without it, an adapter that can
   * tell the job has started leaves it running and answers `{ canceled: false, started: true }`.
   */
  acceptLoss: boolean;
}

export interface ProviderModel {
  model: string;
  kind: MediaKind;
  defaultPrice: number;
  /** What tasks, cards and the ledger call it. */
  name: { en: string; zhCN: string };
  /** What one price buys when it is not one task ("per 5 s" of video): shown beside the name in the price table only. */
  priceUnit?: { en: string; zhCN: string };
}

/** The price unit of a video priced by length (Kling, Jimeng). */
export const PER_5_SECONDS = { en: 'per 5 s', zhCN: '每 5 秒' } as const;

export interface ProviderLimits {
  enabled: boolean;
  /** Why new tasks are refused while it is not enabled, in the reader's language (a 503's message). */
  unavailable?: string;
  /** Jobs in flight at the provider at once; more wait, pending, for a free slot. */
  maxConcurrentTasks: number;
  /** A task not finished this long after submission fails and is refunded; by default 15 min for images, 60 for videos. */
  deadlineSeconds?: number;
}

export const DEFAULT_DEADLINE_SECONDS: Record<MediaKind, number> = { image: 15 * 60, video: 60 * 60 };

/**
 * How much slower than TASK_POLL_MIN_MS / TASK_POLL_MAX_MS a task of each kind is polled: a video
 * takes minutes, so asking every second only spends the provider's rate limit (Kling asks for
 * 5–10 s). With the defaults a video is first asked after 5 s, then up to every 30 s.
 */
export const POLL_SCALE: Record<MediaKind, { min: number; max: number }> = { image: { min: 1, max: 1 }, video: { min: 5, max: 2 } };

export interface SubmitContext {
  /** A tokened URL the provider may call when the job changes, when PUBLIC_URL is set. */
  webhookUrl: string | null;
}

/**
 * One provider's wire protocol as the task engine uses it. Implementations live in the provider
 * modules; they throw ProviderError for anything but a readable answer.
 */
export interface ProviderAdapter {
  readonly provider: string;
  readonly displayName: string;
  /** How its outputs are labelled among the user's files. */
  readonly mediaSource: MediaSource;
  /** The provider's fixed catalogue (the registry reads it once for names). */
  models(): readonly ProviderModel[];
  limits(): Promise<ProviderLimits>;
  submit(task: AdapterTask, context: SubmitContext): Promise<ProviderUpdate>;
  poll(task: AdapterTask): Promise<ProviderUpdate>;
  /**
   * Optional batched polling: the answers for many in-flight tasks in one provider call (the
   * engine calls it once per tick for the tasks of this provider it holds). A task missing from
   * the map is polled alone with `poll`; one mapped to an Error is treated like a failed poll.
   */
  pollMany?(tasks: AdapterTask[]): Promise<Map<string, ProviderUpdate | Error>>;
  /** Optional: the actions a succeeded task offers now, derived from its provider state. */
  actions?(task: AdapterTask): TaskAction[];
  cancel?(task: AdapterTask, options: CancelOptions): Promise<CancelOutcome>;
  /**
   * Whether a webhook call is worth acting on. Either way it only makes the task due: the engine
   * then asks the provider itself, so a forged body can change nothing.
   */
  acceptsWebhook?(body: unknown, headers: Record<string, string | string[] | undefined>): boolean;
}
