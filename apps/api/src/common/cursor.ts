import { fieldError } from './errors.js';

/** A position in a list ordered by (created_at DESC, id DESC). */
export interface CreatedCursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: row.createdAt.toISOString(), id: row.id })).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads a cursor from a client, answering 400 naming `cursor` when it is not one of ours: only the
 * exact form `encodeCursor` writes, because PostgreSQL refuses many dates JavaScript accepts.
 */
export function decodeCursor(value: string): CreatedCursor {
  try {
    const cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as CreatedCursor;
    if (typeof cursor?.createdAt !== 'string' || typeof cursor.id !== 'string' || !UUID.test(cursor.id)) throw new Error();
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(cursor.createdAt) || new Date(cursor.createdAt).toISOString() !== cursor.createdAt) throw new Error();
    return { createdAt: cursor.createdAt, id: cursor.id };
  } catch {
    throw fieldError('cursor', 'cursor is not valid: pass the nextCursor of a previous page');
  }
}
