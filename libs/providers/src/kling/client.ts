/**
 * Kling AI video client (../shared/providers/kling.md): JWT auth, text2video / image2video
 * submission, task queries by id or by our `external_task_id`, and the `{code, message, data}`
 * envelope decided by `code`, never by the HTTP status alone (429 also means "out of balance").
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { KlingTokenSource, klingBaseUrl, type KlingRegion } from './auth.js';
import { checkKlingVideoInput, type KlingImage2VideoInput, type KlingText2VideoInput, type KlingVideoFamily, type KlingVideoInput } from './models.js';
import { isRawKlingTask, type KlingTask, normalizeKlingTask } from './task.js';

export type KlingErrorKind =
  /** 1000–1004: the keys are wrong, for another region, or the clocks disagree. */
  | 'auth'
  /** 1100, 1103, 1304: account exception, no permission for this API/model, IP whitelist. */
  | 'account'
  /** 1101, 1102: in arrears or resource pack used up. Comes as 429, but retrying does not help. */
  | 'balance'
  /** 1200, 1201 and our own checks: the request is wrong (`details.field` when we know it). */
  | 'validation'
  /** 1203: no such resource (model, task). */
  | 'not_found'
  /** 1300, 1301: refused by policy; 1301 (content) sets `contentFlagged`. Do not resend as is. */
  | 'policy'
  /** 1302, 1303: too many requests or tasks at once; try later. */
  | 'busy'
  /** 5000–5002, other 5xx, timeouts, network errors, unreadable answers: try later. */
  | 'retryable'
  /** Anything else (1202, unknown codes). */
  | 'unexpected';

export interface KlingErrorDetails {
  code?: number;
  status?: number;
  requestId?: string;
  /** For our own checks and 1201: the field at fault and, when short, its allowed values. */
  field?: string;
  allowed?: ReadonlyArray<string | number>;
}

export class KlingError extends Error {
  constructor(
    readonly kind: KlingErrorKind,
    message: string,
    readonly details: KlingErrorDetails = {},
  ) {
    super(message);
    this.name = 'KlingError';
  }

  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'busy';
  }

  /** Refused for its content (1301): refund the user and tell them to change prompt or image. */
  get contentFlagged(): boolean {
    return this.details.code === 1301;
  }
}

/** The error table (§3.1): each code's kind. */
export function klingErrorKind(code: number): KlingErrorKind {
  if (code >= 1000 && code <= 1004) return 'auth';
  if (code === 1100 || code === 1103 || code === 1304) return 'account';
  if (code === 1101 || code === 1102) return 'balance';
  if (code === 1200 || code === 1201) return 'validation';
  if (code === 1203) return 'not_found';
  if (code === 1300 || code === 1301) return 'policy';
  if (code === 1302 || code === 1303) return 'busy';
  if (code >= 5000 && code < 6000) return 'retryable';
  return 'unexpected';
}

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

export interface KlingRawAnswer {
  status: number;
  text: string;
}

/** Kling's message for a duplicate `external_task_id` names the field; the sandbox says so too. */
const DUPLICATE_EXTERNAL_ID = /external_task_id/i;

/** The envelope's `data` when `code` is 0; otherwise the KlingError its code means. */
export function interpretKlingAnswer(answer: KlingRawAnswer): unknown {
  let body: unknown = null;
  try {
    body = answer.text.trim() === '' ? null : JSON.parse(answer.text);
  } catch {
    body = null;
  }
  const envelope = body && typeof body === 'object' ? (body as { code?: unknown; message?: unknown; request_id?: unknown; data?: unknown }) : null;
  if (!envelope || typeof envelope.code !== 'number') {
    const message = answer.text.trim().slice(0, 300) || `HTTP ${answer.status}`;
    if (RETRYABLE_STATUSES.has(answer.status) || (answer.status >= 200 && answer.status < 300)) {
      // A 2xx without an envelope is a broken answer (a proxy's page, a truncated body): ask again.
      throw new KlingError('retryable', `unreadable Kling answer (HTTP ${answer.status}): ${message}`, { status: answer.status });
    }
    if (answer.status === 401) throw new KlingError('auth', message, { status: answer.status });
    throw new KlingError('unexpected', `HTTP ${answer.status}: ${message}`, { status: answer.status });
  }
  const code = envelope.code;
  const requestId = typeof envelope.request_id === 'string' ? envelope.request_id : undefined;
  if (code === 0) return envelope.data;
  const message = typeof envelope.message === 'string' && envelope.message ? envelope.message : `code ${code}`;
  throw new KlingError(klingErrorKind(code), message, { code, status: answer.status, requestId });
}

export interface KlingClientOptions {
  accessKey: string;
  secretKey: string;
  /** `beijing` (China console keys) or `singapore` (global console keys); ignored when baseUrl is set. */
  region?: KlingRegion;
  /** A custom base URL (a relay, the sandbox): wins over region. */
  baseUrl?: string;
  /** The caller's axios instance (its interceptors and agents apply); defaults to `axios.create()`. */
  http?: AxiosInstance;
  timeoutMs?: number;
  /** Clock in ms, for the token (tests). */
  now?: () => number;
}

export interface KlingSubmitOnceResult {
  task: KlingTask;
  /**
   * True when the task already existed under our `external_task_id` (an earlier submission whose
   * answer was lost): nothing new was sent or paid for.
   */
  recovered: boolean;
}

export class KlingClient {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly tokens: KlingTokenSource;

  constructor(options: KlingClientOptions) {
    this.baseUrl = options.baseUrl ? klingBaseUrl('custom', options.baseUrl) : klingBaseUrl(options.region ?? 'singapore');
    this.http = options.http ?? axios.create();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.tokens = new KlingTokenSource({ accessKey: options.accessKey, secretKey: options.secretKey, now: options.now });
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.request({
        method,
        url: `${this.baseUrl}${path}`,
        headers: { Authorization: `Bearer ${this.tokens.token()}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        data: body === undefined ? undefined : JSON.stringify(body),
        timeout: this.timeoutMs,
        // The body is read as text and every status is ours to judge by the envelope's code.
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      });
    } catch (error) {
      throw new KlingError('retryable', `Kling unreachable: ${(error as Error).message}`);
    }
    const data = response.data;
    const text = typeof data === 'string' ? data : data === undefined || data === null ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : JSON.stringify(data);
    try {
      return interpretKlingAnswer({ status: response.status, text });
    } catch (error) {
      // An expired token (clock jump, a token cached across a suspend) is made afresh next time.
      if (error instanceof KlingError && error.kind === 'auth') this.tokens.invalidate();
      throw error;
    }
  }

  private async submit(family: KlingVideoFamily, input: KlingVideoInput): Promise<KlingTask> {
    const problem = checkKlingVideoInput(family, input);
    if (problem) throw new KlingError('validation', problem.message, { field: problem.field, allowed: problem.allowed });
    const clean = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const data = await this.call('POST', `/v1/videos/${family}`, clean);
    if (!isRawKlingTask(data)) throw new KlingError('unexpected', `${family}: the answer has no task_id`);
    return normalizeKlingTask(data);
  }

  /** `POST /v1/videos/text2video`. Prefer submitOnce() with an `external_task_id`. */
  text2video(input: KlingText2VideoInput): Promise<KlingTask> {
    return this.submit('text2video', input);
  }

  /** `POST /v1/videos/image2video`: images as raw base64 (toKlingImage) or URLs. */
  image2video(input: KlingImage2VideoInput): Promise<KlingTask> {
    return this.submit('image2video', input);
  }

  private async query(family: KlingVideoFamily, id: string): Promise<KlingTask | null> {
    let data: unknown;
    try {
      data = await this.call('GET', `/v1/videos/${family}/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error instanceof KlingError && error.kind === 'not_found') return null;
      throw error;
    }
    if (!isRawKlingTask(data)) throw new KlingError('unexpected', `${family}/${id}: the answer is not a task`);
    return normalizeKlingTask(data);
  }

  /**
   * The task, or null when Kling does not know it (1203). Ask the family it was submitted to: a
   * text2video task is not found under image2video.
   */
  getTask(family: KlingVideoFamily, taskId: string): Promise<KlingTask | null> {
    return this.query(family, taskId);
  }

  /** The task submitted with our `external_task_id` (the path takes either id, §7), or null. */
  getTaskByExternalId(family: KlingVideoFamily, externalTaskId: string): Promise<KlingTask | null> {
    return this.query(family, externalTaskId);
  }

  /** One page of the family's tasks, newest first (`pageNum` 1–1000, `pageSize` 1–500). */
  async listTasks(family: KlingVideoFamily, pageNum = 1, pageSize = 30): Promise<KlingTask[]> {
    const data = await this.call('GET', `/v1/videos/${family}?pageNum=${pageNum}&pageSize=${pageSize}`);
    if (!Array.isArray(data)) throw new KlingError('unexpected', `${family} list: the answer is not a list`);
    return data.filter(isRawKlingTask).map(normalizeKlingTask);
  }

  /**
   * Submits a job at most once (ARCHITECTURE "Idempotent submission"). The input must carry our
   * task id as `external_task_id`. First asks Kling for a task with that id: when one exists (an
   * earlier submission whose answer was lost), it is returned and nothing is sent. Otherwise the
   * job is submitted; when that answer is lost again (timeout, reset, 5xx) or Kling says the id is
   * taken, the id is looked up once more. A retryable error means "call submitOnce again later",
   * which looks up before it sends: a job is never paid twice.
   */
  async submitOnce(family: KlingVideoFamily, input: KlingVideoInput & { external_task_id: string }): Promise<KlingSubmitOnceResult> {
    if (typeof input.external_task_id !== 'string' || input.external_task_id === '') {
      throw new KlingError('validation', 'submitOnce needs an external_task_id', { field: 'external_task_id' });
    }
    // Refuse bad input before spending a lookup on it.
    const problem = checkKlingVideoInput(family, input);
    if (problem) throw new KlingError('validation', problem.message, { field: problem.field, allowed: problem.allowed });
    const existing = await this.getTaskByExternalId(family, input.external_task_id);
    if (existing) return { task: existing, recovered: true };
    try {
      return { task: await this.submit(family, input), recovered: false };
    } catch (error) {
      const lost = error instanceof KlingError && error.retryable;
      const duplicate = error instanceof KlingError && error.kind === 'validation' && error.details.code !== undefined && DUPLICATE_EXTERNAL_ID.test(error.message);
      if (!lost && !duplicate) throw error;
      let found: KlingTask | null;
      try {
        found = await this.getTaskByExternalId(family, input.external_task_id);
      } catch {
        throw error;
      }
      if (found) return { task: found, recovered: true };
      throw error;
    }
  }
}
