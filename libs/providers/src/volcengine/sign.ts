/**
 * Volcengine's "HMAC-SHA256" V4 request signature (../shared/providers/jimeng-volcengine.md §2),
 * as the gateway recomputes it: canonical request → string to sign → a key derived from the
 * secret by date, region and service (no "AWS4"-style prefix), hex HMAC. Written against node's
 * crypto rather than the official SDK, whose signer pulls in crypto-js, axios 0.21 and protobufjs;
 * the tests hold it to the documented vectors and to the SDK's own signer.
 */
import { createHash, createHmac } from 'node:crypto';

export const VOLC_ALGORITHM = 'HMAC-SHA256';
/** The visual API's signing region and service (gotcha §7.1: not `cn-beijing`). */
export const VOLC_VISUAL_REGION = 'cn-north-1';
export const VOLC_VISUAL_SERVICE = 'cv';

export interface VolcCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** STS credentials only: sent and signed as `X-Security-Token`. */
  sessionToken?: string;
}

export interface VolcSignableRequest {
  method: string;
  /** Defaults to `/`. */
  path?: string;
  query?: Record<string, string | number | undefined>;
  /** Header names in any case; values are trimmed and inner whitespace collapsed when signed. */
  headers: Record<string, string>;
  /** The exact bytes sent (gotcha §7.2): serialize once, sign and send the same string. */
  body: string | Buffer;
}

export interface VolcSignOptions {
  region?: string;
  service?: string;
  /** Lowercase header names left out of SignedHeaders (the SDK leaves out `content-type`). */
  unsigned?: readonly string[];
}

/** Never signed: the Authorization header itself and what proxies may rewrite. */
const NEVER_SIGNED = ['authorization', 'content-length', 'user-agent', 'expect', 'presigned-expires'];

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986: unreserved `A-Za-z0-9-_.~` kept, everything else percent-encoded (space → %20). */
export function volcEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Sorted by key, `key=value` joined by `&`, both escaped; undefined values are left out. */
export function volcCanonicalQuery(query: Record<string, string | number | undefined> = {}): string {
  return Object.keys(query)
    .filter((key) => query[key] !== undefined)
    .sort()
    .map((key) => `${volcEscape(key)}=${volcEscape(String(query[key]))}`)
    .join('&');
}

/** `YYYYMMDD'T'HHMMSS'Z'` in UTC. */
export function volcDate(date: Date): string {
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '');
}

/** The signing key: HMAC chain over date, region, service and "request", the secret as given. */
export function volcSigningKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(secretAccessKey, shortDate), region), service), 'request');
}

export interface VolcSignature {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  credentialScope: string;
  signature: string;
  authorization: string;
}

/**
 * Signs a request whose headers already carry `X-Date` (and `Host`, `X-Content-Sha256` when
 * sent). The verifying side calls this too, with the SignedHeaders the request names.
 */
export function volcSignature(request: VolcSignableRequest, credentials: VolcCredentials, options: VolcSignOptions & { signedHeaders?: readonly string[] } = {}): VolcSignature {
  const region = options.region ?? VOLC_VISUAL_REGION;
  const service = options.service ?? VOLC_VISUAL_SERVICE;
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) headers.set(name.toLowerCase(), String(value).replace(/\s+/g, ' ').trim());
  const xDate = headers.get('x-date');
  if (!xDate || !/^\d{8}T\d{6}Z$/.test(xDate)) throw new Error('the request needs an X-Date header (YYYYMMDDTHHMMSSZ)');
  const skip = new Set([...NEVER_SIGNED, ...(options.unsigned ?? [])]);
  const names = (options.signedHeaders ?? [...headers.keys()].filter((name) => !skip.has(name))).map((name) => name.toLowerCase()).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
  const bodyHash = headers.get('x-content-sha256') ?? sha256Hex(request.body);
  const canonicalRequest = [request.method.toUpperCase(), request.path ?? '/', volcCanonicalQuery(request.query), canonicalHeaders, signedHeaders, bodyHash].join('\n');
  const shortDate = xDate.slice(0, 8);
  const credentialScope = `${shortDate}/${region}/${service}/request`;
  const stringToSign = [VOLC_ALGORITHM, xDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', volcSigningKey(credentials.secretAccessKey, shortDate, region, service)).update(stringToSign, 'utf8').digest('hex');
  return {
    canonicalRequest,
    stringToSign,
    signedHeaders,
    credentialScope,
    signature,
    authorization: `${VOLC_ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/**
 * The headers to send: the given ones plus `X-Date`, `X-Content-Sha256` (of the exact body),
 * `X-Security-Token` for STS keys, and `Authorization`. `Host` must be among the given headers
 * (the client sets it from the URL) so that it is signed.
 */
export function signVolcRequest(request: VolcSignableRequest, credentials: VolcCredentials, date: Date = new Date(), options: VolcSignOptions = {}): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, 'X-Date': volcDate(date), 'X-Content-Sha256': sha256Hex(request.body) };
  if (credentials.sessionToken) headers['X-Security-Token'] = credentials.sessionToken;
  const { authorization } = volcSignature({ ...request, headers }, credentials, options);
  return { ...headers, Authorization: authorization };
}

export interface ParsedVolcAuthorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Reads `HMAC-SHA256 Credential=AK/date/region/service/request, SignedHeaders=a;b, Signature=hex`, or null. */
export function parseVolcAuthorization(header: string | undefined): ParsedVolcAuthorization | null {
  const match = /^HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(header?.trim() ?? '');
  if (!match) return null;
  return { accessKeyId: match[1], shortDate: match[2], region: match[3], service: match[4], signedHeaders: match[5].split(';'), signature: match[6] };
}
