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

const root = new URL('../', import.meta.url);

/**
 * Runs a built program in its own process (the app, the provider sandbox, a baseline server), as
 * they run in production: each with its own event loop. Resolves once it prints `ready` (a regular
 * expression); `stop()` ends it.
 */
export async function startProcess(label, script, args, env, ready, nodeArgs = []) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...nodeArgs, new URL(script, root).pathname, ...args], {
    cwd: new URL('.', root).pathname,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // e.g. BENCH_LOG_DIR=/tmp/logs keeps each process's output (with APP_NODE_ARGS=--trace-gc, say).
  if (process.env.BENCH_LOG_DIR) {
    const { createWriteStream } = await import('node:fs');
    const log = createWriteStream(join(process.env.BENCH_LOG_DIR, `${label}-${child.pid}.log`));
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (ready.test(output)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code} before it was ready:\n${output.slice(-2000)}`)));
  });
  child.removeAllListeners('exit');
  // Never left running when the benchmark ends or fails.
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** A port nobody listens on at the moment. */
export async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The provider sandbox in its own process, with the given job timing. */
export async function startSandbox(work, timing) {
  const port = await freePort();
  const process_ = await startProcess(
    'sandbox',
    'apps/sandbox/dist/main.js',
    ['--port', String(port), '--data-dir', join(work, 'sandbox'), '--queue-ms', String(timing.queueMs), '--run-min-ms', String(timing.runMinMs), '--run-max-ms', String(timing.runMaxMs)],
    {},
    /listening/,
    // e.g. SANDBOX_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/profile", as APP_NODE_ARGS for the app.
    process.env.SANDBOX_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  );
  return { ...process_, url: `http://127.0.0.1:${port}/sandbox` };
}

/**
 * The Atelier server in its own process (`apps/api/.../main.js`, as `npm start` runs it) on an
 * existing database; `env(url)` adds to the benchmark's settings.
 */
export async function startAppProcess(work, databaseUrl, env = () => ({})) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const process_ = await startProcess(
    'app',
    'apps/api/dist/apps/api/src/main.js',
    [],
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: databaseUrl, DATA_DIR: join(work, `data-${port}`), APP_SECRET: BENCH_APP_SECRET, ...env(url) },
    /is listening on/,
    // e.g. APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/profile" to profile the app.
    process.env.APP_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
  );
  return { ...process_, url, port };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export async function cpuSeconds(pid, part = 'both') {
  const { readFileSync } = await import('node:fs');
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks of 1/100 s.
  const user = Number(fields[11]) / 100;
  const system = Number(fields[12]) / 100;
  return part === 'user' ? user : part === 'system' ? system : user + system;
}

/** CPU seconds the whole machine has spent busy so far (all cores), from /proc/stat. */
export async function machineBusySeconds() {
  const { readFileSync } = await import('node:fs');
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const idle = ticks[3] + ticks[4];
  return (ticks.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** CPU seconds of each thread of a process (Linux), e.g. to tell the event loop from the thread pool. */
export async function threadCpuSeconds(pid) {
  const { readdirSync, readFileSync } = await import('node:fs');
  const threads = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}:${tid}`;
    const fields = stat.split(') ')[1].split(' ');
    threads[name] = (Number(fields[11]) + Number(fields[12])) / 100;
    if (process.env.THREADS === "split") threads[`${name} system`] = Number(fields[12]) / 100;
  }
  return threads;
}

/**
 * Measures the CPU the app, the sandbox, this process (the load generator) and the whole machine
 * spend from now until `stop()`, which answers milliseconds per `units` (tasks, requests); the rest
 * of the machine's busy time is mostly PostgreSQL. With THREADS=1 it also prints the app's threads.
 */
export async function startCpuMeter(app, sandbox) {
  const threadsBefore = process.env.THREADS ? await threadCpuSeconds(app.child.pid) : null;
  const before = {
    app: await cpuSeconds(app.child.pid),
    appSystem: await cpuSeconds(app.child.pid, 'system'),
    sandbox: await cpuSeconds(sandbox.child.pid),
    loadGenerator: process.cpuUsage(),
    machine: await machineBusySeconds(),
  };
  return {
    async stop(units) {
      if (threadsBefore) {
        const after = await threadCpuSeconds(app.child.pid);
        console.error('app threads, CPU s while measured', Object.fromEntries(Object.entries(after).map(([name, s]) => [name, +(s - (threadsBefore[name] ?? 0)).toFixed(2)])));
      }
      const own = process.cpuUsage(before.loadGenerator);
      const seconds = {
        app: (await cpuSeconds(app.child.pid)) - before.app,
        appSystem: (await cpuSeconds(app.child.pid, 'system')) - before.appSystem,
        sandbox: (await cpuSeconds(sandbox.child.pid)) - before.sandbox,
        loadGenerator: (own.user + own.system) / 1e6,
        machine: (await machineBusySeconds()) - before.machine,
      };
      seconds.postgresAndRest = seconds.machine - seconds.app - seconds.sandbox - seconds.loadGenerator;
      return Object.fromEntries(Object.entries(seconds).map(([name, value]) => [name, +((value * 1000) / units).toFixed(2)]));
    },
  };
}
