/**
 * fal.ai queue API client (../shared/providers/fal.md): `Authorization: Key`, submit with the full
 * endpoint id, then status/result/cancel through the URLs the submit answer returns (they use only
 * owner/app). COMPLETED means finished, not succeeded: the result request says which.
 */
import { axiosFetch, type JsonApiFetch, type JsonApiResponse } from '../http/index.js';

export const FAL_DEFAULT_BASE_URL = 'https://queue.fal.run';

export type FalErrorKind =
  /** 422: the input was refused; `fields` says which. */
  | 'validation'
  /** 401/403: the key is wrong or lacks access. */
  | 'auth'
  /** 429, 5xx, timeouts, runner failures, network errors, unreadable answers: try again later. */
  | 'retryable'
  /** Anything else fal says will not change by retrying (content policy, bad request, not found). */
  | 'final';

export interface FalFieldError {
  /** The input field as fal names it (snake_case); nested positions are dotted: `image_size.width`. */
  field: string;
  message: string;
  type: string | null;
}

export class FalError extends Error {
  constructor(
    readonly kind: FalErrorKind,
    message: string,
    readonly details: { status?: number; errorType?: string | null; fields?: FalFieldError[]; retryAfterMs?: number; requestId?: string | null } = {},
  ) {
    super(message);
    this.name = 'FalError';
  }
}

export interface FalQueueHandle {
  requestId: string;
  statusUrl: string;
  responseUrl: string;
  cancelUrl: string;
}

export type FalStatus =
  | { status: 'IN_QUEUE'; queuePosition: number | null }
  | { status: 'IN_PROGRESS'; logs: FalLog[] }
  | { status: 'COMPLETED'; logs: FalLog[] };

export interface FalLog {
  message: string;
  level: string;
  timestamp: string;
}

export interface FalImage {
  url: string;
  width: number | null;
  height: number | null;
  contentType: string | null;
}

export interface FalResult {
  images: FalImage[];
  /** As a string: fal's seeds may exceed JavaScript's safe integers. */
  seed: string | null;
  hasNsfwConcepts: boolean[];
  prompt: string | null;
}

export type FalCancelOutcome = 'CANCELLATION_REQUESTED' | 'ALREADY_COMPLETED' | 'NOT_FOUND';

export interface FalClientOptions {
  apiKey: string;
  baseUrl?: string;
  timeoutMs?: number;
  /** Defaults to `axiosFetch` (the shared axios instance: kept-alive connections, size limits); the global fetch fits too. */
  fetch?: JsonApiFetch;
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_ERROR_TYPES = new Set([
  'request_timeout',
  'startup_timeout',
  'runner_scheduling_failure',
  'runner_connection_timeout',
  'runner_disconnected',
  'runner_connection_refused',
  'runner_connection_error',
  'runner_incomplete_response',
  'runner_server_error',
  'internal_error',
  'rate_limited',
]);

/** Splits a FastAPI `detail` list into field errors; a plain-string detail has none. */
export function parseValidationDetail(detail: unknown): FalFieldError[] {
  if (!Array.isArray(detail)) return [];
  return detail.map((item: { loc?: unknown[]; msg?: unknown; type?: unknown }) => {
    const loc = Array.isArray(item?.loc) ? item.loc.filter((part, index) => !(index === 0 && (part === 'body' || part === 'query'))) : [];
    return { field: loc.join('.') || 'body', message: typeof item?.msg === 'string' ? item.msg : 'Invalid value', type: typeof item?.type === 'string' ? item.type : null };
  });
}

/** The message fal gives with an error body: `detail` (string or list), `message`, or the status. */
function describe(body: unknown, status: number): string {
  const record = (body ?? {}) as { detail?: unknown; message?: unknown };
  if (typeof record.detail === 'string') return record.detail;
  if (Array.isArray(record.detail)) return parseValidationDetail(record.detail).map((f) => (f.field === 'body' ? f.message : `${f.field}: ${f.message}`)).join('; ');
  if (typeof record.message === 'string') return record.message;
  return `HTTP ${status}`;
}

/** Decides what a non-2xx answer means (fal.md §3.5). */
export function classifyError(status: number, body: unknown, headers: { get(name: string): string | null }): FalError {
  const errorType = headers.get('x-fal-error-type') ?? ((body as { error_type?: unknown })?.error_type as string | undefined) ?? null;
  const message = describe(body, status);
  const retryHeader = headers.get('x-fal-retryable');
  const retryAfter = Number(headers.get('retry-after'));
  const base = { status, errorType, retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined };
  if (status === 401 || status === 403) return new FalError('auth', message, base);
  if (retryHeader === 'false') {
    return new FalError(status === 422 ? 'validation' : 'final', message, { ...base, fields: parseValidationDetail((body as { detail?: unknown })?.detail) });
  }
  if (status === 422) return new FalError('validation', message, { ...base, fields: parseValidationDetail((body as { detail?: unknown })?.detail) });
  if (RETRYABLE_STATUSES.has(status) || (errorType && RETRYABLE_ERROR_TYPES.has(errorType)) || retryHeader === 'true') return new FalError('retryable', message, base);
  return new FalError('final', message, base);
}

/** Reads `"seed": 196619188014358660` exactly, before JSON.parse rounds it. */
export function exactSeed(text: string): string | null {
  return /"seed"\s*:\s*(\d+)/.exec(text)?.[1] ?? null;
}

/** The owner/app part of an endpoint id, where status/result/cancel live (fal.md §2). */
export function appOf(endpointId: string): string {
  const parts = endpointId.split('/');
  const namespaced = parts[0] === 'workflows' || parts[0] === 'comfy';
  return parts.slice(0, namespaced ? 3 : 2).join('/');
}

export class FalClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: JsonApiFetch;

  constructor(private readonly options: FalClientOptions) {
    this.baseUrl = (options.baseUrl ?? FAL_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetch = options.fetch ?? axiosFetch;
  }

  private async call(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown; text: string; requestId: string | null }> {
    let response: JsonApiResponse;
    try {
      response = await this.fetch(url, {
        method,
        headers: { Authorization: `Key ${this.options.apiKey}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : `could not be reached (${(error as Error).message})`;
      throw new FalError('retryable', `fal.ai ${reason}`);
    }
    const text = await response.text().catch(() => '');
    const requestId = response.headers.get('x-fal-request-id');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      if (response.ok) throw new FalError('retryable', `fal.ai answered something unreadable (HTTP ${response.status})`, { status: response.status, requestId });
    }
    if (!response.ok) throw classifyError(response.status, parsed, response.headers);
    return { status: response.status, body: parsed, text, requestId };
  }

  /**
   * Queues a request; `webhookUrl` becomes `fal_webhook`, called once the request is done. A 2xx
   * means fal took the job (and bills it): when its body cannot be read, the `x-fal-request-id`
   * header still identifies the job; without either the answer is final, because sending the
   * request again would start (and bill) a second job.
   */
  async submit(endpointId: string, input: Record<string, unknown>, options: { webhookUrl?: string | null } = {}): Promise<FalQueueHandle & { queuePosition: number | null }> {
    const query = options.webhookUrl ? `?fal_webhook=${encodeURIComponent(options.webhookUrl)}` : '';
    let body: unknown;
    let headerId: string | null;
    try {
      ({ body, requestId: headerId } = await this.call('POST', `${this.baseUrl}/${endpointId}${query}`, input));
    } catch (error) {
      const accepted = error instanceof FalError && (error.details.status ?? 0) >= 200 && (error.details.status ?? 0) < 300;
      if (!accepted) throw error;
      body = null;
      headerId = error.details.requestId ?? null;
    }
    const answer = body as { request_id?: unknown; status_url?: unknown; response_url?: unknown; cancel_url?: unknown; queue_position?: unknown } | null;
    const requestId = typeof answer?.request_id === 'string' ? answer.request_id : headerId;
    if (!requestId) throw new FalError('final', 'fal.ai accepted the request but did not say which job it started; it was not sent again, so as not to start a second job');
    const app = `${this.baseUrl}/${appOf(endpointId)}/requests/${requestId}`;
    return {
      requestId,
      // The returned URLs are authoritative; the built ones only stand in if fal left them out.
      responseUrl: typeof answer?.response_url === 'string' ? answer.response_url : app,
      statusUrl: typeof answer?.status_url === 'string' ? answer.status_url : `${app}/status`,
      cancelUrl: typeof answer?.cancel_url === 'string' ? answer.cancel_url : `${app}/cancel`,
      queuePosition: typeof answer?.queue_position === 'number' ? answer.queue_position : null,
    };
  }

  /** 202 while queued or running, 200 when completed: both are answers, decided by `status`. */
  async status(handle: Pick<FalQueueHandle, 'statusUrl'>, options: { logs?: boolean } = {}): Promise<FalStatus> {
    const { body } = await this.call('GET', `${handle.statusUrl}${options.logs ? '?logs=1' : ''}`);
    const answer = body as { status?: unknown; queue_position?: unknown; logs?: unknown };
    const logs = Array.isArray(answer?.logs) ? (answer.logs as FalLog[]) : [];
    switch (answer?.status) {
      case 'IN_QUEUE':
        return { status: 'IN_QUEUE', queuePosition: typeof answer.queue_position === 'number' ? answer.queue_position : null };
      case 'IN_PROGRESS':
        return { status: 'IN_PROGRESS', logs };
      case 'COMPLETED':
        return { status: 'COMPLETED', logs };
      default:
        throw new FalError('retryable', `fal.ai answered an unknown status ${JSON.stringify(answer?.status ?? null)}`);
    }
  }

  /** The output of a completed request; a failed run throws (422 content policy, 5xx runner errors...). */
  async result(handle: Pick<FalQueueHandle, 'responseUrl'>): Promise<FalResult> {
    const { body, text } = await this.call('GET', handle.responseUrl);
    const answer = body as { images?: unknown; has_nsfw_concepts?: unknown; prompt?: unknown };
    if (!Array.isArray(answer?.images)) throw new FalError('retryable', 'fal.ai returned a result without images');
    const images = (answer.images as Array<Record<string, unknown>>).filter((image) => typeof image?.url === 'string').map((image) => ({
      url: image.url as string,
      width: typeof image.width === 'number' ? image.width : null,
      height: typeof image.height === 'number' ? image.height : null,
      contentType: typeof image.content_type === 'string' ? image.content_type : null,
    }));
    return {
      images,
      seed: exactSeed(text),
      hasNsfwConcepts: Array.isArray(answer.has_nsfw_concepts) ? answer.has_nsfw_concepts.map(Boolean) : images.map(() => false),
      prompt: typeof answer.prompt === 'string' ? answer.prompt : null,
    };
  }

  async cancel(handle: Pick<FalQueueHandle, 'cancelUrl'>): Promise<FalCancelOutcome> {
    try {
      const { body } = await this.call('PUT', handle.cancelUrl);
      const status = (body as { status?: unknown })?.status;
      return status === 'ALREADY_COMPLETED' ? 'ALREADY_COMPLETED' : 'CANCELLATION_REQUESTED';
    } catch (error) {
      if (error instanceof FalError && error.details.status === 400) return 'ALREADY_COMPLETED';
      if (error instanceof FalError && error.details.status === 404) return 'NOT_FOUND';
      throw error;
    }
  }

  /**
   * Checks the base URL and key without spending anything: the status of a request that does not
   * exist is 404 with a valid key and 401/403 with a wrong one.
   */
  async check(endpointId = 'fal-ai/flux-1/dev'): Promise<void> {
    try {
      await this.call('GET', `${this.baseUrl}/${appOf(endpointId)}/requests/00000000-0000-4000-8000-000000000000/status`);
    } catch (error) {
      if (error instanceof FalError && error.details.status === 404) return;
      throw error;
    }
  }
}
