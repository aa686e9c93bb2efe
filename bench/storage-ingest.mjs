// Benchmark: store a 1 GiB stream served over HTTP through the ingest path, with the local driver
// and with the COS driver (the sandbox COS, in process), and compare with `curl -o` of the same
// stream. Prints JSON. Run with `npm run bench:storage` (builds first). Optional: SIZE_MIB=256.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const dist = new URL('../apps/api/dist/apps/api/src/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const { startEmbeddedPostgres, ensureDatabase } = await load('database/embedded-postgres.js');
const { runMigrations } = await load('database/migrate.js');
const { loadConfig } = await load('config/app-config.js');
const { createApp } = await load('app.js');
const { IngestService } = await load('modules/storage/ingest.service.js');
const { StorageSettingsService } = await load('modules/storage/storage-settings.service.js');
const { toolPath } = await load('modules/storage/video/ffmpeg.js');

const SIZE = Number(process.env.SIZE_MIB ?? 1024) * 1024 * 1024;
const CHUNK = 64 * 1024;
const work = mkdtempSync(join(tmpdir(), 'atelier-bench-'));
// As root, the embedded PostgreSQL runs as its own user and must reach its folder below this one.
chmodSync(work, 0o755);

// A 1 GiB video (a real 2-second MP4, since stored videos are read by ffprobe, then a 'free' box
// of pseudo-random bytes generated on the fly), served by a separate process like a provider CDN
// would be, so serving it costs the measured process nothing.
const clipFile = join(work, 'clip.mp4');
await promisify(execFile)(toolPath('ffmpeg'), ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', clipFile]);
const clip = readFileSync(clipFile).toString('base64');
const serverScript = `
  const http = require('node:http');
  const SIZE = ${SIZE}, CHUNK = ${CHUNK};
  const clip = Buffer.from('${clip}', 'base64');
  const free = Buffer.alloc(8);
  free.writeUInt32BE(SIZE - clip.length, 0);
  free.write('free', 4, 'latin1');
  const header = Buffer.concat([clip, free]);
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) block[i] = (i * 2654435761) >>> 24;
  const first = Buffer.concat([header, block.subarray(header.length)]);
  const server = http.createServer((req, res) => {
    if (req.url === '/clip.mp4') {
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': String(clip.length) });
      return res.end(clip);
    }
    res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': String(SIZE) });
    let sent = 0;
    const pump = () => {
      while (sent < SIZE) {
        const piece = sent === 0 ? first : block;
        const length = Math.min(piece.length, SIZE - sent);
        sent += length;
        if (!res.write(length === piece.length ? piece : piece.subarray(0, length))) return res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
`;
const child = spawn(process.execPath, ['-e', serverScript], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const sourcePort = await new Promise((resolve) => child.once('message', resolve));
const sourceUrl = `http://127.0.0.1:${sourcePort}/stream.mp4`;

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const mib = (bytes) => bytes / 1024 / 1024;

// Baseline: curl writing the same stream to a file on the same disk.
const curlFile = join(work, 'curl.bin');
let start = process.hrtime.bigint();
// Asynchronous: the stream is served by this very process.
await promisify(execFile)('curl', ['-s', '-o', curlFile, sourceUrl]);
const curlSeconds = seconds(start);
rmSync(curlFile);

const postgres = await startEmbeddedPostgres({ dir: join(work, 'pg'), port: Number(process.env.EMBEDDED_POSTGRES_PORT) || 54000 + Math.floor(Math.random() * 1000), durable: false });
await ensureDatabase(postgres.adminUrl, 'atelier');
const databaseUrl = postgres.urlFor('atelier');
await runMigrations(databaseUrl);
const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: join(work, 'data'), APP_SECRET: 'benchmark-secret-0123456789-0123456789', FETCH_ALLOWLIST: `http://127.0.0.1:${sourcePort}/` });
const app = await createApp(config, databaseUrl);
await app.listen(0, '127.0.0.1');
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const [{ id: userId }] = (await db.query(`INSERT INTO users (name, email, role) VALUES ('bench', 'bench@example.com', 'admin') RETURNING id`)).rows;

const settings = app.get(StorageSettingsService);
const ingest = app.get(IngestService);

async function measure(label) {
  if (global.gc) global.gc();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const begin = process.hrtime.bigint();
  const file = await ingest.ingestUrl(sourceUrl, { userId, source: 'upload' });
  const elapsed = seconds(begin);
  clearInterval(sampler);
  if (file.status !== 'stored' || file.size !== SIZE) throw new Error(`${label}: ${file.status} ${file.size} ${file.error}`);
  return { seconds: +elapsed.toFixed(2), mibPerSecond: +(mib(SIZE) / elapsed).toFixed(1), peakRssGrowthMiB: +mib(peak - baseline).toFixed(1), driver: file.driver };
}

await settings.saveConfig({ provider: 'local', enabled: true, maxFileSize: 5 * 1024 * 1024 * 1024 });
// Warm-up: the first video ingested loads what every later one shares (the fetcher's connection
// pool, the poster and thumbnail code, sharp's native library), which is not memory that grows
// with the file; the measured runs then show what one large file costs.
const warmUp = await ingest.ingestUrl(`http://127.0.0.1:${sourcePort}/clip.mp4`, { userId, source: 'upload' });
if (warmUp.status !== 'stored') throw new Error(`warm-up: ${warmUp.status} ${warmUp.error}`);
const local = await measure('local');
await settings.saveConfig({ provider: 'cos', enabled: true, sandbox: true, maxFileSize: 5 * 1024 * 1024 * 1024 });
const cos = await measure('cos');

const curlMiBs = mib(SIZE) / curlSeconds;
const result = {
  benchmark: 'storage-ingest',
  bytes: SIZE,
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  curl: { seconds: +curlSeconds.toFixed(2), mibPerSecond: +curlMiBs.toFixed(1) },
  local: { ...local, ratioToCurl: +(local.mibPerSecond / curlMiBs).toFixed(2) },
  cos: { ...cos, note: 'sandbox COS in the same process: its own disk writes and request handling count against both throughput and RSS' },
  targets: { rssGrowthMiB: 64, localRatioToCurl: 0.3 },
  pass: local.peakRssGrowthMiB < 64 && cos.peakRssGrowthMiB < 64 && local.mibPerSecond / curlMiBs >= 0.3,
};
console.log(JSON.stringify(result, null, 2));

await db.end();
await app.close();
await postgres.stop();
child.kill();
rmSync(work, { recursive: true, force: true });
process.exit(0);
