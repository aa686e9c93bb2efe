import { ServiceUnavailableException } from '@nestjs/common';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { say } from '../common/language.js';
import { SequentialClient } from './sequential-client.js';

/** Set on errors raised while connecting to the database, which are otherwise plain network errors. */
const CONNECTING = Symbol('atelier.databaseConnecting');

/**
 * pg's client (queries sent one at a time: see SequentialClient), marking the errors it raises while connecting: ECONNREFUSED from the database
 * must answer 503, the same error from a provider's server must not.
 */
export class DatabaseClient extends SequentialClient {
  override connect(): Promise<pg.Client>;
  override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
  override connect(callback?: (...args: any[]) => void): Promise<pg.Client> | void {
    if (!callback) return super.connect().catch((error: Error) => Promise.reject(markConnecting(error)));
    super.connect((error: Error | null) => (error ? callback(markConnecting(error), this) : callback(null, this)));
  }
}

function markConnecting(error: Error): Error {
  if (isObject(error) && !(CONNECTING in error)) Object.defineProperty(error, CONNECTING, { value: true });
  return error;
}

/** Not `instanceof Error`: errors of Node's own modules come from another realm under jest's vm. */
function isObject(value: unknown): value is Record<PropertyKey, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * SQLSTATEs of a server that cannot serve us now: connection exceptions (08), insufficient
 * resources (53: too many connections, disk full), shutting down or starting up (57P01-57P03),
 * and statements canceled by statement_timeout (57014; the app cancels nothing else).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]$|57014$)/;
/** pg's and pg-pool's own words for a connection that failed, timed out or went away. */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable)/;
/** Network errors, counted only when they come from a database query or connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether `error` means that the database cannot be reached or does not answer (503), not a bug (500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const check = (candidate: unknown, fromDatabase: boolean): boolean => {
    if (!isObject(candidate) || seen.has(candidate)) return false;
    seen.add(candidate);
    if (candidate[CONNECTING]) return true;
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    // pg's DatabaseError, also when it comes from another copy of pg (jest loads modules once per test file).
    if (candidate instanceof pg.DatabaseError || (typeof candidate.severity === 'string' && /^[0-9A-Z]{5}$/.test(code))) {
      return UNAVAILABLE_SQLSTATE.test(code);
    }
    if (typeof candidate.message === 'string' && PG_CONNECTION_MESSAGE.test(candidate.message)) return true;
    if (fromDatabase && NETWORK_CODES.has(code)) return true;
    if (candidate instanceof QueryFailedError) return check(candidate.driverError, true);
    // Connecting to a host name with several addresses fails with one error per address.
    if (Array.isArray(candidate.errors) && candidate.errors.some((inner) => check(inner, fromDatabase))) return true;
    return check(candidate.cause, fromDatabase);
  };
  return check(error, false);
}

/** The one answer while the database is unreachable, in the request's language. */
export function databaseUnavailableMessage(): string {
  return say('The database is unavailable at the moment; try again shortly', '数据库暂时不可用，请稍后再试');
}

export class DatabaseUnavailableException extends ServiceUnavailableException {
  constructor() {
    super(databaseUnavailableMessage());
  }
}
