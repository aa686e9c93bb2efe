/** HTTP semantics COS applies to object reads: byte ranges and conditional requests. Pure. */

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * A single `Range: bytes=…` against an object of `size` bytes. Like COS (and S3), one range is
 * served as 206; a list of ranges or an unparsable header is ignored and the whole object served.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'full' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? Infinity : Number(match[2]);
  if (last < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}

export interface ConditionalHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

const normalizeTag = (tag: string) => tag.trim().replace(/^W\//, '');

function matchesAny(header: string, etag: string): boolean {
  return header.split(',').some((tag) => tag.trim() === '*' || normalizeTag(tag) === etag);
}

/** Seconds precision, as Last-Modified carries no milliseconds. */
function seconds(dateHeader: string): number | null {
  const parsed = Date.parse(dateHeader);
  return Number.isNaN(parsed) ? null : Math.floor(parsed / 1000);
}

/**
 * RFC 9110 §13.2.2 evaluation order for GET/HEAD: 412 for a failed If-Match/If-Unmodified-Since,
 * 304 for a satisfied If-None-Match/If-Modified-Since (the SDK maps 304 to `NotModified`).
 */
export function evaluatePreconditions(headers: ConditionalHeaders, etag: string, lastModified: Date): 'proceed' | 304 | 412 {
  const modified = Math.floor(lastModified.getTime() / 1000);
  if (headers.ifMatch !== undefined) {
    if (!matchesAny(headers.ifMatch, etag)) return 412;
  } else if (headers.ifUnmodifiedSince !== undefined) {
    const since = seconds(headers.ifUnmodifiedSince);
    if (since !== null && modified > since) return 412;
  }
  if (headers.ifNoneMatch !== undefined) {
    if (matchesAny(headers.ifNoneMatch, etag)) return 304;
  } else if (headers.ifModifiedSince !== undefined) {
    const since = seconds(headers.ifModifiedSince);
    if (since !== null && modified <= since) return 304;
  }
  return 'proceed';
}
