import { fieldError } from './errors.js';

/** A position in a list ordered by (created_at DESC, id DESC). */
export interface CreatedCursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: row.createdAt.toISOString(), id: row.id })).toString('base64url');
}

/** Reads a cursor from a client, answering 400 naming `cursor` when it is not one of ours. */
export function decodeCursor(value: string): CreatedCursor {
  try {
    const cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as CreatedCursor;
    if (typeof cursor.createdAt !== 'string' || Number.isNaN(Date.parse(cursor.createdAt)) || !/^[0-9a-f-]{36}$/.test(cursor.id)) throw new Error();
    return cursor;
  } catch {
    throw fieldError('cursor', 'cursor is not valid: pass the nextCursor of a previous page');
  }
}
