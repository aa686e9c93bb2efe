import type { NextFunction, Request, Response } from 'express';
import { errorBody } from './error.filter.js';

/** U+0000, which PostgreSQL cannot store in text or JSON, or half of a surrogate pair (not UTF-8). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The path (`prompt`, `imageUrls.1`, `imageSize.width`) of the first string in a parsed body that
 * could not be stored, or null. Keys count too: they end up in stored JSON.
 */
export function findUnstorableText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path || 'body' : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnstorableText(item, path ? `${path}.${index}` : String(index));
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (UNSTORABLE.test(key)) return field;
      const found = findUnstorableText(item, field);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Refuses a request whose JSON body or query string holds text the database cannot store, with a
 * 400 naming the field, before any of it is half-written (PostgreSQL would fail the statement).
 */
export function refuseUnstorableText(req: Request, res: Response, next: NextFunction): void {
  const query = req.url.indexOf('?');
  const field =
    findUnstorableText(req.body) ??
    (query >= 0 ? findUnstorableText(Object.fromEntries(new URLSearchParams(req.url.slice(query + 1)))) : null);
  if (!field) return next();
  const message = `${field} contains a character that cannot be stored (U+0000 or an unpaired surrogate)`;
  res.status(400).json(errorBody(400, message, [{ field, messages: [message] }]));
}
