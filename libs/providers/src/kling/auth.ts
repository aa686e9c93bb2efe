/**
 * Kling's API token (../shared/providers/kling.md §2): a JWT signed HS256 with the secret key,
 * `iss` = the access key, `exp`/`nbf` in seconds (30 minutes, 5 s of clock skew allowed as in the
 * official sample). Made with jsonwebtoken rather than by hand.
 */
import jwt from 'jsonwebtoken';

/** Kling's hosts. Keys from one console do not work on the other region's host (gotcha §10.1). */
export const KLING_BASE_URLS = {
  /** China mainland console. */
  beijing: 'https://api-beijing.klingai.com',
  /** Global console (replaced the old https://api.klingai.com). */
  singapore: 'https://api-singapore.klingai.com',
} as const;

export type KlingRegion = keyof typeof KLING_BASE_URLS;

/** The base URL for a region, or the custom URL (a relay, the sandbox) when one is given. */
export function klingBaseUrl(region: KlingRegion | 'custom', customUrl?: string): string {
  if (region === 'custom') {
    if (!customUrl || !/^https?:\/\//.test(customUrl)) throw new Error('a custom Kling region needs an http(s) base URL');
    return customUrl.replace(/\/+$/, '');
  }
  return KLING_BASE_URLS[region];
}

export interface KlingTokenOptions {
  accessKey: string;
  secretKey: string;
  /** Token lifetime; the official sample uses 1800 s. */
  lifetimeSeconds?: number;
  /** A cached token is replaced this long before it expires, so one in flight never arrives expired. */
  refreshBeforeSeconds?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Signs one token valid from `nowSeconds - 5` to `nowSeconds + lifetimeSeconds`. */
export function signKlingToken(accessKey: string, secretKey: string, nowSeconds: number, lifetimeSeconds = 1800): string {
  return jwt.sign({ iss: accessKey, exp: nowSeconds + lifetimeSeconds, nbf: nowSeconds - 5 }, secretKey, {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: 'JWT' },
    // iat is not in Kling's sample; leave the payload exactly as documented.
    noTimestamp: true,
  });
}

/** Hands out a token, reusing it until `refreshBeforeSeconds` before it expires. */
export class KlingTokenSource {
  private cached: { token: string; exp: number } | null = null;
  private readonly lifetime: number;
  private readonly refreshBefore: number;
  private readonly now: () => number;

  constructor(private readonly options: KlingTokenOptions) {
    this.lifetime = options.lifetimeSeconds ?? 1800;
    this.refreshBefore = Math.min(options.refreshBeforeSeconds ?? 300, this.lifetime - 1);
    this.now = options.now ?? Date.now;
  }

  token(): string {
    const nowSeconds = Math.floor(this.now() / 1000);
    if (this.cached && nowSeconds < this.cached.exp - this.refreshBefore) return this.cached.token;
    const token = signKlingToken(this.options.accessKey, this.options.secretKey, nowSeconds, this.lifetime);
    this.cached = { token, exp: nowSeconds + this.lifetime };
    return token;
  }

  /** Drops the cached token (after a 1004 "expired", e.g. when the clocks disagree). */
  invalidate(): void {
    this.cached = null;
  }
}
