import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { isPublicAddress } from './address-policy.js';
import { type ByteSource, sourceReadable } from './byte-source.js';
import { get, type Http1Body, type Http1Response } from './http1.js';

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
  constructor(
    private readonly allowList: () => readonly string[],
    private readonly resolver: AddressResolver = systemResolver,
  ) {}

  isAllowListed(url: URL): boolean {
    return this.allowList().some((prefix) => url.href.startsWith(prefix));
  }

  async fetch(input: string, limits: GuardedFetchLimits): Promise<GuardedResponse> {
    let url = this.parse(input);
    let current: Http1Body | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      current?.destroy(new FetchRefusedError('timeout', `No complete answer within ${limits.timeoutMs} ms`));
    }, limits.timeoutMs);
    timer.unref?.();
    try {
      for (let redirects = 0; ; redirects++) {
        const exchange = this.request(url, limits);
        current = exchange.body;
        const response = await exchange.response;
        if (timedOut) throw new FetchRefusedError('timeout', `No complete answer within ${limits.timeoutMs} ms`);
        const { status, headers } = response;
        const location = headers.location;
        if (status >= 300 && status < 400 && location) {
          response.body.destroy();
          if (redirects >= (limits.maxRedirects ?? 5)) throw new FetchRefusedError('redirects', `Too many redirects (more than ${limits.maxRedirects ?? 5})`);
          url = this.parse(new URL(location, url).href);
          continue;
        }
        if (status < 200 || status >= 300) {
          response.body.destroy();
          throw new FetchRefusedError('status', `The server answered HTTP ${status}`, status);
        }
        const contentType = headers['content-type'] ?? null;
        if (!typeMatches(contentType, limits.allowedTypes)) {
          response.body.destroy();
          throw new FetchRefusedError('type', `The content type ${contentType ?? '(none)'} is not allowed (allowed: ${limits.allowedTypes.join(', ')})`);
        }
        const declared = response.contentLength;
        if (declared !== null && declared > limits.maxBytes) {
          response.body.destroy();
          throw new FetchRefusedError('size', `The file is larger than ${limits.maxBytes} bytes`);
        }
        response.body.onSettled(() => clearTimeout(timer));
        const source = limitSource(response.body, limits.maxBytes);
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
      if (error instanceof FetchRefusedError) throw error;
      if (timedOut) throw new FetchRefusedError('timeout', `No complete answer within ${limits.timeoutMs} ms`);
      throw new FetchRefusedError('network', `The URL could not be fetched: ${(error as Error).message}`);
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

  private request(url: URL, limits: GuardedFetchLimits): { body: Http1Body | null; response: Promise<Http1Response> } {
    const allowListed = this.isAllowListed(url);
    // Checked when the connection is made, so DNS cannot answer differently between check and use.
    const lookup: LookupFunction = (hostname, options, callback) => {
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
    // Literal IP hosts skip the resolver in Node, so they are checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowListed && /^[\d.]+$|:/.test(literal) && !isPublicAddress(literal)) {
      return { body: null, response: Promise.reject(new FetchRefusedError('address', `${literal} is not a public address`)) };
    }
    return get(url, {
      lookup,
      headers: { 'User-Agent': 'Atelier/1 (+media ingest)', Accept: '*/*' },
      connectTimeoutMs: limits.connectTimeoutMs,
      connectTimeoutError: () => new FetchRefusedError('timeout', `Could not connect within ${limits.connectTimeoutMs} ms`),
    });
  }
}

/** The body, refused with FetchRefusedError('size') once past `maxBytes` (whatever Content-Length said). */
function limitSource(body: ByteSource, maxBytes: number): ByteSource {
  let received = 0;
  return {
    async read(target) {
      const length = await body.read(target);
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
