import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { finished, type Readable } from 'node:stream';
import { Agent, type Dispatcher, errors as undiciErrors, request } from 'undici';
import { isPublicAddress } from './address-policy.js';
import { type ByteSource, readableSource, sourceReadable } from './byte-source.js';

export type FetchRefusal = 'url' | 'address' | 'redirects' | 'status' | 'type' | 'size' | 'timeout' | 'network';

/** A fetch we refused or that failed, with a reason in plain words. */
export class FetchRefusedError extends Error {
  constructor(
    readonly reason: FetchRefusal,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface GuardedFetchLimits {
  /** The most bytes we read; enforced while streaming, whatever Content-Length claims. */
  maxBytes: number;
  /** Accepted media types, e.g. `image/*`, `video/mp4`; empty accepts any. */
  allowedTypes: readonly string[];
  /** Limit for the whole exchange, redirects and body included. */
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRedirects?: number;
}

export interface GuardedResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  contentType: string | null;
  contentLength: number | null;
  /**
   * The body, read into the reader's own buffers (nothing allocated per chunk: the way to take a
   * large file), failing with FetchRefusedError('size') past maxBytes. Read this or `body`, not both.
   */
  source: ByteSource;
  /** The body as a stream (made from `source` when first asked for). */
  readonly body: Readable;
}

export type AddressResolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: AddressResolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

function typeMatches(contentType: string | null, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const type = contentType?.split(';')[0].trim().toLowerCase();
  if (!type) return false;
  return allowed.some((pattern) => (pattern.endsWith('/*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern.toLowerCase()));
}

/**
 * The one way the app fetches a URL that a user or a provider gave it. Only http(s); the
 * resolved address must be public, checked at connection time (so DNS cannot change its answer
 * between check and use) and again on every redirect. The only exceptions are URL prefixes on an
 * explicit allow-list, such as the built-in sandbox while sandbox mode is on.
 */
export class GuardedFetcher {
  private readonly agents = new Map<string, Agent>();

  constructor(
    private readonly allowList: () => readonly string[],
    private readonly resolver: AddressResolver = systemResolver,
  ) {}

  isAllowListed(url: URL): boolean {
    return this.allowList().some((prefix) => url.href.startsWith(prefix));
  }

  async fetch(input: string, limits: GuardedFetchLimits): Promise<GuardedResponse> {
    let url = this.parse(input);
    const maxRedirects = limits.maxRedirects ?? 5;
    const timeout = new FetchRefusedError('timeout', `No complete answer within ${limits.timeoutMs} ms`);
    // One limit for the whole exchange, redirects and body included: aborting fails the request
    // (or the body being read) with `timeout`.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(timeout), limits.timeoutMs);
    timer.unref?.();
    try {
      for (let redirects = 0; ; redirects++) {
        const response = await this.request(url, limits, abort.signal);
        const { statusCode: status, headers } = response;
        const location = header(headers, 'location');
        if (status >= 300 && status < 400 && location) {
          discard(response.body);
          if (redirects >= maxRedirects) throw new FetchRefusedError('redirects', `Too many redirects (more than ${maxRedirects})`);
          // Followed here, not by undici, so that each target is parsed and checked like the first.
          url = this.parse(new URL(location, url).href);
          continue;
        }
        if (status < 200 || status >= 300) {
          discard(response.body);
          throw new FetchRefusedError('status', `The server answered HTTP ${status}`, status);
        }
        const contentType = header(headers, 'content-type');
        if (!typeMatches(contentType, limits.allowedTypes)) {
          discard(response.body);
          throw new FetchRefusedError('type', `The content type ${contentType ?? '(none)'} is not allowed (allowed: ${limits.allowedTypes.join(', ')})`);
        }
        const lengthHeader = header(headers, 'content-length');
        const declared = lengthHeader !== null && /^\d{1,15}$/.test(lengthHeader) ? Number(lengthHeader) : null;
        if (declared !== null && declared > limits.maxBytes) {
          discard(response.body);
          throw new FetchRefusedError('size', `The file is larger than ${limits.maxBytes} bytes`);
        }
        finished(response.body, () => clearTimeout(timer));
        const source = limitSource(readableSource(response.body), limits.maxBytes, abort.signal);
        let body: Readable | null = null;
        return {
          url: url.href,
          status,
          contentType,
          contentLength: declared,
          source,
          get body() {
            return (body ??= sourceReadable(source));
          },
        };
      }
    } catch (error) {
      clearTimeout(timer);
      throw refusalFor(error, abort.signal, limits);
    }
  }

  private parse(input: string): URL {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new FetchRefusedError('url', 'The URL is not valid');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchRefusedError('url', `Only http and https URLs can be fetched (got ${url.protocol})`);
    if (url.username || url.password) throw new FetchRefusedError('url', 'URLs with credentials are not fetched');
    return url;
  }

  private async request(url: URL, limits: GuardedFetchLimits, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const allowListed = this.isAllowListed(url);
    // Literal IP hosts skip the lookup hook (there is nothing to resolve), so they are checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowListed && /^[\d.]+$|:/.test(literal) && !isPublicAddress(literal)) {
      throw new FetchRefusedError('address', `${literal} is not a public address`);
    }
    return request(url, {
      method: 'GET',
      // Allow-listed URLs get connections of their own: a connection opened for the sandbox's
      // prefix must never be reused for another path on the same (loopback) origin.
      dispatcher: this.agent(allowListed, limits.connectTimeoutMs),
      headers: { 'user-agent': 'Atelier/1 (+media ingest)', accept: '*/*' },
      signal,
    });
  }

  /**
   * The connection pools, one per kind (public-only or allow-listed) and connect timeout. The
   * public one checks addresses in `connect`'s lookup, i.e. the address actually connected to,
   * so DNS cannot answer differently between check and use; its kept-alive connections all
   * passed that check.
   */
  private agent(allowListed: boolean, connectTimeoutMs: number): Agent {
    const key = `${allowListed}:${connectTimeoutMs}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ connect: { timeout: connectTimeoutMs, lookup: this.lookup(allowListed) }, keepAliveTimeout: 4_000 });
      this.agents.set(key, agent);
    }
    return agent;
  }

  private lookup(allowListed: boolean): LookupFunction {
    return (hostname, options, callback) => {
      this.resolver(hostname)
        .then((addresses) => {
          const refused = addresses.find((a) => !isPublicAddress(a.address));
          if (!allowListed && (addresses.length === 0 || refused)) {
            throw new FetchRefusedError('address', `${hostname} resolves to ${refused?.address ?? 'nothing'}, which is not a public address`);
          }
          const chosen = addresses[0];
          if ((options as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, [chosen]);
          else callback(null, chosen.address, chosen.family);
        })
        .catch((error: Error) => callback(error as NodeJS.ErrnoException, '', 0));
    };
  }

  /** Closes the kept-alive connections (at shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
    this.agents.clear();
  }
}

/** Drops a body we will not read (and its connection); undici reports that as an error event. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What went wrong, as a FetchRefusedError: ours as they are, undici's and the system's in plain words. */
function refusalFor(error: unknown, signal: AbortSignal, limits: GuardedFetchLimits): FetchRefusedError {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof FetchRefusedError) return cause;
  }
  if (signal.aborted) return signal.reason as FetchRefusedError;
  if (error instanceof undiciErrors.ConnectTimeoutError) return new FetchRefusedError('timeout', `Could not connect within ${limits.connectTimeoutMs} ms`);
  return new FetchRefusedError('network', `The URL could not be fetched: ${(error as Error).message}`);
}

/**
 * The body, refused with FetchRefusedError('size') once past `maxBytes` (whatever Content-Length
 * said); a failure after the time limit is reported as the timeout.
 */
function limitSource(body: ByteSource, maxBytes: number, signal: AbortSignal): ByteSource {
  let received = 0;
  return {
    async read(target) {
      let length: number;
      try {
        length = await body.read(target);
      } catch (error) {
        throw error instanceof FetchRefusedError ? error : signal.aborted ? (signal.reason as FetchRefusedError) : new FetchRefusedError('network', `The download failed: ${(error as Error).message}`);
      }
      received += length;
      if (received > maxBytes) {
        const error = new FetchRefusedError('size', `The file is larger than ${maxBytes} bytes`);
        body.destroy(error);
        throw error;
      }
      return length;
    },
    destroy: (error) => body.destroy(error),
  };
}
