import type { ApiError } from '@atelier/api-client';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';

/** Messages per form field name. */
export type FieldErrors = Record<string, string[]>;

export type Success<T> = { ok: true; data: T };
export type Failure = {
  ok: false;
  /** HTTP status; 0 when the server could not be reached. */
  status: number;
  /** The API's `details`, keyed by the form's field names; shown next to the fields. */
  fieldErrors: FieldErrors;
  /** Seconds from Retry-After on a 429. */
  retryAfter?: number;
  /** The API's own words (`message`), for callers that show the failure themselves. */
  message?: string;
  /** The API's machine-readable reason, where there is one a caller may act on (e.g. `cancel_not_refunded`). */
  errorCode?: ApiError['errorCode'];
};
export type Result<T> = Success<T> | Failure;

export interface ErrorOptions {
  /**
   * The form's fields, to put the API's `details` next to them: a list of names when the form
   * uses the API's names, or a map from API name to form name (e.g. `{ name: 'profileName' }`).
   * Details naming no field of the form, and errors without details, become a toast.
   */
  fields?: readonly string[] | Readonly<Record<string, string>>;
  /**
   * Whether the call runs inside a session (default). A 401 there means the session ended, which
   * the API client already handles; on sign-in a 401 is a wrong password and is shown.
   */
  session?: boolean;
  /**
   * Statuses the caller shows itself, next to what failed (e.g. a provider's refusal in its
   * panel): no toast is raised for them; `message` carries the API's words. Field errors from
   * `details` are still matched to the form first.
   */
  inline?: readonly number[];
  /**
   * Work the user did not ask for (e.g. reopening the live task stream), which retries by itself:
   * no failure is toasted at all, not even the server being unreachable.
   */
  background?: boolean;
}

/** What openapi-fetch resolves to, reduced to what we read. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Runs one API call and turns any failure into field errors or a toast. */
export async function request<T>(call: () => Promise<FetchResult<T>>, options: ErrorOptions = {}): Promise<Result<T>> {
  let result: FetchResult<T>;
  try {
    result = await call();
  } catch {
    if (!options.background) toastManager.error(i18n.m.errors.network);
    return { ok: false, status: 0, fieldErrors: {} };
  }
  const { data, error, response } = result;
  if (response.ok) return { ok: true, data: data as T };
  return reportFailure(response, error, options);
}

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiError).statusCode === 'number' &&
    typeof (value as ApiError).message === 'string'
  );
}

function reportFailure(response: Response, body: unknown, options: ErrorOptions): Failure {
  const status = response.status;
  const apiError = isApiError(body) ? body : null;
  const failure: Failure = { ok: false, status, fieldErrors: {}, message: apiError?.message, errorCode: apiError?.errorCode };
  const m = i18n.m;
  const quiet = options.background || (options.inline?.includes(status) ?? false);

  if (status === 401 && options.session !== false) return failure;

  if (status === 429) {
    const seconds = parseRetryAfter(response.headers.get('Retry-After'));
    if (seconds !== undefined) failure.retryAfter = seconds;
    if (quiet) return failure;
    toastManager.error(
      i18n.format(m.errors.tooManyRequests, { seconds: seconds ?? '?' }),
      apiError?.message,
    );
    return failure;
  }

  const unmatched: string[] = [];
  if (apiError?.details?.length) {
    for (const detail of apiError.details) {
      const field = formFieldName(detail.field, options.fields);
      if (field) failure.fieldErrors[field] = [...(failure.fieldErrors[field] ?? []), ...detail.messages];
      else unmatched.push(...detail.messages);
    }
  }
  const matched = Object.keys(failure.fieldErrors).length > 0;
  if (!matched) {
    if (!quiet) toastManager.error(apiError?.message ?? i18n.format(m.errors.unexpected, { status }));
  } else if (unmatched.length) toastManager.error(unmatched.join('; '));
  return failure;
}

function formFieldName(apiField: string, fields: ErrorOptions['fields']): string | undefined {
  if (!fields) return undefined;
  if (Array.isArray(fields)) return fields.includes(apiField) ? apiField : undefined;
  const map = fields as Readonly<Record<string, string>>;
  return Object.hasOwn(map, apiField) ? map[apiField] : undefined;
}

/** Retry-After is either seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** A failure in words, for showing it in place: the API's message, or what went wrong. */
export function failureMessage(failure: Failure): string {
  if (failure.message) return failure.message;
  return failure.status === 0 ? i18n.m.errors.network : i18n.format(i18n.m.errors.unexpected, { status: failure.status });
}
