import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * The gateway's check of Volcengine's "HMAC-SHA256" V4 signature (jimeng-volcengine.md §2), its
 * own implementation (the sandbox does not borrow the client's signer, so the contract test checks
 * one against the other). Refusals in the gateway's words, from the public common error codes:
 * MissingAuthenticationToken 100003 (401), MissingSignature 100005 (401), InvalidTimestamp
 * 100006 (401), InvalidAccessKey 100009 (401), SignatureDoesNotMatch 100010 (401).
 */

export interface GatewayRefusal {
  status: number;
  code: string;
  codeN: number;
  message: string;
}

const REGION = 'cn-north-1';
const SERVICE = 'cv';
/** How far X-Date may be from the gateway's clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const escape = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const mismatch: GatewayRefusal = {
  status: 401,
  code: 'SignatureDoesNotMatch',
  codeN: 100010,
  message: 'The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method. Consult the service documentation for details.',
};

/** The refusal for `req` (whose raw body is `body`), or null when it is signed with the account's keys. */
export function checkSignature(req: Request, body: Buffer, keys: { accessKeyId: string; secretAccessKey: string }, now = Date.now()): GatewayRefusal | null {
  const header = req.get('authorization');
  if (!header) return { status: 401, code: 'MissingAuthenticationToken', codeN: 100003, message: 'Request is missing Authentication Token.' };
  const match = /^HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return { status: 401, code: 'MissingSignature', codeN: 100005, message: 'The request is missing signature.' };
  const [, accessKeyId, shortDate, region, service, signedList, signature] = match;
  if (accessKeyId !== keys.accessKeyId) return { status: 401, code: 'InvalidAccessKey', codeN: 100009, message: `The accesskey [${accessKeyId}] included in the request is invalid.` };
  const xDate = req.get('x-date') ?? '';
  const parsed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(xDate);
  const at = parsed ? Date.UTC(+parsed[1], +parsed[2] - 1, +parsed[3], +parsed[4], +parsed[5], +parsed[6]) : Number.NaN;
  if (!Number.isFinite(at) || Math.abs(now - at) > MAX_SKEW_MS) return { status: 401, code: 'InvalidTimestamp', codeN: 100006, message: 'The signature of the request is expired.' };
  // The gateway signs with its own region and service: a scope naming others cannot match.
  if (region !== REGION || service !== SERVICE || shortDate !== xDate.slice(0, 8)) return mismatch;
  const signed = signedList.split(';');
  if (!signed.includes('host') || !signed.includes('x-date') || [...signed].sort().join(';') !== signedList) return mismatch;
  const contentSha = req.get('x-content-sha256');
  const bodyHash = sha256(body);
  if (contentSha !== undefined && contentSha !== bodyHash) return mismatch;
  const canonicalHeaders = signed.map((name) => `${name}:${(req.get(name) ?? '').replace(/\s+/g, ' ').trim()}\n`).join('');
  const url = new URL(req.originalUrl, 'http://gateway');
  const query = [...url.searchParams.entries()]
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${escape(key)}=${escape(value)}`)
    .join('&');
  // The real API lives at `/`; behind the sandbox's mount point the path is the one requested.
  const canonical = ['POST', url.pathname, query, canonicalHeaders, signedList, contentSha ?? bodyHash].join('\n');
  const scope = `${shortDate}/${REGION}/${SERVICE}/request`;
  const stringToSign = ['HMAC-SHA256', xDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(keys.secretAccessKey, shortDate), REGION), SERVICE), 'request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? null : mismatch;
}
