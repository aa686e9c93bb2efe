import createClient, { type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type ApiError = Schemas['ErrorResponseDto'];

export interface ApiClientOptions {
  /** Origin of the API; empty for the same origin. */
  baseUrl?: string;
  /** The JWT or API key to send, read on every request. */
  getToken?: () => string | null | undefined;
  /** The language the API words its messages in (`Accept-Language`), e.g. the UI's. */
  getLanguage?: () => string | null | undefined;
  /**
   * Called when the API answers 401 to an authenticated request, with the answer's error body
   * (its `errorCode` says e.g. that the account was disabled).
   */
  onUnauthorized?: (error: ApiError | null) => void;
  fetch?: typeof globalThis.fetch;
}

/** A typed client for the Atelier API, generated from the committed OpenAPI document. */
export function createApiClient(options: ApiClientOptions = {}) {
  const client = createClient<paths>({ baseUrl: options.baseUrl ?? '', fetch: options.fetch });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = options.getToken?.();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      const language = options.getLanguage?.();
      if (language) request.headers.set('Accept-Language', language);
      return request;
    },
    async onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has('Authorization') && options.onUnauthorized) {
        // A copy: the caller still reads the body itself.
        const body: unknown = await response.clone().json().catch(() => null);
        options.onUnauthorized(isErrorBody(body) ? body : null);
      }
      return response;
    },
  };
  client.use(auth);
  return client;
}

export type ApiClient = ReturnType<typeof createApiClient>;

function isErrorBody(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && typeof (value as ApiError).statusCode === 'number';
}
