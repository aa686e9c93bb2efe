/**
 * Jimeng through Volcengine's visual API (../shared/providers/jimeng-volcengine.md): signed POSTs
 * of `CVSync2AsyncSubmitTask` / `CVSync2AsyncGetResult` (Version 2022-08-31), the business
 * envelope decided by `code` (10000 = success) before `data` is read, and the gateway's own
 * `ResponseMetadata.Error` shape for signing and access refusals.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { checkVolcInput, VOLC_MODELS, type VolcImageFacts, type VolcModel, volcModelForReqKey, volcReqKey, type VolcReqKeyOverrides, type VolcTaskInput } from './models.js';
import { signVolcRequest, type VolcCredentials } from './sign.js';

export const VOLC_VISUAL_BASE_URL = 'https://visual.volcengineapi.com';
export const VOLC_VISUAL_VERSION = '2022-08-31';
export const VOLC_SUCCESS = 10000;
/** The largest answer read from the visual API. */
export const VOLC_MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export type VolcErrorKind =
  /** Gateway refusals (bad key, signature, stale X-Date) and 50400 (capability not activated, no policy): the admin must fix. */
  | 'auth'
  /** Our checks, 50215 and other 4xx business codes: the request is wrong (`details.field` when we know it). */
  | 'validation'
  /** Moderation (505xx/504xx risk codes): `contentFlagged`; `retryLimit` says whether one resend may pass. */
  | 'policy'
  /** 50429 (QPS) and 50430 (concurrency, `concurrencyLimited`): try later. */
  | 'busy'
  /** 50500/50501, 5xx, timeouts, network errors, unreadable answers: try later. */
  | 'retryable'
  /** The task is unknown or expired (`not_found` / `expired`): end it and refund. */
  | 'gone'
  /** Anything else (50520–50522 moderation-internal errors, unknown codes): do not resend. */
  | 'unexpected';

export interface VolcErrorDetails {
  code?: number;
  status?: number;
  requestId?: string;
  /** The gateway's `Error.Code` (`SignatureDoesNotMatch`, ...). */
  gatewayCode?: string;
  field?: string;
  allowed?: ReadonlyArray<string | number>;
}

/** Refused for the input's content: never resend as is. */
const FLAGGED_FINAL = new Set([50411, 50412, 50413, 50512, 50518]);
/** Refused for the output's content: the table allows one resend (a new generation may pass). */
const FLAGGED_RETRY_ONCE = new Set([50511, 50516, 50517, 50519]);
const GATEWAY_AUTH_CODES = new Set(['MissingAuthenticationToken', 'MissingSignature', 'InvalidTimestamp', 'InvalidAccessKey', 'SignatureDoesNotMatch', 'InvalidAuthorization', 'LackPolicy', 'AccessDenied', 'MissingRequestInfo']);

export class VolcError extends Error {
  constructor(
    readonly kind: VolcErrorKind,
    message: string,
    readonly details: VolcErrorDetails = {},
  ) {
    super(message);
    this.name = 'VolcError';
  }

  get retryable(): boolean {
    return this.kind === 'retryable' || this.kind === 'busy';
  }

  /** A moderation refusal: refund the user and tell them to change prompt or image. */
  get contentFlagged(): boolean {
    return this.kind === 'policy';
  }

  /** How often the same request may be resent after this error (the table's "retry?" column for moderation). */
  get retryLimit(): number {
    if (this.kind === 'policy') return FLAGGED_RETRY_ONCE.has(this.details.code ?? 0) ? 1 : 0;
    return this.retryable ? Infinity : 0;
  }

  /** 50430: the account's concurrent tasks are used up; the engine should hold new submissions. */
  get concurrencyLimited(): boolean {
    return this.details.code === 50430;
  }
}

/** The error table (§3.2): each business code's kind. */
export function volcErrorKind(code: number, status?: number): VolcErrorKind {
  if (FLAGGED_FINAL.has(code) || FLAGGED_RETRY_ONCE.has(code)) return 'policy';
  if (code === 50429 || code === 50430) return 'busy';
  if (code === 50500 || code === 50501) return 'retryable';
  if (code === 50400) return 'auth';
  if (code >= 50520 && code <= 50522) return 'unexpected';
  if (status !== undefined && status >= 500) return 'retryable';
  if (status === 401 || status === 403) return 'auth';
  if (status !== undefined && status >= 400 && status < 500) return 'validation';
  return 'unexpected';
}

const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

export interface VolcRawAnswer {
  status: number;
  text: string;
}

export interface VolcEnvelope {
  code: number;
  message: string;
  requestId?: string;
  data: Record<string, unknown> | null;
}

/** The envelope when `code` is 10000; otherwise the VolcError its code (or the gateway's error) means. */
export function interpretVolcAnswer(answer: VolcRawAnswer): VolcEnvelope {
  let body: unknown = null;
  try {
    body = answer.text.trim() === '' ? null : JSON.parse(answer.text);
  } catch {
    body = null;
  }
  const object = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const metadata = object?.ResponseMetadata && typeof object.ResponseMetadata === 'object' ? (object.ResponseMetadata as Record<string, unknown>) : null;
  const gatewayError = metadata?.Error && typeof metadata.Error === 'object' ? (metadata.Error as { Code?: unknown; CodeN?: unknown; Message?: unknown }) : null;
  if (gatewayError) {
    const gatewayCode = typeof gatewayError.Code === 'string' ? gatewayError.Code : '';
    const message = `${gatewayCode || 'gateway error'}: ${typeof gatewayError.Message === 'string' ? gatewayError.Message : `HTTP ${answer.status}`}`;
    const details = { status: answer.status, gatewayCode, code: typeof gatewayError.CodeN === 'number' ? gatewayError.CodeN : undefined, requestId: typeof metadata!.RequestId === 'string' ? metadata!.RequestId : undefined };
    if (GATEWAY_AUTH_CODES.has(gatewayCode) || answer.status === 401 || answer.status === 403) throw new VolcError('auth', message, details);
    if (answer.status === 429 || /Throttl|FlowLimit/i.test(gatewayCode)) throw new VolcError('busy', message, details);
    if (answer.status >= 500) throw new VolcError('retryable', message, details);
    throw new VolcError('validation', message, details);
  }
  if (!object || typeof object.code !== 'number') {
    const message = answer.text.trim().slice(0, 300) || `HTTP ${answer.status}`;
    // A 2xx without an envelope is a broken answer (a proxy's page, a truncated body): ask again.
    if (RETRYABLE_STATUSES.has(answer.status) || (answer.status >= 200 && answer.status < 300)) {
      throw new VolcError('retryable', `unreadable Volcengine answer (HTTP ${answer.status}): ${message}`, { status: answer.status });
    }
    if (answer.status === 401 || answer.status === 403) throw new VolcError('auth', message, { status: answer.status });
    throw new VolcError('unexpected', `HTTP ${answer.status}: ${message}`, { status: answer.status });
  }
  const code = object.code;
  const requestId = typeof object.request_id === 'string' ? object.request_id : undefined;
  const message = typeof object.message === 'string' && object.message ? object.message : `code ${code}`;
  // data is null on errors: only a 10000 envelope's data is read (gotcha §7.4).
  if (code !== VOLC_SUCCESS) throw new VolcError(volcErrorKind(code, answer.status), message, { code, status: answer.status, requestId });
  const data = object.data && typeof object.data === 'object' && !Array.isArray(object.data) ? (object.data as Record<string, unknown>) : null;
  return { code, message, requestId, data };
}

export type VolcTaskStatus = 'in_queue' | 'generating' | 'done' | 'not_found' | 'expired';
export type VolcPhase = 'queued' | 'running' | 'succeeded';

export interface VolcTaskResult {
  taskId: string;
  reqKey: string;
  /** As sent; an unknown status is kept and read as running. */
  status: VolcTaskStatus | string;
  phase: VolcPhase;
  terminal: boolean;
  videoUrl: string | null;
  imageUrls: string[];
  /** Raw base64 images (when `return_url` was false). */
  imagesBase64: string[];
  raw: Record<string, unknown>;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : []);

/**
 * A GetResult `data` as a result. `done` under code 10000 is a success (failures come with
 * another code, §7.4); `not_found` and `expired` end the task with a `gone` error (refund it).
 */
export function normalizeVolcResult(taskId: string, reqKey: string, data: Record<string, unknown> | null): VolcTaskResult {
  if (!data) throw new VolcError('unexpected', `${taskId}: the answer has no data`);
  const status = typeof data.status === 'string' ? data.status : '';
  if (status === 'not_found' || status === 'expired') throw new VolcError('gone', `task ${taskId} is ${status === 'expired' ? 'expired' : 'unknown or expired'}`, {});
  const done = status === 'done';
  const result: VolcTaskResult = {
    taskId,
    reqKey,
    status,
    phase: done ? 'succeeded' : status === 'in_queue' ? 'queued' : 'running',
    terminal: done,
    videoUrl: typeof data.video_url === 'string' && data.video_url ? data.video_url : null,
    imageUrls: strings(data.image_urls),
    imagesBase64: strings(data.binary_data_base64),
    raw: data,
  };
  if (done && !result.videoUrl && result.imageUrls.length === 0 && result.imagesBase64.length === 0) {
    throw new VolcError('unexpected', `task ${taskId} is done but carries no result`);
  }
  return result;
}

export interface VolcClientOptions extends VolcCredentials {
  /** A custom base URL (a relay, the sandbox); defaults to https://visual.volcengineapi.com. */
  baseUrl?: string;
  /** Our model id → another req_key (§7.8). */
  reqKeys?: VolcReqKeyOverrides;
  /** The caller's axios instance (its interceptors and agents apply); defaults to `axios.create()`. */
  http?: AxiosInstance;
  timeoutMs?: number;
  region?: string;
  service?: string;
  /** Clock, for X-Date (tests). */
  now?: () => Date;
}

export interface VolcSubmitted {
  taskId: string;
  reqKey: string;
  requestId?: string;
}

export interface VolcResultOptions {
  /** Images: true (default) for `image_urls` (valid 24 h), false for `binary_data_base64`. */
  returnUrl?: boolean;
  /** Anything else for `req_json` (`logo_info`, `aigc_meta`). */
  reqJson?: Record<string, unknown>;
}

export class VolcVisualClient {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly now: () => Date;

  constructor(private readonly options: VolcClientOptions) {
    const base = options.baseUrl ?? VOLC_VISUAL_BASE_URL;
    if (!/^https?:\/\//.test(base)) throw new Error('the Volcengine base URL must be http(s)');
    this.baseUrl = base.replace(/\/+$/, '');
    this.http = options.http ?? axios.create();
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.now = options.now ?? (() => new Date());
  }

  reqKeyOf(model: VolcModel): string {
    return volcReqKey(model, this.options.reqKeys);
  }

  modelOf(reqKey: string): VolcModel | undefined {
    return volcModelForReqKey(reqKey, this.options.reqKeys);
  }

  /** One signed POST; the body is serialized once and those exact bytes are hashed, signed and sent. */
  async call(action: 'CVSync2AsyncSubmitTask' | 'CVSync2AsyncGetResult', payload: Record<string, unknown>): Promise<VolcEnvelope> {
    const body = JSON.stringify(payload);
    const url = new URL(`${this.baseUrl}/`);
    const query = { Action: action, Version: VOLC_VISUAL_VERSION };
    const path = url.pathname;
    const headers = signVolcRequest(
      { method: 'POST', path, query, headers: { Host: url.host, 'Content-Type': 'application/json' }, body },
      this.options,
      this.now(),
      { region: this.options.region, service: this.options.service },
    );
    let response: AxiosResponse<unknown>;
    try {
      response = await this.http.request({
        method: 'POST',
        url: `${url.origin}${path}?Action=${action}&Version=${VOLC_VISUAL_VERSION}`,
        headers: { ...headers, Accept: 'application/json' },
        data: body,
        timeout: this.timeoutMs,
        // The visual API never redirects: a 3xx (a misconfigured relay, or one pointing elsewhere, even at a
        // private address) is an answer to report, not a place to send our signed request to.
        maxRedirects: 0,
        // A garbage-answering base URL must not fill the memory (the largest real answer, several images
        // as base64, is far below this).
        maxContentLength: VOLC_MAX_ANSWER_BYTES,
        responseType: 'text',
        transformRequest: [(data: unknown) => data],
        transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      });
    } catch (error) {
      throw new VolcError('retryable', `Volcengine unreachable: ${(error as Error).message}`);
    }
    const data = response.data;
    const text = typeof data === 'string' ? data : data === undefined || data === null ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : JSON.stringify(data);
    return interpretVolcAnswer({ status: response.status, text });
  }

  /** Checks the input against the model's rules (a `validation` error naming the field), then submits it. */
  async submit(model: VolcModel, input: VolcTaskInput, images: VolcImageFacts[] = []): Promise<VolcSubmitted> {
    const problem = checkVolcInput(model, input, images);
    if (problem) throw new VolcError('validation', problem.message, { field: problem.field, allowed: problem.allowed });
    const reqKey = this.reqKeyOf(model);
    const clean = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const envelope = await this.call('CVSync2AsyncSubmitTask', { ...clean, req_key: reqKey });
    const taskId = envelope.data?.task_id;
    if ((typeof taskId !== 'string' || taskId === '') && typeof taskId !== 'number') throw new VolcError('unexpected', `${reqKey}: the answer has no task_id`, { requestId: envelope.requestId });
    return { taskId: String(taskId), reqKey, requestId: envelope.requestId };
  }

  /** The task's state; `done` carries the result. Ask with the req_key it was submitted with. */
  async result(reqKey: string, taskId: string, options: VolcResultOptions = {}): Promise<VolcTaskResult> {
    const reqJson: Record<string, unknown> = { ...options.reqJson };
    const model = this.modelOf(reqKey);
    // return_url is an image option; an unknown req_key is judged by its name.
    const isImage = model ? VOLC_MODELS[model].kind === 'image' : !/(^|_)(t2v|i2v|ti2v)/.test(reqKey);
    if (isImage) reqJson.return_url = options.returnUrl ?? true;
    const payload: Record<string, unknown> = { req_key: reqKey, task_id: taskId };
    if (Object.keys(reqJson).length) payload.req_json = JSON.stringify(reqJson);
    const envelope = await this.call('CVSync2AsyncGetResult', payload);
    return normalizeVolcResult(taskId, reqKey, envelope.data);
  }
}
