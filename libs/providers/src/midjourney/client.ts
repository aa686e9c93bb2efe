/**
 * midjourney-proxy client (../shared/providers/midjourney-proxy.md), for both the trueai-org
 * rewrite (action/modal/buttons, cancel, speed-mode prefixes) and the novicezk open-source
 * edition (imagine, change, blend, describe). Outcomes are decided by the answer's `code`, never
 * by the HTTP status: the proxies answer 200 for most refusals, and 404 with code 3 for a missing
 * parent.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { customIdFor, legacyChangeOf, type MjActionKey } from './actions.js';
import { isRawTask, type MjTask, normalizeTask } from './task.js';

export type MjFlavor = 'trueai' | 'novicezk';
/** trueai's speed modes, chosen by the path prefix `/mj-fast`, `/mj-relax`, `/mj-turbo`. */
export type MjMode = 'fast' | 'relax' | 'turbo';
export type MjBotType = 'MID_JOURNEY' | 'NIJI_JOURNEY';
export type MjBlendDimensions = 'PORTRAIT' | 'SQUARE' | 'LANDSCAPE';

export type MjErrorKind =
  /** 401/403: the secret is wrong, or the account is disabled. */
  | 'auth'
  /** code 24: the prompt has a banned word (`bannedWord`), to be shown to the user. */
  | 'banned'
  /** code 23: the proxy's queue is full; try later. */
  | 'busy'
  /** code 3: the referenced task does not exist or expired. */
  | 'not_found'
  /** code 4: the proxy refused the input (empty prompt, bad image, parent not finished ...). */
  | 'validation'
  /** code 9: the proxy failed (no account available, system error); may pass later. */
  | 'failure'
  /** 429, 5xx, timeouts, network errors, unreadable answers: try again later. */
  | 'retryable'
  /** The flavor has no such endpoint (novicezk action/modal/cancel), or the task no such button. */
  | 'unsupported'
  /** Any other answer. */
  | 'unexpected';

export class MidjourneyError extends Error {
  constructor(
    readonly kind: MjErrorKind,
    message: string,
    readonly details: {
      code?: number;
      status?: number;
      bannedWord?: string | null;
      promptEn?: string | null;
      properties?: Record<string, unknown>;
      /** For our own input checks: the field at fault, e.g. `base64Array[1]`. */
      field?: string;
    } = {},
  ) {
    super(message);
    this.name = 'MidjourneyError';
  }

  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'busy';
  }
}

/** An accepted submission. */
export interface MjSubmitted {
  /** The new task's id (for novicezk code 21, the existing task's). */
  taskId: string;
  code: 1 | 21 | 22;
  /**
   * `submitted` (1), `queued` (22, with `queuePosition`), `modal` (trueai 21: confirm with
   * modal()), `existing` (novicezk 21: the same change was already made; `status`, `imageUrl`
   * are in `properties`).
   */
  outcome: 'submitted' | 'queued' | 'modal' | 'existing';
  queuePosition: number | null;
  description: string;
  properties: Record<string, unknown>;
}

export interface MjSubmitCommon {
  /** Per-task callback URL: POSTed the whole task on every change (unsigned, no retries). */
  notifyHook?: string;
  /** Free text echoed back on the task. */
  state?: string;
}

export interface MjImagineInput extends MjSubmitCommon {
  prompt: string;
  /** Reference images as data URLs (`data:image/png;base64,...`). */
  base64Array?: string[];
  botType?: MjBotType;
}

export interface MjActionInput extends MjSubmitCommon {
  taskId: string;
  customId: string;
  enableRemix?: boolean;
}

export interface MjModalInput {
  taskId: string;
  /** Required by trueai: custom zoom's prompt with `--zoom`, vary region's prompt for the area. */
  prompt: string;
  /** Vary region's mask as a data URL. */
  maskBase64?: string;
}

export interface MjChangeInput extends MjSubmitCommon {
  taskId: string;
  action: 'UPSCALE' | 'VARIATION' | 'REROLL';
  index?: number;
}

export interface MjBlendInput extends MjSubmitCommon {
  /** 2 to 5 data URLs. */
  base64Array: string[];
  dimensions?: MjBlendDimensions;
  botType?: MjBotType;
}

export interface MjDescribeInput extends MjSubmitCommon {
  /** The image as a data URL. */
  base64?: string;
  /** trueai only: an image URL instead of base64. */
  link?: string;
  botType?: MjBotType;
}

export interface MidjourneyClientOptions {
  baseUrl: string;
  /** novicezk: `mj-api-secret`; trueai: the user token, sent raw in `Authorization`. */
  secret: string;
  flavor?: MjFlavor;
  /** trueai only: force a speed mode through the path prefix. */
  mode?: MjMode;
  /** The caller's axios instance (its interceptors and agents apply); defaults to `axios.create()`. */
  http?: AxiosInstance;
  timeoutMs?: number;
}

/** Answer codes (ReturnCode.java / Constants.cs). */
export const MJ_CODES = { SUCCESS: 1, NOT_FOUND: 3, VALIDATION_ERROR: 4, FAILURE: 9, EXISTED: 21, IN_QUEUE: 22, QUEUE_REJECTED: 23, BANNED_PROMPT: 24 } as const;

/** Whether `value` is a base64 data URL, the only image form the proxies take (gotcha §5.4). */
export function isDataUrl(value: unknown): value is string {
  return typeof value === 'string' && /^data:[\w.+-]+\/[\w.+-]+;base64,[A-Za-z0-9+/=]+$/.test(value);
}

/** Image bytes as the data URL the proxies want. */
export function toDataUrl(bytes: Uint8Array, contentType = 'image/png'): string {
  return `data:${contentType};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** Refuses raw base64 or URLs before they reach the proxy, naming the field. */
function requireDataUrls(fields: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (!isDataUrl(item)) throw new MidjourneyError('validation', `${field}[${index}] must be a data URL (data:image/png;base64,...)`, { field: `${field}[${index}]` });
      });
    } else if (!isDataUrl(value)) {
      throw new MidjourneyError('validation', `${field} must be a data URL (data:image/png;base64,...)`, { field });
    }
  }
}

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

interface RawAnswer {
  status: number;
  text: string;
}

function parseJson(answer: RawAnswer): unknown {
  if (answer.text.trim() === '') return null;
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new MidjourneyError('retryable', `unreadable answer (HTTP ${answer.status})`, { status: answer.status });
  }
}

/** An answer without a code: what its HTTP status means. */
function statusError(answer: RawAnswer, what: string): MidjourneyError {
  const message = answer.text.trim().slice(0, 300) || `HTTP ${answer.status}`;
  if (answer.status === 401 || answer.status === 403) return new MidjourneyError('auth', message, { status: answer.status });
  if (RETRYABLE_STATUSES.has(answer.status)) return new MidjourneyError('retryable', message, { status: answer.status });
  if (answer.status === 404 || answer.status === 405) return new MidjourneyError('unsupported', `${what}: ${message}`, { status: answer.status });
  return new MidjourneyError('unexpected', `${what}: ${message}`, { status: answer.status });
}

/** `"排队中，前面还有3个任务"` → 3, when `properties.numberOfQueues` is missing. */
function queuePositionOf(properties: Record<string, unknown>, description: string): number | null {
  const number = Number(properties.numberOfQueues);
  if (properties.numberOfQueues !== undefined && Number.isFinite(number)) return number;
  const match = /(\d+)/.exec(description);
  return match ? Number(match[1]) : null;
}

/** Decides a submit answer by its `code` (midjourney-proxy.md §2.1). */
export function interpretSubmit(flavor: MjFlavor, answer: RawAnswer): MjSubmitted {
  let body: { code?: unknown; description?: unknown; result?: unknown; properties?: unknown } | null;
  try {
    body = parseJson(answer) as typeof body;
  } catch (error) {
    // A refusal in plain text (trueai's 401 "Authorization header missing.") is judged by its status.
    if (answer.status >= 200 && answer.status < 300) throw error;
    body = null;
  }
  if (!body || typeof body !== 'object' || typeof body.code !== 'number') {
    if (answer.status >= 200 && answer.status < 300) throw new MidjourneyError('unexpected', `answer without a code (HTTP ${answer.status})`, { status: answer.status });
    throw statusError(answer, 'submit');
  }
  const code = body.code;
  const description = typeof body.description === 'string' ? body.description : '';
  const properties = body.properties && typeof body.properties === 'object' ? (body.properties as Record<string, unknown>) : {};
  const result = Array.isArray(body.result) ? body.result[0] : body.result;
  const taskId = typeof result === 'string' || typeof result === 'number' ? String(result) : '';
  const details = { code, status: answer.status, properties };
  if (code === 1 || code === 21 || code === 22) {
    if (!taskId) throw new MidjourneyError('unexpected', `code ${code} without a task id`, details);
    return {
      taskId,
      code,
      outcome: code === 1 ? 'submitted' : code === 22 ? 'queued' : flavor === 'trueai' ? 'modal' : 'existing',
      queuePosition: code === 22 ? queuePositionOf(properties, description) : null,
      description,
      properties,
    };
  }
  const message = description || `code ${code}`;
  switch (code) {
    case 23:
      throw new MidjourneyError('busy', message, details);
    case 24:
      throw new MidjourneyError('banned', message, {
        ...details,
        bannedWord: typeof properties.bannedWord === 'string' ? properties.bannedWord : null,
        promptEn: typeof properties.promptEn === 'string' ? properties.promptEn : null,
      });
    case 3:
      throw new MidjourneyError('not_found', message, details);
    case 4:
      throw new MidjourneyError('validation', message, details);
    case 9:
      throw new MidjourneyError('failure', message, details);
    default:
      throw new MidjourneyError('unexpected', message, details);
  }
}

export class MidjourneyClient {
  readonly flavor: MjFlavor;
  private readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;

  constructor(private readonly options: MidjourneyClientOptions) {
    this.flavor = options.flavor ?? 'trueai';
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.http = options.http ?? axios.create();
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private url(path: string): string {
    // Only trueai serves the speed-mode prefixes (Program.cs); novicezk has its routes under /mj alone.
    const prefix = this.flavor === 'trueai' && this.options.mode ? `/mj-${this.options.mode}` : '';
    return `${this.baseUrl}${prefix}/mj${path}`;
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    // trueai reads the raw token from Authorization (no "Bearer"); novicezk only mj-api-secret.
    if (this.flavor === 'trueai') headers.Authorization = this.options.secret;
    else headers['mj-api-secret'] = this.options.secret;
    return headers;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<RawAnswer> {
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.request({
        method,
        url: this.url(path),
        headers: this.headers(),
        data: body === undefined ? undefined : JSON.stringify(body),
        timeout: this.timeoutMs,
        // The body is read as text and every status is ours to judge: an empty body is an answer.
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      });
    } catch (error) {
      throw new MidjourneyError('retryable', `midjourney-proxy unreachable: ${(error as Error).message}`);
    }
    const data = response.data;
    const text = typeof data === 'string' ? data : data === undefined || data === null ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : JSON.stringify(data);
    return { status: response.status, text };
  }

  private async submit(path: string, body: Record<string, unknown>): Promise<MjSubmitted> {
    const clean = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
    return interpretSubmit(this.flavor, await this.call('POST', `/submit/${path}`, clean));
  }

  private requireTrueai(what: string): void {
    if (this.flavor !== 'trueai') throw new MidjourneyError('unsupported', `${what} needs the trueai midjourney-proxy (novicezk has no such endpoint)`);
  }

  async imagine(input: MjImagineInput): Promise<MjSubmitted> {
    requireDataUrls({ base64Array: input.base64Array });
    return this.submit('imagine', { ...input });
  }

  /** Presses a button of a SUCCESS task (trueai). Code 21 means a MODAL task: confirm it with modal(). */
  async action(input: MjActionInput): Promise<MjSubmitted> {
    this.requireTrueai('action');
    return this.submit('action', { ...input });
  }

  /** Confirms a MODAL task (custom zoom with its prompt, vary region with its mask). */
  async modal(input: MjModalInput): Promise<MjSubmitted> {
    this.requireTrueai('modal');
    requireDataUrls({ maskBase64: input.maskBase64 });
    return this.submit('modal', { ...input });
  }

  /** novicezk's way to upscale, vary and reroll a grid (U1..U4, V1..V4, R). */
  change(input: MjChangeInput): Promise<MjSubmitted> {
    return this.submit('change', { ...input });
  }

  /**
   * Runs our action `key` on a finished parent: trueai presses the matching button; novicezk,
   * which has no buttons, uses `/submit/change` for upscale, vary and reroll.
   */
  act(parent: MjTask, key: MjActionKey, common: MjSubmitCommon = {}): Promise<MjSubmitted> {
    if (this.flavor === 'trueai') {
      const customId = customIdFor(parent.buttons, key);
      if (!customId) return Promise.reject(new MidjourneyError('unsupported', `task ${parent.id} offers no ${key}`));
      return this.action({ taskId: parent.id, customId, ...common });
    }
    const change = legacyChangeOf(key);
    if (!change) return Promise.reject(new MidjourneyError('unsupported', `${key} needs the trueai midjourney-proxy`));
    return this.change({ taskId: parent.id, ...change, ...common });
  }

  async blend(input: MjBlendInput): Promise<MjSubmitted> {
    requireDataUrls({ base64Array: input.base64Array });
    return this.submit('blend', { ...input });
  }

  async describe(input: MjDescribeInput): Promise<MjSubmitted> {
    if (input.link !== undefined) this.requireTrueai('describe by link');
    else requireDataUrls({ base64: input.base64 ?? '' });
    return this.submit('describe', { ...input });
  }

  /** The task, or null when the proxy does not know the id (it answers an empty body). */
  async fetchTask(id: string): Promise<MjTask | null> {
    const answer = await this.call('GET', `/task/${encodeURIComponent(id)}/fetch`);
    if (answer.status === 404 && answer.text.trim() === '') return null;
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer, 'fetch');
    const body = parseJson(answer);
    if (body === null) return null;
    if (!isRawTask(body)) throw new MidjourneyError('unexpected', 'fetch: the answer is not a task', { status: answer.status });
    return normalizeTask(body);
  }

  /** Many tasks in one call; ids the proxy does not know are simply missing from the answer. */
  async listByCondition(ids: readonly string[]): Promise<MjTask[]> {
    if (!ids.length) return [];
    const answer = await this.call('POST', '/task/list-by-condition', { ids });
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer, 'list-by-condition');
    const body = parseJson(answer);
    if (body === null) return [];
    if (!Array.isArray(body)) throw new MidjourneyError('unexpected', 'list-by-condition: the answer is not a list', { status: answer.status });
    return body.filter(isRawTask).map(normalizeTask);
  }

  /**
   * Cancels a task (trueai only): an unfinished one then shows as FAILURE "取消任务" (phase
   * `canceled`). The proxy answers 200 whatever the id and state, so fetch the task to see.
   */
  async cancel(id: string): Promise<void> {
    this.requireTrueai('cancel');
    const answer = await this.call('POST', `/task/${encodeURIComponent(id)}/cancel`);
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer, 'cancel');
  }
}
