// Benchmark: 1,000 concurrent Flux tasks against the fal sandbox. For each task, the time from the
// sandbox completing the job to the task being `succeeded` with its output stored; p50 and p99,
// once with webhooks (PUBLIC_URL set) and once by polling only, plus status polls per task.
// The app, the sandbox (standing in for fal, a separate service) and this load generator each run
// in their own process on this machine, sharing its cores with PostgreSQL.
// Prints JSON. Run with `npm run bench:completion-lag` (builds first).
// Optional: TASKS=200, MODES=webhooks (or polling), RUN_MIN_MS / RUN_MAX_MS (sandbox job length).
import { cpus } from 'node:os';
import pg from 'pg';
import { SANDBOX_CREDENTIALS } from '../apps/sandbox/dist/index.js';
import { cpuSeconds, machineBusySeconds, startAppProcess, startBenchPostgres, startSandbox } from './support.mjs';

const TASKS = Number(process.env.TASKS ?? 1000);
const CLIENTS = Number(process.env.CLIENTS ?? 50);
// Sandbox jobs wait 0.5 s in the queue and run 1 to 3 s, like small fal jobs.
const TIMING = { queueMs: 500, runMinMs: Number(process.env.RUN_MIN_MS ?? 1000), runMaxMs: Number(process.env.RUN_MAX_MS ?? 3000) };

const postgres = await startBenchPostgres('lag');

const percentile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function run(mode) {
  const databaseUrl = await postgres.database(`atelier_${mode}`);
  const sandbox = await startSandbox(postgres.work, TIMING);
  const env = {
    // The engine runs with its defaults; the sandbox's files are downloadable like fal's CDN.
    FETCH_ALLOWLIST: `${sandbox.url}/`,
  };
  const app = await startAppProcess(postgres.work, databaseUrl, (url) => (mode === 'webhooks' ? { ...env, PUBLIC_URL: url } : env));
  const base = app.url;
  const post = async (path, body, token) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const { body: admin } = await post('/api/v1/auths/signup', { name: 'Admin', email: 'admin@example.com', password: 'password-123' });
  const configured = await post('/api/v1/flux/config', { apiKey: SANDBOX_CREDENTIALS.fal.key, baseUrl: `${sandbox.url}/fal`, enabled: true }, admin.token);
  if (configured.status !== 200) throw new Error(`flux config: ${configured.status} ${JSON.stringify(configured.body)}`);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`UPDATE credit_accounts SET balance = 1000000`);
  // Every task at once at fal (beyond what the admin form allows): this measures our lag, not the
  // provider's concurrency limit. The app reads its settings again within 2 s.
  await db.query(`UPDATE flux_settings SET max_concurrent_tasks = $1`, [TASKS]);
  await new Promise((resolve) => setTimeout(resolve, 2500));

  const cpuBefore = { appSystem: await cpuSeconds(app.child.pid, 'system'), app: await cpuSeconds(app.child.pid), sandbox: await cpuSeconds(sandbox.child.pid), bench: process.cpuUsage(), machine: await machineBusySeconds() };
  const submitStarted = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < TASKS) {
        const index = next++;
        const { status, body } = await post('/api/v1/flux/text-to-image', { model: 'fal-ai/flux-1/schnell', prompt: `lag ${index}`, imageSize: 'square' }, admin.token);
        if (status !== 201) throw new Error(`submission ${index}: ${status} ${JSON.stringify(body)}`);
      }
    }),
  );
  const submitSeconds = (Date.now() - submitStarted) / 1000;
  const started = Date.now();
  for (;;) {
    const [{ active }] = (await db.query(`SELECT count(*)::int AS active FROM generation_tasks WHERE status IN ('pending', 'submitted', 'queued', 'running')`)).rows;
    if (active === 0) break;
    if (Date.now() - started > 15 * 60_000) throw new Error(`${active} tasks unfinished after 15 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (process.env.THREADS) {
    const { readdirSync, readFileSync } = await import('node:fs');
    const threads = {};
    for (const tid of readdirSync(`/proc/${app.child.pid}/task`)) {
      const stat = readFileSync(`/proc/${app.child.pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.split(') ')[1].split(' ');
      threads[`${name}:${tid}`] = (threads[`${name}:${tid}`] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    }
    console.error('app threads (cpu s, whole life)', threads);
  }
  const bench = process.cpuUsage(cpuBefore.bench);
  const cpu = {
    app: (await cpuSeconds(app.child.pid)) - cpuBefore.app,
    appSystem: (await cpuSeconds(app.child.pid, 'system')) - cpuBefore.appSystem,
    sandbox: (await cpuSeconds(sandbox.child.pid)) - cpuBefore.sandbox,
    bench: (bench.user + bench.system) / 1e6,
    machine: (await machineBusySeconds()) - cpuBefore.machine,
  };
  const tasks = (
    await db.query(
      `SELECT t.status, t.provider_state->'request'->>'requestId' AS request_id, t.finished_at,
              (SELECT count(*)::int FROM media_files f WHERE f.source_task_id = t.id AND f.status = 'stored') AS stored
         FROM generation_tasks t`,
    )
  ).rows;
  const stats = await (await fetch(`${sandbox.url}/_control/fal/stats`)).json();
  const lags = [];
  for (const task of tasks) {
    const completedAt = stats.completions[task.request_id];
    if (task.status === 'succeeded' && task.stored > 0 && completedAt) lags.push((task.finished_at.getTime() - completedAt) / 1000);
  }
  await db.end();
  await app.stop();
  await sandbox.stop();
  return {
    tasks: tasks.length,
    succeeded: tasks.filter((task) => task.status === 'succeeded').length,
    withStoredOutput: tasks.filter((task) => task.stored > 0).length,
    submissionSeconds: submitSeconds,
    lagSeconds: { p50: +percentile(lags, 0.5).toFixed(3), p99: +percentile(lags, 0.99).toFixed(3), max: +Math.max(...lags).toFixed(3) },
    // CPU time per task, in milliseconds: the app, the sandbox, this load generator, and the rest
    // (mostly PostgreSQL) of the whole machine's busy time.
    cpuMsPerTask: Object.fromEntries(
      Object.entries({ ...cpu, postgresAndRest: cpu.machine - cpu.app - cpu.sandbox - cpu.bench }).map(([name, seconds]) => [name, +((seconds * 1000) / tasks.length).toFixed(1)]),
    ),
    statusCallsPerTask: +(stats.statusCalls / tasks.length).toFixed(2),
  };
}

const modes = (process.env.MODES ?? 'webhooks,polling').split(',');
const webhooks = modes.includes('webhooks') ? await run('webhooks') : null;
const polling = modes.includes('polling') ? await run('polling') : null;
const result = {
  benchmark: 'completion-lag',
  machine: { cpus: cpus().length, node: process.version },
  tasks: TASKS,
  clients: CLIENTS,
  sandbox: { ...TIMING, process: 'separate' },
  engine: 'defaults (tick 1 s, polls from 1 s, backoff to 15 s)',
  webhooks,
  polling,
  targets: { webhooksP50: 0.5, pollingP50: 2.5, p99: 5 },
  pass: !!webhooks && !!polling && webhooks.lagSeconds.p50 < 0.5 && polling.lagSeconds.p50 < 2.5 && webhooks.lagSeconds.p99 < 5 && polling.lagSeconds.p99 < 5,
};
console.log(JSON.stringify(result, null, 2));
await postgres.stop();
process.exit(0);
