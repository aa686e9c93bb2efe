import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { toErrorBody } from '../common/error.filter.js';
import { DatabaseClient, isDatabaseUnavailable } from './availability.js';

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
const serverError = (code: string) => Object.assign(new pg.DatabaseError('server says no', 0, 'error'), { code });
const queryFailed = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it('counts a failed or timed-out connection and a query without answer', async () => {
    // A port nobody listens on: the client's own connection error, marked as the database's.
    const client = new DatabaseClient({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
    const refused = await client.connect().then(() => null, (error: Error) => error);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(refused)).toBe(true);

    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') }))).toBe(true);
    expect(isDatabaseUnavailable(queryFailed(new Error('Query read timeout')))).toBe(true);
    expect(isDatabaseUnavailable(queryFailed(new Error('Connection terminated unexpectedly')))).toBe(true);
    expect(isDatabaseUnavailable(queryFailed(networkError('ECONNRESET')))).toBe(true);
  });

  it('counts a server that is shutting down, starting up, out of connections or past statement_timeout', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '57014']) {
      expect(isDatabaseUnavailable(queryFailed(serverError(code)))).toBe(true);
      expect(isDatabaseUnavailable(serverError(code))).toBe(true);
    }
  });

  it('leaves other errors alone: bad SQL, constraint violations, and network errors of anything else', () => {
    expect(isDatabaseUnavailable(queryFailed(serverError('23505')))).toBe(false);
    expect(isDatabaseUnavailable(queryFailed(serverError('42P01')))).toBe(false);
    // ECONNREFUSED from a provider's or a storage server is not the database's.
    expect(isDatabaseUnavailable(networkError('ECONNREFUSED'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('text')).toBe(false);
  });

  it('is answered as 503 "database unavailable" with Retry-After, never 500', () => {
    expect(toErrorBody(new Error('timeout exceeded when trying to connect'))).toEqual({
      body: { statusCode: 503, error: 'Service Unavailable', message: 'The database is unavailable at the moment; try again shortly' },
      headers: { 'Retry-After': '5' },
    });
    expect(toErrorBody(networkError('ECONNREFUSED')).body.statusCode).toBe(500);
    expect(toErrorBody(queryFailed(serverError('23505'))).body.statusCode).toBe(409);
  });
});
