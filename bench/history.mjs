// Benchmark: the history list over 1,000,000 tasks of 1,000 users. Measures the first page and a
// page 5,000 items deep (keyset cursor), both in process (HistoryService: server time without HTTP)
// and over HTTP on localhost. Prints JSON. Run with `npm run bench:history` (builds first).
// Optional: TASKS=200000 USERS=200 for a quicker run.
import { cpus } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import pg from 'pg';
import { BENCH_APP_SECRET, createApp, load, loadConfig, startBenchPostgres } from './support.mjs';

const { HistoryService } = await load('modules/history/history.service.js');

const TASKS = Number(process.env.TASKS ?? 1_000_000);
const USERS = Number(process.env.USERS ?? 1000);
/** The measured user holds more than the others, so a page 5,000 items deep exists. */
const HEAVY_USER_TASKS = 20_000;
const DEEP = 5000;
const PAGE = 30;
const RUNS = 300;

const postgres = await startBenchPostgres('history');
const databaseUrl = await postgres.database('atelier');
const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', SANDBOX: 'false', TASK_WORKER: 'false', DATA_DIR: join(postgres.work, 'data'), APP_SECRET: BENCH_APP_SECRET });
const app = await createApp(config, databaseUrl);
await app.listen(0, '127.0.0.1');
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;

const signup = await fetch(`${base}/api/v1/auths/signup`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ name: 'Heavy user', email: 'heavy@example.com', password: 'password-123' }),
});
const { token, user } = await signup.json();

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const seeding = process.hrtime.bigint();
await db.query(
  `INSERT INTO users (name, email, role) SELECT 'user ' || i, 'user' || i || '@example.com', 'user' FROM generate_series(2, $1) AS i`,
  [USERS],
);
const others = (await db.query(`SELECT id FROM users WHERE id <> $1 ORDER BY id`, [user.id])).rows.map((row) => row.id);
// Tasks over the last year, newest last; a quarter of a second apart per user on average.
const insertTasks = async (userIds, count) => {
  await db.query(
    `INSERT INTO generation_tasks (id, user_id, provider, model, kind, action, status, progress, prompt, input, cost, deadline_at, created_at, updated_at, finished_at)
     SELECT gen_random_uuid(), ($1::uuid[])[1 + (i % array_length($1::uuid[], 1))],
            (ARRAY['flux', 'midjourney', 'kling', 'jimeng'])[1 + i % 4], 'fal-ai/flux-1/dev',
            CASE WHEN i % 4 = 2 THEN 'video'::media_kind ELSE 'image'::media_kind END, 'text-to-image',
            CASE WHEN i % 20 = 0 THEN 'failed'::task_status ELSE 'succeeded'::task_status END, 100,
            'a watercolour lighthouse on a cliff at dawn, number ' || i,
            jsonb_build_object('prompt', 'a watercolour lighthouse number ' || i, 'numImages', 1, 'imageSize', 'landscape_4_3', 'seed', i),
            10, now(), now() - interval '365 days' + i * ($2::double precision / $3) * interval '1 second', now(), now()
       FROM generate_series(1, $3) AS i`,
    [userIds, (365 * 86400) / 1, count],
  );
};
await insertTasks([user.id], HEAVY_USER_TASKS);
for (let done = HEAVY_USER_TASKS; done < TASKS; done += 200_000) await insertTasks(others, Math.min(200_000, TASKS - done));
// One stored output per succeeded task, as the history page shows them.
await db.query(
  `INSERT INTO media_files (user_id, filename, kind, mime_type, size, sha256, width, height, driver, key, url, thumbnail_key, thumbnail_url, source, source_task_id, output_index, status, created_at)
   SELECT user_id, id || '.png', 'image', 'image/png', 1500000, md5(id::text) || md5(id::text), 1024, 768, 'local',
          'generated/images/' || id || '.png', '/media/generated/images/' || id || '.png',
          'generated/images/' || id || '.thumb.webp', '/media/generated/images/' || id || '.thumb.webp',
          'flux', id, 0, 'stored', created_at
     FROM generation_tasks WHERE status = 'succeeded'`,
);
await db.query('VACUUM ANALYZE');
const seedSeconds = Number(process.hrtime.bigint() - seeding) / 1e9;
const [{ count: total }] = (await db.query('SELECT count(*)::int AS count FROM generation_tasks')).rows;

const [deepRow] = (
  await db.query(`SELECT created_at, id FROM generation_tasks WHERE user_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`, [user.id, DEEP - 1])
).rows;
const deepCursor = Buffer.from(JSON.stringify({ createdAt: deepRow.created_at.toISOString(), id: deepRow.id })).toString('base64url');

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
  return { p50: at(0.5), p95: at(0.95), max: at(1) };
};
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

const history = app.get(HistoryService);
async function inProcess(query) {
  for (let i = 0; i < 30; i++) await history.list(user.id, query);
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const page = await history.list(user.id, query);
    samples.push(ms(start));
    if (page.items.length !== PAGE) throw new Error(`expected a full page, got ${page.items.length}`);
  }
  return stats(samples);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (path) =>
  new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { agent, headers: { Authorization: `Bearer ${token}` } }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${response.statusCode}`))));
      })
      .on('error', reject);
  });
async function overHttp(path) {
  for (let i = 0; i < 30; i++) await get(path);
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await get(path);
    samples.push(ms(start));
  }
  return stats(samples);
}

const firstQuery = { limit: PAGE };
const deepQuery = { limit: PAGE, cursor: deepCursor };
const service = { firstPage: await inProcess(firstQuery), deepPage: await inProcess(deepQuery) };
const httpTimes = { firstPage: await overHttp(`/api/v1/history?limit=${PAGE}`), deepPage: await overHttp(`/api/v1/history?limit=${PAGE}&cursor=${deepCursor}`) };
const plan = (await db.query(
  `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM generation_tasks WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT 31`,
  [user.id, deepRow.created_at, deepRow.id],
)).rows[0]['QUERY PLAN'][0];

const ratio = (times) => +(times.deepPage.p50 / times.firstPage.p50).toFixed(2);
const result = {
  benchmark: 'history',
  machine: { cpus: cpus().length, node: process.version },
  data: { tasks: total, users: USERS, measuredUserTasks: HEAVY_USER_TASKS, outputs: 'one stored media file per succeeded task', seedSeconds: +seedSeconds.toFixed(1) },
  page: { limit: PAGE, deepOffset: DEEP, runs: RUNS },
  serverMs: { ...service, deepOverFirst: ratio(service) },
  httpMs: { ...httpTimes, deepOverFirst: ratio(httpTimes) },
  deepPagePlan: { node: plan.Plan['Node Type'], index: plan.Plan['Index Name'] ?? plan.Plan.Plans?.[0]?.['Index Name'] ?? null, executionMs: plan['Execution Time'] },
  targets: { p50Ms: 15, deepOverFirst: 1.5 },
  pass: service.firstPage.p50 < 15 && service.deepPage.p50 < 15 && ratio(service) <= 1.5,
};
console.log(JSON.stringify(result, null, 2));

agent.destroy();
await db.end();
await app.close();
await postgres.stop();
process.exit(0);
