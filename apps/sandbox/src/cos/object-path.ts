import { cosErrors } from './errors.js';

export interface CosTarget {
  bucket: string;
  /** Decoded object key; '' for bucket operations (`/{Bucket}` or `/{Bucket}/`). */
  key: string;
  /** Decoded query parameters in request order (`?uploads` is `['uploads', '']`). */
  query: Array<[string, string]>;
}

function decode(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw cosErrors.invalidUri(`the ${what} is not valid percent-encoding`);
  }
}

/**
 * Splits a URL below the COS mount (`/{Bucket}/{Key...}?query`) the way the SDK builds it with a
 * path-style Domain (`'<host>/sandbox/cos/{Bucket}'`, cos.md §6): the bucket is the first segment,
 * the key everything after its slash, percent-decoded (the SDK encodes keys with camSafeUrlEncode
 * and keeps `/`). Keys with `.` or `..` segments are refused: HTTP clients that normalize URLs
 * would address a different object, and such a key must never look like a way out of the bucket.
 */
export function parseCosTarget(url: string): CosTarget {
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? '' : url.slice(queryStart + 1);
  if (!path.startsWith('/')) throw cosErrors.invalidUri('the path must start with "/"');
  const slash = path.indexOf('/', 1);
  const bucket = decode(slash < 0 ? path.slice(1) : path.slice(1, slash), 'bucket');
  const key = slash < 0 ? '' : decode(path.slice(slash + 1), 'object key');
  if (key !== '' && key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw cosErrors.invalidUri('object keys must not contain "." or ".." path segments');
  }
  if (key.includes('\0')) throw cosErrors.invalidUri('object keys must not contain NUL characters');
  const query: Array<[string, string]> = [];
  for (const [name, value] of new URLSearchParams(rawQuery)) query.push([name, value]);
  return { bucket, key, query };
}
