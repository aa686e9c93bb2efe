import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../../../migrations/index.js';
import { entities } from './entities.js';
import { SequentialClient } from './sequential-client.js';

export function dataSourceOptions(url: string): DataSourceOptions {
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
    extra: { max: 20, Client: SequentialClient },
  };
}
