// Benchmark: 1,000 concurrent Flux tasks against the fal sandbox. For each task, the time from the
// sandbox completing the job to the task being `succeeded` with its output stored; p50 and p99,
// once with webhooks (PUBLIC_URL set) and once by polling only, plus status polls per task.
// Prints JSON. Run with `npm run bench:completion-lag` (builds first). Optional: TASKS=200.
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_APP_SECRET, createApp, loadConfig, startBenchPostgres } from './support.mjs';

const TASKS = Number(process.env.TASKS ?? 1000);
const CLIENTS = 50;

const postgres = await startBenchPostgres('lag');

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const percentile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

async function run(mode) {
  const databaseUrl = await postgres.database(`atelier_${mode}`);
  const port = await freePort();
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: String(port),
    DATA_DIR: join(postgres.work, `data-${mode}`),
    APP_SECRET: BENCH_APP_SECRET,
    // Sandbox jobs take 1 to 3 s like small fal jobs; the engine runs with its defaults.
    SANDBOX_QUEUE_MS: '500',
    SANDBOX_RUN_MIN_MS: '1000',
    SANDBOX_RUN_MAX_MS: '3000',
    ...(mode === 'webhooks' ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
  });
  const app = await createApp(config, databaseUrl);
  await app.listen(port, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const post = async (path, body, token) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  const { body: admin } = await post('/api/v1/auths/signup', { name: 'Admin', email: 'admin@example.com', password: 'password-123' });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`UPDATE credit_accounts SET balance = 1000000`);
  // Every task at once at fal: this measures our lag, not the provider's concurrency limit.
  await db.query(`INSERT INTO flux_settings (id, max_concurrent_tasks) VALUES (1, $1)`, [TASKS]);

  const submitted = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < TASKS) {
        const index = next++;
        const { status, body } = await post('/api/v1/flux/text-to-image', { model: 'fal-ai/flux-1/schnell', prompt: `lag ${index}`, imageSize: 'square' }, admin.token);
        if (status !== 201) throw new Error(`submission ${index}: ${status} ${JSON.stringify(body)}`);
        submitted.push(body.id);
      }
    }),
  );
  const started = Date.now();
  for (;;) {
    const [{ active }] = (await db.query(`SELECT count(*)::int AS active FROM generation_tasks WHERE status IN ('pending', 'submitted', 'queued', 'running')`)).rows;
    if (active === 0) break;
    if (Date.now() - started > 15 * 60_000) throw new Error(`${active} tasks unfinished after 15 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const tasks = (await db.query(`SELECT status, provider_state->'request'->>'requestId' AS request_id, finished_at FROM generation_tasks`)).rows;
  const stats = await (await fetch(`${base}/sandbox/_control/fal/stats`)).json();
  const lags = [];
  for (const task of tasks) {
    const completedAt = stats.completions[task.request_id];
    if (task.status === 'succeeded' && completedAt) lags.push((task.finished_at.getTime() - completedAt) / 1000);
  }
  await db.end();
  await app.close();
  return {
    tasks: tasks.length,
    succeeded: tasks.filter((task) => task.status === 'succeeded').length,
    lagSeconds: { p50: +percentile(lags, 0.5).toFixed(3), p99: +percentile(lags, 0.99).toFixed(3), max: +Math.max(...lags).toFixed(3) },
    statusCallsPerTask: +(stats.statusCalls / tasks.length).toFixed(2),
  };
}

const webhooks = await run('webhooks');
const polling = await run('polling');
const result = {
  benchmark: 'completion-lag',
  machine: { cpus: cpus().length, node: process.version },
  tasks: TASKS,
  sandbox: { queueMs: 500, runMs: '1000-3000', note: 'the sandbox renders every image with sharp in the same process, competing for the same 2 cores' },
  engine: { tickMs: 1000, pollMinMs: 1000, pollMaxMs: 15000 },
  webhooks,
  polling,
  targets: { webhooksP50: 0.5, pollingP50: 2.5, p99: 5 },
  pass: webhooks.lagSeconds.p50 < 0.5 && polling.lagSeconds.p50 < 2.5 && webhooks.lagSeconds.p99 < 5 && polling.lagSeconds.p99 < 5,
};
console.log(JSON.stringify(result, null, 2));
await postgres.stop();
process.exit(0);
