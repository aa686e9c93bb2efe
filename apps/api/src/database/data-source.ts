import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../../migrations/index.js';
import { DatabaseClient } from './availability.js';
import { entities } from './entities.js';

/** How long the app waits on the database before answering 503 (see README: DATABASE_*_TIMEOUT_MS). */
export interface DatabaseTimeouts {
  /** For a connection: a new one, or a free one of the pool. */
  connectMs: number;
  /** For one statement, enforced by the server (statement_timeout); 0: no limit. */
  queryMs: number;
}

/**
 * A server that does not answer at all (stopped, cut off) cannot enforce statement_timeout;
 * the client then gives up this much later.
 */
const QUERY_TIMEOUT_GRACE_MS = 2000;

/**
 * Options of a TypeORM data source. Without `timeouts` (migrations, the CLI) statements may take
 * as long as they need; the app's own pool passes them.
 */
export function dataSourceOptions(url: string, timeouts?: DatabaseTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension has to be installed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: 20,
      Client: DatabaseClient,
      ...(timeouts && {
        connectionTimeoutMillis: timeouts.connectMs,
        ...(timeouts.queryMs > 0 && { statement_timeout: timeouts.queryMs, query_timeout: timeouts.queryMs + QUERY_TIMEOUT_GRACE_MS }),
      }),
    },
  };
}
