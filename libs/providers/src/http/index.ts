import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosResponse } from 'axios';

/** What the provider clients need of a response. */
export interface JsonApiResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** What the provider clients need of `fetch` (the global one fits too, e.g. in tests). */
export type JsonApiFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<JsonApiResponse>;

/** Provider answers are small JSON documents; anything larger is a fault, not an answer. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Requests may carry input images as data URIs (several 10 MB images, base64). */
export const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/**
 * The one HTTP client every provider call goes through: kept-alive connections (provider queues
 * are asked several times per task), a size limit on answers and on requests, every status an
 * answer (the clients decide what 4xx/5xx mean), the body as text (fal's seeds must be read
 * before JSON.parse rounds them), no redirects (an API that moves is a fault to report, and a
 * POST must not be replayed elsewhere) and no proxy from the environment (as before: set one up
 * explicitly if a deployment needs it).
 */
export const providerHttp = axios.create({
  httpAgent: new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16 }),
  httpsAgent: new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16 }),
  maxContentLength: MAX_RESPONSE_BYTES,
  maxBodyLength: MAX_REQUEST_BYTES,
  maxRedirects: 0,
  proxy: false,
  responseType: 'text',
  responseEncoding: 'utf8',
  transformResponse: [(data: unknown) => data],
  validateStatus: () => true,
});

function headerReader(response: AxiosResponse): JsonApiResponse['headers'] {
  return {
    get: (name) => {
      const value = (response.headers as Record<string, unknown>)[name.toLowerCase()];
      if (value === undefined || value === null) return null;
      return Array.isArray(value) ? value.join(', ') : String(value);
    },
  };
}

/** `fetch`'s shape over `providerHttp`, so the clients (and their tests) keep one small interface. */
export const axiosFetch: JsonApiFetch = async (url, init) => {
  const protocol = new URL(url).protocol;
  if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`Unsupported protocol ${protocol}`);
  let response: AxiosResponse<string>;
  try {
    response = await providerHttp.request<string>({ url, method: init.method, headers: init.headers, data: init.body, signal: init.signal });
  } catch (error) {
    // The caller's timeout or abort, as fetch reports it (fal words a TimeoutError as "no answer within").
    if (init.signal?.aborted) throw init.signal.reason;
    const message = (error as Error).message;
    if (/maxContentLength/.test(message)) throw new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
    throw error;
  }
  const text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
  return {
    status: response.status,
    ok: response.status >= 200 && response.status < 300,
    headers: headerReader(response),
    text: () => Promise.resolve(text),
  };
};
