import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { toErrorBody } from '../src/common/error.filter.js';
import { dataSourceOptions } from '../src/database/data-source.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { freePort, startTestApp, TEST_APP_SECRET } from './test-app.js';

/** The built server, as `npm start` runs it (`npm test` builds first). */
const MAIN = fileURLToPath(new URL('../dist/apps/api/src/main.js', import.meta.url));
/** Starts one folder's embedded PostgreSQL through the built module in a process of its own. */
const HOLDER = fileURLToPath(new URL('./fixtures/embedded-postgres-holder.mjs', import.meta.url));
const UNAVAILABLE = 'The database is unavailable at the moment; try again shortly';

async function holdPostgres(dir: string, port: number, env: Record<string, string> = {}) {
  const child = fork(HOLDER, [dir, String(port)], { env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = await new Promise<{ pid?: number; error?: string }>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return { child, ...reply };
}

/** A living process: zombies only wait to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // It ended meanwhile.
    }
  }
  return children;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Real servers (`main.js`, as `npm start` runs it) on an embedded PostgreSQL of their own: the
 * server is killed with SIGKILL and started again, its PostgreSQL is frozen (SIGSTOP) and
 * killed under it. Linux only (/proc), like the servers Atelier runs on.
 */
describe('the embedded database heals itself', () => {
  let work: string;
  let dataDir: string;
  let port: number;
  let postgresPort: number;
  let app: { child: ChildProcess; output: () => string; url: string } | undefined;
  let token: string;

  const postmasterPid = () => Number(readFileSync(join(dataDir, 'postgres/cluster/postmaster.pid'), 'utf8').split('\n')[0]);
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${app!.url}${path}`, { headers, signal: AbortSignal.timeout(20_000) });

  const startApp = async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(postgresPort),
        APP_SECRET: TEST_APP_SECRET,
        LOG_LEVEL: 'silent',
        SANDBOX: 'false',
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
        DATABASE_QUERY_TIMEOUT_MS: '3000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(
      'the server to listen',
      () => {
        if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
        return output.includes('Atelier is listening') ? true : undefined;
      },
      60_000,
    );
    return { child, output: () => output, url: `http://127.0.0.1:${port}` };
  };

  /** The server, started (with one account, `token`) unless it runs already; each test can run alone. */
  const ensureApp = async () => {
    if (app) return;
    app = await startApp();
    if (token) return;
    const signup = await fetch(`${app.url}/api/v1/auths/signup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', email: 'ada@example.com', password: 'password-123' }),
    });
    expect(signup.status).toBe(201);
    token = ((await signup.json()) as { token: string }).token;
  };

  const stopApp = async () => {
    const child = app?.child;
    app = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'atelier-resilience-'));
    dataDir = join(work, 'data');
    mkdirSync(dataDir);
    // An ordinary DATA_DIR (mkdtemp's folders are private, which is another test's subject).
    chmodSync(work, 0o755);
    [port, postgresPort] = [await freePort(), await freePort()];
  });

  afterAll(async () => {
    await stopApp();
    // Whatever a failed test left behind: a frozen or left-over server on this folder.
    const pid = existsSync(join(dataDir, 'postgres/cluster/postmaster.pid')) ? postmasterPid() : undefined;
    if (pid && alive(pid)) {
      for (const each of [pid, ...childrenOf(pid)]) process.kill(each, 'SIGCONT');
      process.kill(pid, 'SIGINT');
      await waitFor('the left-over PostgreSQL to stop', () => (alive(pid) ? undefined : true), 30_000);
    }
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('starts after the server was killed with SIGKILL, stopping the PostgreSQL it left running', async () => {
    // The process that started the embedded PostgreSQL, as the server does, dies as the OOM killer kills.
    const holder = await holdPostgres(join(dataDir, 'postgres'), postgresPort);
    expect(holder.error).toBeUndefined();
    const first = postmasterPid();
    const died = new Promise((resolve) => holder.child.once('exit', resolve));
    holder.child.kill('SIGKILL');
    await died;
    // What the audit saw: the PostgreSQL outlives its server and holds the folder and the port.
    expect(alive(first)).toBe(true);

    await ensureApp();
    expect(app!.output()).toContain(`Stopping the embedded PostgreSQL (process ${first}) left running by an Atelier that ended without stopping it`);
    expect(alive(first)).toBe(false);
    expect(postmasterPid()).not.toBe(first);
    expect((await get('/api/health')).status).toBe(200);
  }, 120_000);

  it('refuses to start a second PostgreSQL on the folder of a running server, saying so', async () => {
    await ensureApp();
    const running = postmasterPid();
    await expect(startEmbeddedPostgres({ dir: join(dataDir, 'postgres'), port: await freePort() })).rejects.toThrow(
      `is in use by another running Atelier (process ${app!.child.pid})`,
    );
    expect(alive(running)).toBe(true);
    expect((await get('/api/health')).status).toBe(200);
  }, 30_000);

  it('answers 503 from health within 2 s, and from other routes after a bounded wait, while PostgreSQL does not answer', async () => {
    await ensureApp();
    const me = () => get('/api/v1/users/me', { Authorization: `Bearer ${token}` });
    expect((await me()).status).toBe(200);
    const frozen = [postmasterPid(), ...childrenOf(postmasterPid())];
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    try {
      let started = Date.now();
      const health = await get('/api/health');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE });

      const chinese = await get('/api/health', { 'Accept-Language': 'zh-CN' });
      expect(((await chinese.json()) as { message: string }).message).toBe('数据库暂时不可用，请稍后再试');

      // A pooled connection waits for the query timeout (3 s + 2 s), a new one for the connect timeout (1.5 s).
      started = Date.now();
      const route = await me();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(route.status).toBe(503);
      expect(route.headers.get('retry-after')).toBe('5');
      expect(await route.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE });
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
    await waitFor('health to recover', async () => ((await get('/api/health')).status === 200 ? true : undefined), 20_000);
    await waitFor('the route to recover', async () => ((await me()).status === 200 ? true : undefined), 20_000);
  }, 60_000);

  it('answers 503 while PostgreSQL is down and starts it again when it dies under the running server', async () => {
    await ensureApp();
    const me = () => get('/api/v1/users/me', { Authorization: `Bearer ${token}` });
    const dead = postmasterPid();
    const processes = [dead, ...childrenOf(dead)];
    process.kill(dead, 'SIGKILL');
    // Its backends notice and end at once; until then a pooled connection could still answer.
    await waitFor('its backends to end', () => (processes.some(alive) ? undefined : true), 5000);
    const during = await me();
    expect(during.status).toBe(503);
    expect(((await during.json()) as { message: string }).message).toBe(UNAVAILABLE);

    await waitFor('health to recover', async () => ((await get('/api/health')).status === 200 ? true : undefined), 40_000);
    expect(postmasterPid()).not.toBe(dead);
    expect(app!.output()).toMatch(/The embedded PostgreSQL stopped \(SIGKILL\)/);
    expect(app!.output()).toMatch(/The embedded PostgreSQL is running again/);
    // The same account, so the same data: the restarted server is the same cluster.
    const after = await waitFor('the route to recover', async () => {
      const response = await me();
      return response.status === 200 ? response : undefined;
    }, 20_000);
    expect(((await after.json()) as { email: string }).email).toBe('ada@example.com');

    // And it stops with the server rather than being started once more.
    const running = postmasterPid();
    await stopApp();
    expect(alive(running)).toBe(false);
  }, 90_000);
});

describe('database timeouts', () => {
  it("bound the running app's statements (statement_timeout, answered 503) but not migrations", async () => {
    const t = await startTestApp({ env: { DATABASE_QUERY_TIMEOUT_MS: '300' } });
    try {
      const dataSource = t.app.get(DataSource);
      expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '300ms' }]);
      const canceled = await dataSource.query('SELECT pg_sleep(2)').then(() => null, (error: unknown) => error);
      expect(toErrorBody(canceled).body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE });

      // Migrations (runMigrations, the migration CLI) build their data source without limits.
      const migrations = new DataSource(dataSourceOptions(t.database.url));
      await migrations.initialize();
      try {
        expect(await migrations.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '0' }]);
      } finally {
        await migrations.destroy();
      }
    } finally {
      await t.close();
    }
  });
});

const asRoot = process.getuid?.() === 0;

/** As root, PostgreSQL runs as the `postgres` system user, which must reach DATA_DIR. */
(asRoot ? describe : describe.skip)('the embedded database under a folder only root may enter', () => {
  let privateFolder: string;
  beforeEach(() => {
    privateFolder = mkdtempSync(join(tmpdir(), 'atelier-private-'));
    expect(statSync(privateFolder).mode & 0o777).toBe(0o700);
  });
  afterEach(() => rmSync(privateFolder, { recursive: true, force: true }));

  const hasSetfacl = () => {
    try {
      execFileSync('setfacl', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it('works: the postgres user alone is let through, or the start says exactly what to change', async () => {
    const dir = join(privateFolder, 'data/postgres');
    const reports: string[] = [];
    const start = startEmbeddedPostgres({ dir, port: await freePort(), durable: false, report: (message) => reports.push(message) });
    if (!hasSetfacl()) {
      await expect(start).rejects.toThrow(`may not enter ${privateFolder}`);
      return;
    }
    const server = await start;
    try {
      expect(server.pid).toBeGreaterThan(0);
      expect(reports.join('\n')).toContain(`Let the system user "postgres" pass through ${privateFolder}`);
      const acl = execFileSync('getfacl', ['-p', privateFolder], { encoding: 'utf8' });
      expect(acl).toMatch(/^user:postgres:--x$/m);
      // Nobody else gains anything.
      expect(acl).toMatch(/^group::---$/m);
      expect(acl).toMatch(/^other::---$/m);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('without setfacl, stops before initdb with a message naming the folder and the ways out', async () => {
    // A PATH with `id` but without setfacl.
    const bin = join(privateFolder, 'bin');
    mkdirSync(bin);
    symlinkSync(execFileSync('sh', ['-c', 'command -v id'], { encoding: 'utf8' }).trim(), join(bin, 'id'));
    const dir = join(privateFolder, 'data/postgres');
    const { error } = await holdPostgres(dir, await freePort(), { PATH: bin });
    expect(error).toMatch(
      new RegExp(
        `cannot reach ${dir}: .* the system user "postgres", and that user may not enter ${privateFolder} \\(owner uid 0, mode 700\\)\\. ` +
          `Either set DATA_DIR to a folder outside ${privateFolder} .*setfacl -m u:postgres:x ${privateFolder}`,
      ),
    );
    expect(existsSync(join(dir, 'cluster/PG_VERSION'))).toBe(false);
  }, 30_000);
});
