// What every benchmark needs: the built API's modules, and an embedded PostgreSQL with migrated
// databases in a temporary folder that is removed afterwards.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../apps/api/dist/apps/api/src/', import.meta.url);

/** A module of the built API, e.g. `load('app.js')`. */
export const load = (path) => import(new URL(path, dist).href);

const { startEmbeddedPostgres, ensureDatabase } = await load('database/embedded-postgres.js');
const { runMigrations } = await load('database/migrate.js');
export const { loadConfig } = await load('config/app-config.js');
export const { createApp } = await load('app.js');

export const BENCH_APP_SECRET = 'benchmark-secret-0123456789-0123456789';

/** A temporary folder with an embedded PostgreSQL in it; `database(name)` makes a migrated database. */
export async function startBenchPostgres(label) {
  const work = mkdtempSync(join(tmpdir(), `atelier-bench-${label}-`));
  // As root, the embedded PostgreSQL runs as its own user and must reach its folder below this one.
  chmodSync(work, 0o755);
  const postgres = await startEmbeddedPostgres({ dir: join(work, 'pg'), port: 54000 + Math.floor(Math.random() * 1000), durable: false });
  return {
    work,
    async database(name) {
      await ensureDatabase(postgres.adminUrl, name);
      const url = postgres.urlFor(name);
      await runMigrations(url);
      return url;
    },
    async stop() {
      await postgres.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
