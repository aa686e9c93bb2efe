// Benchmark: 1,000 concurrent Flux tasks against the fal sandbox (or, with PROVIDER=midjourney, 500
// concurrent Midjourney imagines against the midjourney-proxy sandbox, see below). For each task, the time from the
// sandbox completing the job to the task being `succeeded` with its output stored; p50 and p99,
// once with webhooks (PUBLIC_URL set) and once by polling only, plus status polls per task.
// The app, the sandbox (standing in for fal, a separate service) and this load generator each run
// in their own process on this machine, sharing its cores with PostgreSQL.
// Prints JSON. Run with `npm run bench:completion-lag` (builds first).
// Optional: TASKS=200, WARMUP=200 (tasks run first, not measured), MODES=webhooks (or polling),
// CLIENTS=50, RUN_MIN_MS / RUN_MAX_MS (sandbox job length), OVERLAP=1 (see below), THREADS=1 (the
// app's CPU per thread).
// PROVIDER=midjourney: TASKS defaults to 500, jobs wait 0.5 s and run 10 to 30 s at a proxy that
// runs them all at once (`mjConcurrency`), each ends with a grid stored with its four images (cut
// by the engine). Modes `webhooks` (notifyHook) and `polling` (batched: one list-by-condition per
// tick); it reports the lag from the proxy's finishTime and the proxy calls (fetch and
// list-by-condition) per task, target below 0.5 when polling only.
import { cpus } from 'node:os';
import pg from 'pg';
import { SANDBOX_CREDENTIALS } from '../apps/sandbox/dist/index.js';
import { startAppProcess, startBenchPostgres, startCpuMeter, startSandbox } from './support.mjs';

const MIDJOURNEY = process.env.PROVIDER === 'midjourney';
const TASKS = Number(process.env.TASKS ?? (MIDJOURNEY ? 500 : 1000));
const CLIENTS = Number(process.env.CLIENTS ?? 50);
const WARMUP = Number(process.env.WARMUP ?? 200);
// Sandbox jobs wait 0.5 s in the queue and run 2 to 20 s, like FLUX jobs at fal (schnell takes a
// couple of seconds, dev and Kontext several, Kontext Max tens of seconds when fal is busy).
const TIMING = MIDJOURNEY
  ? { queueMs: 500, runMinMs: Number(process.env.RUN_MIN_MS ?? 10_000), runMaxMs: Number(process.env.RUN_MAX_MS ?? 30_000) }
  : { queueMs: 500, runMinMs: Number(process.env.RUN_MIN_MS ?? 2000), runMaxMs: Number(process.env.RUN_MAX_MS ?? 20_000) };
// By default the sandbox holds the jobs until all TASKS are submitted, so all of them are in flight
// at once and the measured lag is the engine's, not a wait behind the submissions (their rate is
// bench/submit's subject). OVERLAP=1 lets jobs run as they arrive: completions then compete with
// the submission burst for the same cores.
const OVERLAP = process.env.OVERLAP === '1';

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

  // A server runs for days: the measured tasks should not pay for its first minutes (the JIT
  // compiling the hot paths). A warm-up batch goes through first and is not counted.
  const submitAll = async (count, label) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < count) {
          const index = next++;
          const { status, body } = await post('/api/v1/flux/text-to-image', { model: 'fal-ai/flux-1/schnell', prompt: `${label} ${index}`, imageSize: 'square' }, admin.token);
          if (status !== 201) throw new Error(`submission ${index}: ${status} ${JSON.stringify(body)}`);
        }
      }),
    );
  };
  const settled = async () => {
    const started = Date.now();
    for (;;) {
      const [{ active }] = (await db.query(`SELECT count(*)::int AS active FROM generation_tasks WHERE status IN ('pending', 'submitted', 'queued', 'running')`)).rows;
      if (active === 0) return;
      if (Date.now() - started > 15 * 60_000) throw new Error(`${active} tasks unfinished after 15 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  await submitAll(WARMUP, 'warm-up');
  await settled();
  const meter = await startCpuMeter(app, sandbox);
  const statusCallsBefore = (await (await fetch(`${sandbox.url}/_control/fal/stats`)).json()).statusCalls;
  const hold = (held) => fetch(`${sandbox.url}/_control/fal/hold`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ held }) });
  if (!OVERLAP) await hold(true);
  const submitStarted = Date.now();
  await submitAll(TASKS, 'lag');
  const submitSeconds = (Date.now() - submitStarted) / 1000;
  if (!OVERLAP) await hold(false);
  await settled();
  const cpuMsPerTask = await meter.stop(TASKS);
  const tasks = (
    await db.query(
      `SELECT t.status, t.provider_state->'request'->>'requestId' AS request_id, t.finished_at,
              (SELECT count(*)::int FROM media_files f WHERE f.source_task_id = t.id AND f.status = 'stored') AS stored
         FROM generation_tasks t WHERE t.prompt LIKE 'lag %'`,
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
    cpuMsPerTask,
    statusCallsPerTask: +((stats.statusCalls - statusCallsBefore) / tasks.length).toFixed(2),
  };
}


/** The Midjourney variant: imagines at the trueai proxy sandbox, which runs every job at once. */
async function runMidjourney(mode) {
  const databaseUrl = await postgres.database(`atelier_mj_${mode}`);
  const sandbox = await startSandbox(postgres.work, TIMING);
  const control = (path, body) => fetch(`${sandbox.url}/_control/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  // A proxy with many accounts: every job runs at once, none is refused for a full queue.
  await control('timing', { mjConcurrency: TASKS + WARMUP, mjQueueSize: TASKS + WARMUP });
  const env = { FETCH_ALLOWLIST: `${sandbox.url}/` };
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
  const proxyUrl = `${sandbox.url}/mj/trueai`;
  const configured = await post('/api/v1/midjourney/config', { apiSecret: SANDBOX_CREDENTIALS.midjourney.secret, baseUrl: proxyUrl, flavor: 'trueai', enabled: true }, admin.token);
  if (configured.status !== 200) throw new Error(`midjourney config: ${configured.status} ${JSON.stringify(configured.body)}`);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`UPDATE credit_accounts SET balance = 1000000`);
  await db.query(`UPDATE midjourney_settings SET max_concurrent_tasks = $1`, [TASKS + WARMUP]);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const submitAll = async (count, label) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < count) {
          const index = next++;
          const { status, body } = await post('/api/v1/midjourney/imagine', { prompt: `${label} ${index}`, aspectRatio: '1:1' }, admin.token);
          if (status !== 201) throw new Error(`submission ${index}: ${status} ${JSON.stringify(body)}`);
        }
      }),
    );
  };
  const settled = async () => {
    const started = Date.now();
    for (;;) {
      const [{ active }] = (await db.query(`SELECT count(*)::int AS active FROM generation_tasks WHERE status IN ('pending', 'submitted', 'queued', 'running')`)).rows;
      if (active === 0) return;
      if (Date.now() - started > 15 * 60_000) throw new Error(`${active} tasks unfinished after 15 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const proxyCalls = async (since) =>
    (await (await fetch(`${sandbox.url}/_control/requests?provider=midjourney`)).json()).filter((r) => Date.parse(r.at) >= since && /\/(fetch|list-by-condition)$/.test(r.path));
  await submitAll(WARMUP, 'warm-up');
  await settled();
  const meter = await startCpuMeter(app, sandbox);
  const measureStarted = Date.now();
  await submitAll(TASKS, 'lag');
  const submitSeconds = (Date.now() - measureStarted) / 1000;
  await settled();
  const cpuMsPerTask = await meter.stop(TASKS);
  const calls = await proxyCalls(measureStarted);
  const tasks = (
    await db.query(
      `SELECT t.status, t.provider_state->>'mjId' AS mj_id, t.finished_at,
              (SELECT count(*)::int FROM media_files f WHERE f.source_task_id = t.id AND f.status = 'stored') AS stored
         FROM generation_tasks t WHERE t.prompt LIKE 'lag %'`,
    )
  ).rows;
  // The proxy's own finish times, read after the calls were counted.
  const finished = new Map();
  for (let i = 0; i < tasks.length; i += 200) {
    const ids = tasks.slice(i, i + 200).map((task) => task.mj_id);
    const response = await fetch(`${proxyUrl}/mj/task/list-by-condition`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: SANDBOX_CREDENTIALS.midjourney.secret }, body: JSON.stringify({ ids }) });
    for (const task of await response.json()) finished.set(task.id, task.finishTime);
  }
  const lags = [];
  for (const task of tasks) {
    const finishTime = finished.get(task.mj_id);
    if (task.status === 'succeeded' && task.stored === 5 && finishTime) lags.push((task.finished_at.getTime() - finishTime) / 1000);
  }
  await db.end();
  await app.stop();
  await sandbox.stop();
  return {
    tasks: tasks.length,
    succeeded: tasks.filter((task) => task.status === 'succeeded').length,
    withGridAndFourImages: tasks.filter((task) => task.stored === 5).length,
    submissionSeconds: submitSeconds,
    lagSeconds: lags.length ? { p50: +percentile(lags, 0.5).toFixed(3), p99: +percentile(lags, 0.99).toFixed(3), max: +Math.max(...lags).toFixed(3) } : null,
    cpuMsPerTask,
    // Status questions to the proxy (fetch and list-by-condition; submissions not counted) per task.
    proxyCallsPerTask: +(calls.length / tasks.length).toFixed(3),
    listByConditionCalls: calls.filter((r) => r.path.endsWith('list-by-condition')).length,
    fetchCalls: calls.filter((r) => r.path.endsWith('/fetch')).length,
  };
}

const modes = (process.env.MODES ?? 'webhooks,polling').split(',');
const runMode = MIDJOURNEY ? runMidjourney : run;
const webhooks = modes.includes('webhooks') ? await runMode('webhooks') : null;
const polling = modes.includes('polling') ? await runMode('polling') : null;
const result = MIDJOURNEY
  ? {
      benchmark: 'completion-lag',
      provider: 'midjourney',
      machine: { cpus: cpus().length, node: process.version },
      tasks: TASKS,
      warmUpTasks: WARMUP,
      clients: CLIENTS,
      sandbox: { ...TIMING, process: 'separate', jobs: 'all run at once (a proxy with many accounts), as they arrive' },
      engine: 'defaults (tick 1 s, polls from 1 s, backoff to 15 s), batched polling',
      webhooks,
      polling,
      targets: { pollingProxyCallsPerTask: 0.5 },
      pass: !!polling && polling.proxyCallsPerTask < 0.5,
    }
  : {
      benchmark: 'completion-lag',
      machine: { cpus: cpus().length, node: process.version },
      tasks: TASKS,
      warmUpTasks: WARMUP,
      clients: CLIENTS,
      sandbox: { ...TIMING, process: 'separate', jobs: OVERLAP ? 'run as they arrive, overlapping the submissions' : 'held until all are submitted, then all in flight at once' },
      engine: 'defaults (tick 1 s, polls from 1 s, backoff to 15 s)',
      webhooks,
      polling,
      targets: { webhooksP50: 0.5, pollingP50: 2.5, p99: 5 },
      pass: !!webhooks && !!polling && webhooks.lagSeconds.p50 < 0.5 && polling.lagSeconds.p50 < 2.5 && webhooks.lagSeconds.p99 < 5 && polling.lagSeconds.p99 < 5,
    };
console.log(JSON.stringify(result, null, 2));
await postgres.stop();
process.exit(0);
