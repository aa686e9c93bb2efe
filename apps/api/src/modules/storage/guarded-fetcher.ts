import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { isPublicAddress } from './address-policy.js';

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
  /** The body, failing with FetchRefusedError('size') past maxBytes. */
  body: Readable;
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
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
    timer.unref?.();
    let url = this.parse(input);
    try {
      for (let redirects = 0; ; redirects++) {
        const response = await this.request(url, limits, controller.signal);
        const location = response.headers.location;
        if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
          response.resume();
          if (redirects >= (limits.maxRedirects ?? 5)) throw new FetchRefusedError('redirects', `Too many redirects (more than ${limits.maxRedirects ?? 5})`);
          url = this.parse(new URL(location, url).href);
          continue;
        }
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          response.resume();
          throw new FetchRefusedError('status', `The server answered HTTP ${status}`, status);
        }
        const contentType = response.headers['content-type'] ?? null;
        if (!typeMatches(contentType, limits.allowedTypes)) {
          response.resume();
          throw new FetchRefusedError('type', `The content type ${contentType ?? '(none)'} is not allowed (allowed: ${limits.allowedTypes.join(', ')})`);
        }
        const declared = response.headers['content-length'] ? Number(response.headers['content-length']) : null;
        if (declared !== null && declared > limits.maxBytes) {
          response.destroy();
          throw new FetchRefusedError('size', `The file is larger than ${limits.maxBytes} bytes`);
        }
        const body = limitBody(response, limits, controller.signal, () => clearTimeout(timer));
        return { url: url.href, status, contentType, contentLength: declared, body };
      }
    } catch (error) {
      clearTimeout(timer);
      if (error instanceof FetchRefusedError) throw error;
      if (controller.signal.aborted) throw new FetchRefusedError('timeout', `No complete answer within ${limits.timeoutMs} ms`);
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

  private request(url: URL, limits: GuardedFetchLimits, signal: AbortSignal): Promise<IncomingMessage> {
    const allowListed = this.isAllowListed(url);
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
      return Promise.reject(new FetchRefusedError('address', `${literal} is not a public address`));
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.get(url, { lookup, signal, headers: { 'User-Agent': 'Atelier/1 (+media ingest)', Accept: '*/*' } }, resolve);
      const connectTimer = setTimeout(() => request.destroy(new FetchRefusedError('timeout', `Could not connect within ${limits.connectTimeoutMs} ms`)), limits.connectTimeoutMs);
      request.once('socket', (socket) => {
        // A kept-alive socket is connected already; listening on it would pile up listeners.
        if (!socket.connecting) return clearTimeout(connectTimer);
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      request.once('error', (error) => {
        clearTimeout(connectTimer);
        reject(error);
      });
      request.once('response', () => clearTimeout(connectTimer));
    });
  }
}

function limitBody(response: IncomingMessage, limits: GuardedFetchLimits, signal: AbortSignal, done: () => void): Readable {
  const { maxBytes } = limits;
  let received = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) {
        response.destroy();
        callback(new FetchRefusedError('size', `The file is larger than ${maxBytes} bytes`));
        return;
      }
      callback(null, chunk);
    },
  });
  response.once('error', (error) =>
    limited.destroy(signal.aborted ? new FetchRefusedError('timeout', `No complete answer within ${limits.timeoutMs} ms`) : error),
  );
  response.pipe(limited);
  limited.once('close', done);
  return limited;
}
