import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source.js';

/** Held while migrating, so instances starting together do not migrate twice. */
const MIGRATION_LOCK = 72_600_002;

async function withDataSource<T>(url: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Applies every pending migration under a cluster-wide advisory lock; returns their names. */
export async function runMigrations(url: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    return await withDataSource(url, async (dataSource) => (await dataSource.runMigrations()).map((m) => m.name));
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}

/** Reverts the last `count` applied migrations (all of them with `Infinity`); returns how many were reverted. */
export async function revertMigrations(url: string, count = 1): Promise<number> {
  return withDataSource(url, async (dataSource) => {
    let reverted = 0;
    while (reverted < count) {
      const applied = await dataSource.query(`SELECT count(*)::int AS n FROM migrations`);
      if (applied[0].n === 0) break;
      await dataSource.undoLastMigration({ transaction: 'each' });
      reverted++;
    }
    return reverted;
  });
}

/** The SQL that would bring the database in line with the entities: empty when they match. */
export async function pendingSchemaChanges(url: string): Promise<{ up: string[]; down: string[] }> {
  return withDataSource(url, async (dataSource) => {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return {
      up: sql.upQueries.map((q) => q.query + (q.parameters?.length ? ` -- ${JSON.stringify(q.parameters)}` : '')),
      down: sql.downQueries.map((q) => q.query + (q.parameters?.length ? ` -- ${JSON.stringify(q.parameters)}` : '')),
    };
  });
}
