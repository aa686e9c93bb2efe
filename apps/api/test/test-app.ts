import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/app-config.js';
import { contractCheckedAgent } from './openapi-contract.js';

export const TEST_APP_SECRET = 'test-app-secret-that-is-long-enough-0123456789';

function adminUrl(): string {
  const url = process.env.ATELIER_TEST_ADMIN_URL;
  if (!url) throw new Error('ATELIER_TEST_ADMIN_URL is not set: run the tests with npm test');
  return url;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database of its own, copied from the migrated template (or empty). */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `atelier_test_${randomBytes(6).toString('hex')}`;
  const template = options.empty ? 'template0' : process.env.ATELIER_TEST_TEMPLATE;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one query on a test database (its own connection), answering the rows. */
export async function queryDatabase(database: TestDatabase, sql: string, params: unknown[] = []): Promise<any[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export interface TestApp {
  app: NestExpressApplication;
  database: TestDatabase;
  dataDir: string;
  /**
   * supertest on the app; every response of an API route is checked against the served OpenAPI
   * document (openapi-contract.ts), so a test fails on a status, content type or body the
   * document does not give. Media files, the sandbox and the web app are not checked.
   */
  http: ReturnType<typeof request>;
  /** The server's base URL when started with `listen: true`. */
  baseUrl?: string;
  close(): Promise<void>;
}

/** Boots the real application on a database of its own. `env` overrides settings. */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    database?: TestDatabase;
    listen?: boolean;
    /** The port to listen on (default: any free one). */
    port?: number;
    /** Runs before the app starts, e.g. to register a test provider. */
    beforeInit?: (app: NestExpressApplication) => void;
  } = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'atelier-test-data-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    APP_SECRET: TEST_APP_SECRET,
    // TEST_LOG_LEVEL=error shows the app's logs while debugging a test.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Sandbox jobs finish in tens of milliseconds in tests.
    SANDBOX_QUEUE_MS: '20',
    SANDBOX_RUN_MIN_MS: '20',
    SANDBOX_RUN_MAX_MS: '40',
    ...options.env,
  });
  const app = await createApp(config, database.url);
  options.beforeInit?.(app);
  let baseUrl: string | undefined;
  if (options.listen) {
    await app.listen(options.port ?? 0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
  } else {
    await app.init();
  }
  return {
    app,
    database,
    dataDir,
    baseUrl,
    http: contractCheckedAgent(request(app.getHttpServer()), async () => (await request(app.getHttpServer()).get('/api/docs/openapi.json').expect(200)).body),
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A port nobody listens on right now, for a server that must know its own address before it starts. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface SignedUpUser {
  token: string;
  id: string;
  email: string;
  password: string;
}

let counter = 0;

export async function signUp(http: TestApp['http'], overrides: Partial<{ name: string; email: string; password: string }> = {}) {
  counter++;
  const body = {
    name: overrides.name ?? `User ${counter}`,
    email: overrides.email ?? `user${counter}-${randomBytes(3).toString('hex')}@example.com`,
    password: overrides.password ?? 'password-123',
  };
  const response = await http.post('/api/v1/auths/signup').send(body).expect(201);
  return { token: response.body.token as string, id: response.body.user.id as string, email: body.email, password: body.password, user: response.body.user };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
