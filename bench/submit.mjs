// Benchmark: text-to-image submissions per second through the API (auth, validation, credit
// reservation, insert, the provider submit to the fal sandbox) against a bare Node HTTP server that
// does one INSERT per request on the same database server. Prints JSON.
// Run with `npm run bench:submit` (builds first). Optional: REQUESTS=500 CLIENTS=20.
import http from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_APP_SECRET, createApp, loadConfig, startBenchPostgres } from './support.mjs';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const CLIENTS = Number(process.env.CLIENTS ?? 20);

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

/** Sends REQUESTS requests from CLIENTS concurrent clients; answers per second. */
async function load_(url, body, token, expected) {
  for (let i = 0; i < 50; i++) await post(url, body(i), token);
  let next = 0;
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
  return { requests: REQUESTS, seconds: +seconds.toFixed(2), perSecond: +(REQUESTS / seconds).toFixed(1) };
}

// The baseline: node:http, JSON body, one INSERT through a pg pool of the same size as the app's.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
await pool.query(`CREATE TABLE bench_baseline (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), prompt text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
const bare = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const { prompt } = JSON.parse(Buffer.concat(chunks).toString());
    pool.query('INSERT INTO bench_baseline (prompt) VALUES ($1) RETURNING id, created_at', [prompt]).then(
      ({ rows }) => {
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(rows[0]));
      },
      (error) => {
        res.writeHead(500);
        res.end(String(error));
      },
    );
  });
});
await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
const baseline = await load_(`http://127.0.0.1:${bare.address().port}/`, (i) => ({ prompt: `bare ${i}` }), null, 201);
bare.close();
await pool.end();

const config = loadConfig({
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATA_DIR: join(postgres.work, 'data'),
  APP_SECRET: BENCH_APP_SECRET,
  // Jobs stay queued at the sandbox, so its image rendering does not compete with the submissions,
  // and this instance does not poll them: a submission reaches fal inline, within its request.
  // Polling is what bench/completion-lag measures.
  SANDBOX_QUEUE_MS: '600000',
  TASK_WORKER: 'false',
});
const app = await createApp(config, databaseUrl);
await app.listen(0, '127.0.0.1');
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
const signup = await post(`${base}/api/v1/auths/signup`, { name: 'Bench', email: 'bench@example.com', password: 'password-123' });
const { token } = JSON.parse(signup.body);
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
await db.query(`UPDATE credit_accounts SET balance = 100000000`);
// Every submission goes on to fal (the sandbox) rather than waiting for a slot.
await db.query(`INSERT INTO flux_settings (id, max_concurrent_tasks) VALUES (1, 1000000)`);
const atelier = await load_(`${base}/api/v1/flux/text-to-image`, (i) => ({ model: 'fal-ai/flux-1/schnell', prompt: `submit ${i}`, imageSize: 'square', numImages: 1 }), token, 201);
const [{ submitted }] = (await db.query(`SELECT count(*)::int AS submitted FROM generation_tasks WHERE status = 'queued'`)).rows;
await db.end();

const result = {
  benchmark: 'submit',
  machine: { cpus: cpus().length, node: process.version },
  clients: CLIENTS,
  bareInsert: baseline,
  atelierTextToImage: { ...atelier, queuedAtSandbox: submitted },
  ratio: +(atelier.perSecond / baseline.perSecond).toFixed(2),
  target: { ratio: 0.5 },
  pass: atelier.perSecond / baseline.perSecond >= 0.5,
};
console.log(JSON.stringify(result, null, 2));
agent.destroy();
await app.close();
await postgres.stop();
process.exit(0);
