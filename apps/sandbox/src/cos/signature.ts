import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The COS XML API request signature ("q-sign", HMAC-SHA1), see /work/shared/providers/cos.md §4.
 * Pure functions: no Express, no clock (callers pass `now`), so the official worked examples can
 * be reproduced exactly in unit tests.
 */

/**
 * `encodeURIComponent` plus `! ' ( ) *`: the encoder the SDK (`util.camSafeUrlEncode`) and the
 * server use for every name and value in HttpParameters/HttpHeaders. Space becomes `%20`, `/`
 * becomes `%2F`, `=` `%3D`, `"` `%22`, `:` `%3A`, `,` `%2C`.
 */
export function cosEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export type SignableValues = Record<string, string | number | undefined>;

export interface SignInput {
  method: string;
  /** The decoded object path with a leading `/` (`/a/b.png`, `/` for bucket operations). */
  pathname: string;
  /** Exactly the query parameters to sign (name → decoded value; `?uploads` is `uploads: ''`). */
  params?: SignableValues;
  /** Exactly the headers to sign (any case). */
  headers?: SignableValues;
  /** `"{start};{end}"` in unix seconds; the SignKey is derived from it. */
  keyTime: string;
  /** `q-sign-time`; equal to keyTime in everything the SDK produces. */
  signTime?: string;
  secretKey: string;
}

export interface SignatureParts {
  signKey: string;
  httpString: string;
  httpStringSha1: string;
  stringToSign: string;
  signature: string;
  /** `q-header-list`: encoded, lowercased names, sorted, `;`-joined. */
  headerList: string;
  /** `q-url-param-list`, built like headerList. */
  urlParamList: string;
}

const hmacSha1Hex = (key: string, data: string) => createHmac('sha1', key).update(data, 'utf8').digest('hex');
const sha1Hex = (data: string) => createHash('sha1').update(data, 'utf8').digest('hex');

/** `name=value` pairs with lowercased encoded names, sorted by name, for HttpParameters/HttpHeaders. */
function canonical(values: SignableValues): { list: string; pairs: string } {
  const entries = Object.entries(values)
    .map(([name, value]) => [cosEncode(name).toLowerCase(), cosEncode(value === undefined ? '' : String(value))] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { list: entries.map(([name]) => name).join(';'), pairs: entries.map(([name, value]) => `${name}=${value}`).join('&') };
}

export function computeSignature(input: SignInput): SignatureParts {
  const signTime = input.signTime ?? input.keyTime;
  const params = canonical(input.params ?? {});
  const headers = canonical(input.headers ?? {});
  const signKey = hmacSha1Hex(input.secretKey, input.keyTime);
  const httpString = [input.method.toLowerCase(), input.pathname, params.pairs, headers.pairs, ''].join('\n');
  const httpStringSha1 = sha1Hex(httpString);
  const stringToSign = ['sha1', signTime, httpStringSha1, ''].join('\n');
  // The HMAC key of the last step is the hex *string* SignKey, not its bytes (cos.md §4 step 6).
  const signature = hmacSha1Hex(signKey, stringToSign);
  return { signKey, httpString, httpStringSha1, stringToSign, signature, headerList: headers.list, urlParamList: params.list };
}

/** The Authorization string (header value, or the query string of a presigned URL). */
export function buildAuthorization(input: SignInput & { secretId: string }): string {
  const parts = computeSignature(input);
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${input.secretId}`,
    `q-sign-time=${input.signTime ?? input.keyTime}`,
    `q-key-time=${input.keyTime}`,
    `q-header-list=${parts.headerList}`,
    `q-url-param-list=${parts.urlParamList}`,
    `q-signature=${parts.signature}`,
  ].join('&');
}

export interface ParsedAuthorization {
  algorithm: string;
  ak: string;
  signTime: string;
  keyTime: string;
  headerList: string[];
  urlParamList: string[];
  signature: string;
}

const AUTH_FIELDS = ['q-sign-algorithm', 'q-ak', 'q-sign-time', 'q-key-time', 'q-header-list', 'q-url-param-list', 'q-signature'] as const;
type AuthField = (typeof AUTH_FIELDS)[number];

function fromFields(get: (name: AuthField) => string | undefined): ParsedAuthorization | null {
  const values = AUTH_FIELDS.map(get);
  if (values.some((v) => v === undefined)) return null;
  const [algorithm, ak, signTime, keyTime, headerList, urlParamList, signature] = values as string[];
  const list = (raw: string) => (raw === '' ? [] : raw.split(';').map((s) => s.trim().toLowerCase()));
  return { algorithm, ak, signTime, keyTime, headerList: list(headerList), urlParamList: list(urlParamList), signature };
}

/** Parses the `Authorization` header form: `q-sign-algorithm=sha1&q-ak=...&q-signature=...`. */
export function parseAuthorization(raw: string): ParsedAuthorization | null {
  const fields = new Map<string, string>();
  for (const part of raw.trim().split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return fromFields((name) => fields.get(name));
}

/** A request as the verifier needs it; `query` holds decoded names and values. */
export interface VerifiableRequest {
  method: string;
  /** Decoded key path with leading `/`, as the SDK signs it (not the URL path below the mount). */
  pathname: string;
  query: ReadonlyArray<readonly [string, string]>;
  headers: Record<string, string | string[] | undefined>;
}

export interface CosCredentials {
  secretId: string;
  secretKey: string;
}

export type VerifyFailureCode = 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch';
export type VerifyResult = { ok: true } | { ok: false; status: 403; code: VerifyFailureCode; message: string };

const deny = (code: VerifyFailureCode, message: string): VerifyResult => ({ ok: false, status: 403, code, message });

function parseWindow(value: string): [number, number] | null {
  const match = /^(\d+);(\d+)$/.exec(value.trim());
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return start <= end ? [start, end] : null;
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Where a request carries its signature: the `Authorization` header, or, for presigned URLs
 * (`getObjectUrl`), the same fields as query parameters. Returns null when neither is present.
 */
export function extractAuthorization(request: VerifiableRequest): { parsed: ParsedAuthorization | null } | null {
  const header = headerValue(request.headers['authorization']);
  if (header !== undefined && header.trim() !== '') return { parsed: parseAuthorization(header) };
  const query = new Map<string, string>();
  for (const [name, value] of request.query) if (!query.has(name.toLowerCase())) query.set(name.toLowerCase(), value);
  if (!AUTH_FIELDS.some((name) => query.has(name))) return null;
  return { parsed: fromFields((name) => query.get(name)) };
}

/**
 * Verifies a request the way COS does: known SecretId, a `q-sign-time` window containing `now`
 * (unix seconds), every signed header and parameter present, and a matching signature.
 * Only what `q-header-list`/`q-url-param-list` declare is signed, so the server takes the values
 * of exactly those names from the request (cos.md §4: content-type is signed only if listed).
 */
export function verifyRequest(request: VerifiableRequest, credentials: CosCredentials, now: number): VerifyResult {
  const auth = extractAuthorization(request);
  if (!auth) return deny('AccessDenied', 'Access Denied.');
  const parsed = auth.parsed;
  if (!parsed) return deny('AccessDenied', 'Authorization is malformed: q-sign-algorithm, q-ak, q-sign-time, q-key-time, q-header-list, q-url-param-list and q-signature are required.');
  if (parsed.algorithm.toLowerCase() !== 'sha1') return deny('AccessDenied', `Unsupported q-sign-algorithm "${parsed.algorithm}"; only sha1 is accepted.`);
  if (parsed.ak !== credentials.secretId) return deny('InvalidAccessKeyId', 'The specified access key id does not exist.');
  const signWindow = parseWindow(parsed.signTime);
  if (!signWindow || !parseWindow(parsed.keyTime)) return deny('AccessDenied', 'Authorization is malformed: q-sign-time and q-key-time must be "{start};{end}" in unix seconds.');
  // Real COS answers both a not-yet-valid and an elapsed window with this exact message, and the
  // SDK keys its clock-skew correction on it (base.js getRetryInfo).
  if (now < signWindow[0] || now > signWindow[1]) return deny('AccessDenied', 'Request has expired');

  const headers: Record<string, string> = {};
  for (const name of parsed.headerList) {
    const value = headerValue(request.headers[name]);
    if (value === undefined) return deny('SignatureDoesNotMatch', `The header "${name}" listed in q-header-list is missing from the request.`);
    headers[name] = value;
  }
  const query = new Map<string, string>();
  for (const [name, value] of request.query) {
    const canonicalName = cosEncode(name).toLowerCase();
    if (!query.has(canonicalName)) query.set(canonicalName, value);
  }
  const params: Record<string, string> = {};
  for (const name of parsed.urlParamList) {
    const value = query.get(name);
    const decodedName = safeDecode(name);
    if (value === undefined || decodedName === undefined) return deny('SignatureDoesNotMatch', `The parameter "${name}" listed in q-url-param-list is missing from the request.`);
    // The list holds encoded names; computeSignature encodes again, so hand it the decoded one.
    params[decodedName] = value;
  }

  const expected = computeSignature({
    method: request.method,
    pathname: request.pathname,
    params,
    headers,
    keyTime: parsed.keyTime,
    signTime: parsed.signTime,
    secretKey: credentials.secretKey,
  }).signature;
  const given = Buffer.from(parsed.signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    return deny('SignatureDoesNotMatch', 'The Signature you specified is invalid.');
  }
  return { ok: true };
}
