import http from 'node:http';
import https from 'node:https';

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
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

const agents = {
  http: new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16 }),
  https: new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 16 }),
};

/**
 * A JSON API call over Node's own HTTP client with kept-alive connections. Provider queues are
 * asked several times per task; the global fetch builds web streams and a Request/Response pair
 * for each call, which measured about three times the CPU of this.
 */
export const nodeFetch: JsonApiFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') return reject(new TypeError(`Unsupported protocol ${target.protocol}`));
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const fail = (error: Error) => reject(init.signal?.aborted ? init.signal.reason : error);
    const request = (secure ? https : http).request(
      target,
      {
        method: init.method,
        agent: secure ? agents.https : agents.http,
        headers: body ? { ...init.headers, 'Content-Length': String(body.length) } : init.headers,
        signal: init.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          resolve({
            status,
            ok: status >= 200 && status < 300,
            headers: {
              get: (name) => {
                const value = response.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
              },
            },
            text: () => Promise.resolve(text),
          });
        });
      },
    );
    request.on('error', fail);
    request.end(body);
  });
