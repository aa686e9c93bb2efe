// Starts one PostgreSQL for the test run (the embedded one, or the server of DATABASE_URL) and
// builds a migrated template database. Uses the compiled API, which `npm test` builds first.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const dist = new URL('../dist/apps/api/src/', import.meta.url);
const TEMPLATE = 'atelier_test_template';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  const { startEmbeddedPostgres } = await import(new URL('database/embedded-postgres.js', dist).href);
  const { runMigrations } = await import(new URL('database/migrate.js', dist).href);

  let adminUrl;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'atelier-test-pg-'));
    const server = await startEmbeddedPostgres({ dir, port: await freePort(), durable: false });
    globalThis.__atelierPostgres = server;
    adminUrl = server.adminUrl;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  await runMigrations(templateUrl.href);

  process.env.ATELIER_TEST_ADMIN_URL = adminUrl;
  process.env.ATELIER_TEST_TEMPLATE = TEMPLATE;
}
