// Benchmark: text-to-image submissions per second through the API (auth, validation, credit
// reservation, insert, the provider submit to the fal sandbox) against two bare Node HTTP servers
// on the same database server: `bareSubmit`, the honest baseline, doing the work a submission must
// (one transaction that inserts the task, decrements the balance and writes the ledger row, then
// one kept-alive POST to the sandbox's fal queue), and `bareInsert`, one INSERT per request (the
// old baseline, not the same work, kept for comparison). Each server runs in its own process, the
// load generator (this process) is the same for all. Prints JSON.
// Run with `npm run bench:submit` (builds first). Optional: REQUESTS=500 CLIENTS=20 WARMUP=1000 THREADS=1.
import http from 'node:http';
import { cpus } from 'node:os';
import pg from 'pg';
import { SANDBOX_CREDENTIALS } from '../apps/sandbox/dist/index.js';
import { freePort, startAppProcess, startBenchPostgres, startCpuMeter, startProcess, startSandbox } from './support.mjs';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const CLIENTS = Number(process.env.CLIENTS ?? 20);
const WARMUP = Number(process.env.WARMUP ?? 1000);

const postgres = await startBenchPostgres('submit');
const databaseUrl = await postgres.database('atelier');

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
const post = (url, body, token) =>
  new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const request = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(payload);
  });

/**
 * Sends REQUESTS requests from CLIENTS concurrent clients after WARMUP ones; answers per second,
 * and what `measure()` (started after the warm-up) answers.
 */
async function load_(url, body, token, expected, measure = async () => () => null) {
  // Both servers warm up first (the JIT compiles their hot paths): a server runs for days.
  let warm = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (warm < WARMUP) await post(url, body(`warm-up ${warm++}`), token);
    }),
  );
  let next = 0;
  const measured = await measure();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < REQUESTS) {
        const index = next++;
        const { status, body: answer } = await post(url, body(index), token);
        if (status !== expected) throw new Error(`${url}: HTTP ${status} ${answer}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { requests: REQUESTS, seconds: +seconds.toFixed(2), perSecond: +(REQUESTS / seconds).toFixed(1), measured: await measured() };
}

// The baseline, in its own process: node:http, JSON body, one INSERT through a pg pool of the app's size.
const setup = new pg.Client({ connectionString: databaseUrl });
await setup.connect();
await setup.query(`CREATE TABLE bench_baseline (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), prompt text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
await setup.end();
const barePort = await freePort();
const bare = await startProcess('bare-insert', 'bench/bare-insert-server.mjs', [], { DATABASE_URL: databaseUrl, PORT: String(barePort) }, /listening/);
const { measured: _, ...baseline } = await load_(`http://127.0.0.1:${barePort}/`, (i) => ({ prompt: `bare ${i}` }), null, 201);
await bare.stop();

// Atelier as `npm start` runs it, in its own process, with the sandbox (standing in for fal, a
// separate service) in another. Jobs stay queued at the sandbox, so its image rendering does not
// compete with the submissions, and the app does not poll them: a submission reaches fal inline,
// within its request. Polling is what bench/completion-lag measures.
const sandbox = await startSandbox(postgres.work, { queueMs: 600_000, runMinMs: 1000, runMaxMs: 3000 });
const app = await startAppProcess(postgres.work, databaseUrl, () => ({ TASK_WORKER: 'false', FETCH_ALLOWLIST: `${sandbox.url}/` }));
const base = app.url;
const signup = await post(`${base}/api/v1/auths/signup`, { name: 'Bench', email: 'bench@example.com', password: 'password-123' });
const { token } = JSON.parse(signup.body);
const configured = await post(`${base}/api/v1/flux/config`, { apiKey: SANDBOX_CREDENTIALS.fal.key, baseUrl: `${sandbox.url}/fal`, enabled: true }, token);
if (configured.status !== 200) throw new Error(`flux config: ${configured.status} ${configured.body}`);
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
await db.query(`UPDATE credit_accounts SET balance = 100000000`);
// Every submission goes on to fal (the sandbox) rather than waiting for a slot (beyond what the
// admin form allows); the app reads its settings again within 2 s.
await db.query(`UPDATE flux_settings SET max_concurrent_tasks = 1000000`);
await new Promise((resolve) => setTimeout(resolve, 2500));

// The honest baseline against the same sandbox and account (its tasks carry provider
// 'bench-baseline', which the app does not know and, with TASK_WORKER off, never looks at).
const [{ id: userId }] = (await db.query(`SELECT id FROM users WHERE email = 'bench@example.com'`)).rows;
const submitPort = await freePort();
const bareSubmitServer = await startProcess(
  'bare-submit',
  'bench/bare-submit-server.mjs',
  [],
  { DATABASE_URL: databaseUrl, PORT: String(submitPort), USER_ID: userId, FAL_URL: `${sandbox.url}/fal`, FAL_KEY: SANDBOX_CREDENTIALS.fal.key },
  /listening/,
);
const { measured: bareCpuMsPerSubmission, ...bareSubmit } = await load_(`http://127.0.0.1:${submitPort}/`, (i) => ({ prompt: `bare submit ${i}` }), null, 201, async () => {
  const meter = await startCpuMeter(bareSubmitServer, sandbox);
  return () => meter.stop(REQUESTS);
});
await bareSubmitServer.stop();

const { measured: cpuMsPerSubmission, ...atelier } = await load_(
  `${base}/api/v1/flux/text-to-image`,
  (i) => ({ model: 'fal-ai/flux-1/schnell', prompt: `submit ${i}`, imageSize: 'square', numImages: 1 }),
  token,
  201,
  async () => {
    const meter = await startCpuMeter(app, sandbox);
    return () => meter.stop(REQUESTS);
  },
);
const [{ submitted }] = (await db.query(`SELECT count(*)::int AS submitted FROM generation_tasks WHERE status = 'queued' AND provider = 'flux'`)).rows;
await db.end();

const result = {
  benchmark: 'submit',
  machine: { cpus: cpus().length, node: process.version },
  clients: CLIENTS,
  warmUpRequests: WARMUP,
  bareSubmit: {
    ...bareSubmit,
    // As below; "app" is the bare server here.
    cpuMsPerSubmission: bareCpuMsPerSubmission,
  },
  bareInsert: baseline,
  atelierTextToImage: {
    ...atelier,
    queuedAtSandbox: submitted,
    // CPU time per submission, in milliseconds, by process (the rest is mostly PostgreSQL).
    cpuMsPerSubmission,
  },
  // Atelier against the bare server doing the same work: the figure the target is about.
  ratio: +(atelier.perSecond / bareSubmit.perSecond).toFixed(2),
  // Against one INSERT per request (not the same work), as reported before.
  ratioToBareInsert: +(atelier.perSecond / baseline.perSecond).toFixed(2),
  target: { ratio: 0.5 },
  pass: atelier.perSecond / bareSubmit.perSecond >= 0.5,
};
console.log(JSON.stringify(result, null, 2));
agent.destroy();
await app.stop();
await sandbox.stop();
await postgres.stop();
process.exit(0);
