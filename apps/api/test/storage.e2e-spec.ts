import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import sharp from 'sharp';
import { IngestService } from '../src/modules/storage/ingest.service.js';
import { MediaSource } from '../src/modules/storage/media-file.entity.js';
import { MigrationService } from '../src/modules/storage/migration.service.js';
import { bearer, signUp, queryDatabase, startTestApp, type TestApp } from './test-app.js';
import { makeVideo, paddedMp4 } from './video-fixtures.js';

const png = (color: string, width = 1200, height = 800) =>
  sharp({ create: { width, height, channels: 3, background: color } }).png().toBuffer();

describe('storage', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;

  const sql = (query: string, params: unknown[] = []) => queryDatabase(t.database, query, params);
  const upload = (token: string, bytes: Buffer, filename = 'picture.png', contentType = 'image/png') =>
    t.http.post('/api/v1/files/upload').set(bearer(token)).attach('file', bytes, { filename, contentType });
  const fetchMedia = (url: string, headers: Record<string, string> = {}) => fetch(url.startsWith('http') ? url : `${t.baseUrl}${url}`, { headers });
  const saveConfig = (body: object) => t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'local', enabled: true, ...body });

  /** A CDN of large videos, allow-listed: `/<bytes>.mp4`, with `?chunked` for no Content-Length. */
  let cdn: Server;
  let cdnOrigin: string;
  /** A real 2-second MP4 (videos are read by ffprobe when stored), padded to `size` bytes. */
  let clip: Buffer;
  const video = (size: number) => paddedMp4(clip, size);

  beforeAll(async () => {
    clip = await makeVideo('mp4-faststart');
    cdn = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://cdn');
      const picture = /^\/img\/(\d+)x(\d+)\.(png|jpg)$/.exec(url.pathname);
      if (picture) {
        const [, width, height, ext] = picture;
        const alpha = url.searchParams.has('alpha');
        const image = sharp({ create: { width: Number(width), height: Number(height), channels: alpha ? 4 : 3, background: alpha ? { r: 0, g: 90, b: 200, alpha: 0.5 } : '#0a5ac8' } });
        void (ext === 'png' ? image.png() : image.jpeg()).toBuffer().then((bytes) => {
          res.writeHead(200, { 'Content-Type': ext === 'png' ? 'image/png' : 'image/jpeg', 'Content-Length': bytes.length });
          res.end(bytes);
        });
        return;
      }
      const bytes = video(Number(url.pathname.slice(1, -4)));
      res.writeHead(200, url.searchParams.has('chunked') ? { 'Content-Type': 'video/mp4' } : { 'Content-Type': 'video/mp4', 'Content-Length': bytes.length });
      // Writes of odd sizes, so nothing lines up with the reader's buffers.
      let at = 0;
      const pump = () => {
        while (at < bytes.length) {
          const piece = bytes.subarray(at, at + 1 + ((at * 7919) % 200_000));
          at += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    cdnOrigin = `http://127.0.0.1:${(cdn.address() as { port: number }).port}`;
    t = await startTestApp({ listen: true, env: { FETCH_ALLOWLIST: `${cdnOrigin}/` } });
    admin = await signUp(t.http, { name: 'Admin' });
    alice = await signUp(t.http, { name: 'Alice' });
    bob = await signUp(t.http, { name: 'Bob' });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => cdn.close(resolve));
  });

  describe('uploads', () => {
    it('stores an image by its magic bytes, with size, hash and a JPEG thumbnail of 512 px', async () => {
      const bytes = await png('#ff0000');
      // The name and declared type lie; the content decides.
      const response = await upload(alice.token, bytes, 'notes.txt', 'text/plain').expect(201);
      expect(response.body).toMatchObject({
        kind: 'image',
        mimeType: 'image/png',
        size: bytes.length,
        width: 1200,
        height: 800,
        source: 'upload',
        status: 'stored',
        originalFilename: 'notes.txt',
        url: expect.stringMatching(/^\/media\/generated\/images\/\d{4}\/\d{2}\/[0-9a-f]{32}\.png$/),
        thumbnailUrl: expect.stringMatching(/\.thumb\.jpg$/),
      });
      const file = await fetchMedia(response.body.url);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(file.headers.get('cache-control')).toContain('immutable');
      expect(file.headers.get('etag')).toBeTruthy();
      expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);
      const thumbnail = Buffer.from(await (await fetchMedia(response.body.thumbnailUrl)).arrayBuffer());
      expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'jpeg', width: 512, height: 341 });
      const [row] = await sql('SELECT sha256, driver FROM media_files WHERE id = $1', [response.body.id]);
      expect(row).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), driver: 'local' });
    });

    it('answers Range requests so videos can seek', async () => {
      const video = clip;
      const response = await upload(alice.token, video, 'clip.mp4', 'video/mp4').expect(201);
      // Its poster comes just after the answer (see video.e2e-spec.ts).
      expect(response.body).toMatchObject({ kind: 'video', mimeType: 'video/mp4', thumbnailUrl: null, url: expect.stringMatching(/\/videos\/.*\.mp4$/) });
      const partial = await fetchMedia(response.body.url, { Range: 'bytes=10-19' });
      expect(partial.status).toBe(206);
      expect(partial.headers.get('content-range')).toBe(`bytes 10-19/${video.length}`);
      expect(Buffer.from(await partial.arrayBuffer()).equals(video.subarray(10, 20))).toBe(true);
      expect((await fetchMedia('/media/generated/nothing-here.png')).status).toBe(404);
    });

    it('saves a file under a readable name when asked: ?download= gives a Content-Disposition with the UTF-8 name', async () => {
      const response = await upload(alice.token, await png('#123456', 40, 30), 'x.png').expect(201);
      const plain = await fetchMedia(response.body.url);
      expect(plain.headers.get('content-disposition')).toBeNull();
      const named = await fetchMedia(`${response.body.url}?download=${encodeURIComponent('两只猫 在沙发上-2026-12-04.png')}`);
      expect(named.status).toBe(200);
      expect(named.headers.get('content-type')).toBe('image/png');
      const disposition = named.headers.get('content-disposition')!;
      expect(disposition).toMatch(/^attachment; filename="[^"]*\.png"; filename\*=UTF-8''/);
      expect(decodeURIComponent(disposition.split("UTF-8''")[1])).toBe('两只猫-在沙发上-2026-12-04.png');
      // Unsafe characters go; the extension stays the file's own.
      const unsafe = await fetchMedia(`${response.body.url}?download=${encodeURIComponent('../a"b.exe')}`);
      expect(unsafe.headers.get('content-disposition')).toBe('attachment; filename=a-b.png');
    });

    it('refuses unknown types with 415 and oversized files with 413, keeping nothing', async () => {
      const before = await sql('SELECT count(*)::int AS n FROM media_files');
      const text = await upload(alice.token, Buffer.from('<html>I am not an image</html>'), 'fake.png', 'image/png').expect(415);
      expect(text.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', message: 'Only JPG, PNG, WebP or GIF images or MP4, WebM or MOV videos can be used here' });
      await saveConfig({ maxFileSize: 2048 });
      try {
        const big = await upload(alice.token, await png('#00ff00', 600, 600)).expect(413);
        expect(big.body.message).toMatch(/larger than the limit of 2.0 KB/);
      } finally {
        await sql('DELETE FROM storage_settings');
      }
      await saveConfig({ allowedTypes: ['image/*'] });
      try {
        const video = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(100)]);
        const refused = await upload(alice.token, video, 'clip.mp4').expect(415);
        // Only what is taken here: images.
        expect(refused.body.message).toBe('Only JPG, PNG, WebP or GIF images can be used here');
      } finally {
        await sql('DELETE FROM storage_settings');
      }
      expect(await sql('SELECT count(*)::int AS n FROM media_files')).toEqual(before);
      const missing = await t.http.post('/api/v1/files/upload').set(bearer(alice.token)).field('other', 'x').expect(400);
      expect(missing.body.details[0].field).toBe('file');
      await t.http.post('/api/v1/files/upload').set(bearer(alice.token)).send({ file: 'x' }).expect(400);
      await t.http.post('/api/v1/files/upload').attach('file', Buffer.from('x'), 'x.png').expect(401);
    });
  });

  describe('dedup and deletion', () => {
    it('keeps identical bytes once, and deletes the object only with its last record', async () => {
      const bytes = await png('#0000ff', 300, 300);
      const first = (await upload(alice.token, bytes).expect(201)).body;
      const second = (await upload(bob.token, bytes, 'copy.png').expect(201)).body;
      expect(second.url).toBe(first.url);
      expect(second.thumbnailUrl).toBe(first.thumbnailUrl);
      expect(second.id).not.toBe(first.id);

      await t.http.delete(`/api/v1/files/generated/${first.id}`).set(bearer(alice.token)).expect(204);
      expect((await fetchMedia(second.url)).status).toBe(200);
      // Gone: 404, as tasks and history answer.
      await t.http.delete(`/api/v1/files/generated/${first.id}`).set(bearer(alice.token)).expect(404);
      await t.http.delete(`/api/v1/files/generated/${second.id}`).set(bearer(bob.token)).expect(204);
      expect((await fetchMedia(second.url)).status).toBe(404);
      expect((await fetchMedia(second.thumbnailUrl)).status).toBe(404);
    });

    it('never shows or deletes another user’s files', async () => {
      const file = (await upload(alice.token, await png('#abcdef', 50, 50)).expect(201)).body;
      await t.http.get(`/api/v1/files/generated/${file.id}`).set(bearer(bob.token)).expect(404);
      const bobs = await t.http.get('/api/v1/files/generated').set(bearer(bob.token)).expect(200);
      expect(bobs.body.items.map((f: { id: string }) => f.id)).not.toContain(file.id);
      const refused = await t.http.delete(`/api/v1/files/generated/${file.id}`).set(bearer(bob.token)).expect(404);
      expect(refused.body).toMatchObject({ statusCode: 404, message: 'File not found' });
      await t.http.get(`/api/v1/files/generated/${file.id}`).set(bearer(alice.token)).expect(200);
      expect((await fetchMedia(file.url)).status).toBe(200);
      await t.http.get('/api/v1/files/generated/not-a-uuid').set(bearer(alice.token)).expect(400);
    });
  });

  describe('listing', () => {
    it('filters, searches by file name or prompt, and pages with a cursor', async () => {
      const carol = await signUp(t.http, { name: 'Carol' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await upload(carol.token, await png(`#1${i}1${i}1${i}`, 20, 20), `shot-${i}.png`).expect(201)).body.id);
      await sql(`UPDATE media_files SET metadata = '{"prompt": "a red fox in snow"}', source = 'flux' WHERE id = $1`, [ids[1]]);
      const page1 = await t.http.get('/api/v1/files/generated').query({ limit: 2 }).set(bearer(carol.token)).expect(200);
      expect(page1.body.items.map((f: { id: string }) => f.id)).toEqual([ids[4], ids[3]]);
      const page2 = await t.http.get('/api/v1/files/generated').query({ limit: 2, cursor: page1.body.nextCursor }).set(bearer(carol.token)).expect(200);
      const page3 = await t.http.get('/api/v1/files/generated').query({ limit: 2, cursor: page2.body.nextCursor }).set(bearer(carol.token)).expect(200);
      expect([...page2.body.items, ...page3.body.items].map((f: { id: string }) => f.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(page3.body.nextCursor).toBeNull();

      const byPrompt = await t.http.get('/api/v1/files/generated').query({ search: 'FOX' }).set(bearer(carol.token)).expect(200);
      expect(byPrompt.body.items).toEqual([expect.objectContaining({ id: ids[1], prompt: 'a red fox in snow', source: 'flux' })]);
      const byName = await t.http.get('/api/v1/files/generated').query({ search: 'shot-3' }).set(bearer(carol.token)).expect(200);
      expect(byName.body.items.map((f: { id: string }) => f.id)).toEqual([ids[3]]);
      const bySource = await t.http.get('/api/v1/files/generated').query({ source: 'flux', kind: 'image' }).set(bearer(carol.token)).expect(200);
      expect(bySource.body.items.map((f: { id: string }) => f.id)).toEqual([ids[1]]);
      const videos = await t.http.get('/api/v1/files/generated').query({ kind: 'video' }).set(bearer(carol.token)).expect(200);
      expect(videos.body.items).toEqual([]);

      for (const [query, field] of [[{ kind: 'audio' }, 'kind'], [{ source: 'x' }, 'source'], [{ cursor: 'garbage' }, 'cursor'], [{ limit: 0 }, 'limit']] as const) {
        const bad = await t.http.get('/api/v1/files/generated').query(query).set(bearer(carol.token)).expect(400);
        expect(bad.body.details[0].field).toBe(field);
      }
    });
  });

  describe('ingest from URLs and the migration tool', () => {
    /** A real provider result on the sandbox CDN, as the provider modules will receive them. */
    const sandboxImageUrl = async (prompt: string): Promise<string> => {
      const headers = { Authorization: 'Key sandbox-fal-key', 'Content-Type': 'application/json' };
      const submitted = await (await fetch(`${t.baseUrl}/sandbox/fal/fal-ai/flux-1/schnell`, { method: 'POST', headers, body: JSON.stringify({ prompt, seed: 1 }) })).json();
      for (;;) {
        const result = await fetch(submitted.response_url, { headers });
        if (result.status === 200) return (await result.json()).images[0].url;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    };

    it('copies a provider URL through the guarded fetcher, and records a refusal with its reason', async () => {
      const ingest = t.app.get(IngestService);
      const stored = await ingest.ingestUrl(await sandboxImageUrl('copied'), { userId: alice.id, source: MediaSource.Flux, metadata: { prompt: 'copied' } });
      expect(stored).toMatchObject({ status: 'stored', kind: 'image', mimeType: 'image/jpeg', sourceUrl: null, width: 1024, height: 768 });
      expect(stored.url).toMatch(/^\/media\//);

      await expect(ingest.ingestUrl(`${t.baseUrl}/api/health`, { userId: alice.id, source: MediaSource.Flux })).rejects.toMatchObject({ reason: 'address' });
      const [failed] = await sql(`SELECT status, error, source_url FROM media_files WHERE source_url = $1`, [`${t.baseUrl}/api/health`]);
      expect(failed).toEqual({ status: 'failed', error: expect.stringMatching(/^Download refused: .* not a public address/), source_url: `${t.baseUrl}/api/health` });
      await sql(`DELETE FROM media_files WHERE status = 'failed'`);
    });

    it('copies images from URLs with the right thumbnail: none for a small one (it is its own), JPEG for a large one, WebP for a transparent one', async () => {
      const ingest = t.app.get(IngestService);
      const small = await ingest.ingestUrl(`${cdnOrigin}/img/400x300.jpg`, { userId: alice.id, source: MediaSource.Flux });
      expect(small).toMatchObject({ status: 'stored', mimeType: 'image/jpeg', width: 400, height: 300 });
      expect(small.thumbnailUrl).toBe(small.url);
      const large = await ingest.ingestUrl(`${cdnOrigin}/img/1600x900.jpg`, { userId: alice.id, source: MediaSource.Flux });
      expect(large.thumbnailUrl).toMatch(/\.thumb\.jpg$/);
      expect(await sharp(Buffer.from(await (await fetchMedia(large.thumbnailUrl!)).arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 512, height: 288 });
      const transparent = await ingest.ingestUrl(`${cdnOrigin}/img/1200x1200.png?alpha`, { userId: alice.id, source: MediaSource.Flux });
      expect(transparent.thumbnailUrl).toMatch(/\.thumb\.webp$/);
      expect(await sharp(Buffer.from(await (await fetchMedia(transparent.thumbnailUrl!)).arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 512, hasAlpha: true });

      // The small image's one object goes with its record.
      await t.http.delete(`/api/v1/files/generated/${small.id}`).set(bearer(alice.token)).expect(204);
      expect((await fetchMedia(small.url!)).status).toBe(404);
      for (const file of [large, transparent]) await t.http.delete(`/api/v1/files/generated/${file.id}`).set(bearer(alice.token)).expect(204);
      expect((await fetchMedia(large.thumbnailUrl!)).status).toBe(404);
    });

    it('copies large videos byte for byte into local and COS storage, and refuses one past the limit while it streams', async () => {
      const ingest = t.app.get(IngestService);
      const size = 9 * 1024 * 1024 + 12_345; // several COS parts and local buffers, none of them full at the end
      const expected = createHash('sha256').update(video(size)).digest('hex');
      try {
        for (const provider of ['local', 'cos']) {
          await saveConfig(provider === 'cos' ? { provider, sandbox: true } : { provider }).expect(200);
          for (const query of ['', '?chunked']) {
            const stored = await ingest.ingestUrl(`${cdnOrigin}/${size}.mp4${query}`, { userId: alice.id, source: MediaSource.Jimeng });
            expect(stored).toMatchObject({ status: 'stored', kind: 'video', mimeType: 'video/mp4', size, sha256: expected, driver: provider, width: 320, height: 240, duration: 2 });
            // The poster was made from our own copy: read back from COS into a temporary file there.
            expect((await fetchMedia(stored.posterUrl!)).status).toBe(200);
            const copy = Buffer.from(await (await fetchMedia(stored.url!)).arrayBuffer());
            expect(createHash('sha256').update(copy).digest('hex')).toBe(expected);
          }
        }
        await saveConfig({ maxFileSize: 4 * 1024 * 1024 }).expect(200);
        const tooBig = `${cdnOrigin}/${size}.mp4?chunked`;
        await expect(ingest.ingestUrl(tooBig, { userId: alice.id, source: MediaSource.Jimeng })).rejects.toMatchObject({ reason: 'size' });
        const [failed] = await sql(`SELECT status, error FROM media_files WHERE source_url = $1`, [tooBig]);
        expect(failed).toEqual({ status: 'failed', error: 'Download refused: The file is larger than 4194304 bytes' });
      } finally {
        await sql('DELETE FROM storage_settings');
        await sql(`DELETE FROM media_files WHERE source = 'jimeng'`);
      }
    });

    it('migrates every outside reference once, in the background, reporting failures; a second run copies nothing', async () => {
      const urls = [await sandboxImageUrl('one'), await sandboxImageUrl('two'), 'http://10.0.0.1/private.png'];
      for (const url of urls) {
        await sql(`INSERT INTO media_files (user_id, filename, source, status, source_url) VALUES ($1, 'old.jpg', 'kling', 'pending', $2)`, [bob.id, url]);
      }
      const started = await t.http.post('/api/v1/files/migrate').set(bearer(admin.token)).expect(202);
      await t.http.post('/api/v1/files/migrate').set(bearer(alice.token)).expect(403);
      await t.app.get(MigrationService).idle();
      const job = await t.http.get(`/api/v1/files/migrate/${started.body.jobId}`).set(bearer(admin.token)).expect(200);
      expect(job.body).toMatchObject({ status: 'finished', total: 3, done: 2, failed: 1 });
      expect(job.body.failures).toEqual([{ fileId: expect.any(String), url: 'http://10.0.0.1/private.png', reason: expect.stringContaining('not a public address') }]);
      const rows = await sql(`SELECT status, url FROM media_files WHERE source = 'kling' ORDER BY status`);
      expect(rows.map((r) => r.status)).toEqual(['stored', 'stored', 'failed']);

      const again = await t.http.post('/api/v1/files/migrate').set(bearer(admin.token)).expect(202);
      await t.app.get(MigrationService).idle();
      const second = await t.http.get(`/api/v1/files/migrate/${again.body.jobId}`).set(bearer(admin.token)).expect(200);
      expect(second.body).toMatchObject({ total: 1, done: 0, failed: 1 });
      expect(await sql(`SELECT count(*)::int AS n FROM media_files WHERE source = 'kling'`)).toEqual([{ n: 3 }]);
      await t.http.get('/api/v1/files/migrate/00000000-0000-4000-8000-000000000000').set(bearer(admin.token)).expect(404);
    });
  });

  describe('settings, COS and statistics', () => {
    afterEach(() => sql('DELETE FROM storage_settings'));

    it('shows local defaults, and is admin-only', async () => {
      await t.http.get('/api/v1/storage/config').set(bearer(alice.token)).expect(403);
      const config = await t.http.get('/api/v1/storage/config').set(bearer(admin.token)).expect(200);
      expect(config.body).toMatchObject({
        provider: 'local',
        enabled: true,
        activeDriver: 'local',
        allowedTypes: ['image/*', 'video/*'],
        maxFileSize: 104857600,
        basePath: 'generated/',
        imagePath: 'images/',
        videoPath: 'videos/',
        secretIdSet: false,
        secretKeySet: false,
        saved: false,
      });
      const test = await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200);
      expect(test.body).toMatchObject({ ok: true, provider: 'local' });
    });

    it('stores new files in the sandbox COS while old local files keep working', async () => {
      const local = (await upload(alice.token, await png('#111111', 40, 40)).expect(201)).body;
      await saveConfig({ provider: 'cos', sandbox: true }).expect(200);
      expect((await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200)).body).toMatchObject({ ok: true, provider: 'cos' });
      const cos = (await upload(alice.token, await png('#222222', 40, 40)).expect(201)).body;
      expect(cos.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/sandbox/cos/atelier-1250000000/generated/images/`));
      expect((await fetchMedia(cos.url)).status).toBe(200);
      expect((await fetchMedia(cos.thumbnailUrl)).status).toBe(200);
      expect((await fetchMedia(local.url)).status).toBe(200);
      await t.http.delete(`/api/v1/files/generated/${cos.id}`).set(bearer(alice.token)).expect(204);
      expect((await fetchMedia(cos.url)).status).toBe(404);
    });

    it('answers 404 for the file of a deleted record, and refuses null for a settings field with a 400 naming it', async () => {
      const stored = (await upload(alice.token, await png('#123456', 20, 20)).expect(201)).body;
      expect((await fetchMedia(stored.url)).status).toBe(200);
      await t.http.delete(`/api/v1/files/generated/${stored.id}`).set(bearer(alice.token)).expect(204);
      const gone = await fetchMedia(stored.url);
      expect(gone.status).toBe(404);
      expect(await gone.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'File not found' });
      for (const field of ['secretId', 'secretKey', 'region', 'bucket', 'domain', 'protocol', 'autoUpload', 'allowedTypes', 'maxFileSize', 'basePath', 'imagePath', 'videoPath', 'sandbox']) {
        const response = await saveConfig({ [field]: null }).expect(400);
        expect(response.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    });

    it('answers 502 and stays up when something other than COS answers a write with 200 text/plain "ok"', async () => {
      const fault = (plainText: number) =>
        fetch(`${t.baseUrl}/sandbox/_control/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ provider: 'cos', plainText }) });
      await saveConfig({ provider: 'cos', sandbox: true }).expect(200);
      expect((await fault(1)).status).toBe(200);
      try {
        // The SDK used to throw inside its own response listener here, ending the process.
        const refused = await upload(alice.token, await png('#445566', 30, 30)).expect(502);
        expect(refused.body).toMatchObject({ statusCode: 502, error: 'Bad Gateway' });
        expect(refused.body.message).toMatch(/^Storage failed: COS answered 200 \(text\/plain; charset=utf-8\) with "ok", which is not a COS answer/);
        const chinese = await upload(alice.token, await png('#445567', 30, 30)).set('Accept-Language', 'zh-CN').expect(502);
        expect(chinese.body.message).toMatch(/^存储失败：COS 返回了 200/);
        const test = await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200);
        expect(test.body).toMatchObject({ ok: false, provider: 'cos', reason: 'other', message: expect.stringContaining('not a COS answer') });
        expect((await sql(`SELECT count(*)::int AS n FROM media_files WHERE user_id = $1 AND status = 'stored' AND driver = 'cos'`, [alice.id]))[0].n).toBe(0);
        // Still up, and still answering.
        await t.http.get('/api/health').expect(200);
      } finally {
        await fault(0);
      }
      const stored = await upload(alice.token, await png('#445566', 30, 30)).expect(201);
      expect(stored.body.url).toMatch(/\/sandbox\/cos\//);
    });

    it('explains COS failures in plain words and never returns the secrets', async () => {
      const domain = `127.0.0.1:${new URL(t.baseUrl!).port}/sandbox/cos/{Bucket}`;
      const base = { provider: 'cos', region: 'ap-guangzhou', bucket: 'atelier-1250000000', domain, protocol: 'http:' };
      const saved = await saveConfig({ ...base, secretId: 'AKIDsandboxAtelier0000000000000000000', secretKey: 'not-the-secret-key' }).expect(200);
      expect(saved.body).toMatchObject({ secretIdSet: true, secretKeySet: true, activeDriver: 'cos' });
      expect(JSON.stringify(saved.body)).not.toMatch(/AKIDsandbox|not-the-secret-key/);
      const [row] = await sql('SELECT * FROM storage_settings');
      expect(JSON.stringify(row)).not.toMatch(/AKIDsandbox|not-the-secret-key/);
      const wrongKey = await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200);
      expect(wrongKey.body).toMatchObject({ ok: false, reason: 'credentials', message: expect.stringContaining('SignatureDoesNotMatch') });
      const refused = await upload(alice.token, await png('#333333', 10, 10)).expect(502);
      expect(refused.body.message).toMatch(/^Storage failed: COS refused the keys \(SignatureDoesNotMatch\)/);

      // Empty secrets keep the stored ones; a right key and a wrong bucket.
      await saveConfig({ ...base, secretKey: 'sandboxAtelierSecretKey0000000000', bucket: 'missing-1250000000' }).expect(200);
      const bucket = await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200);
      expect(bucket.body).toMatchObject({ ok: false, reason: 'bucket' });
      await saveConfig({ ...base }).expect(200);
      expect((await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200)).body).toMatchObject({ ok: true });
      const config = await t.http.get('/api/v1/storage/config').set(bearer(admin.token)).expect(200);
      expect(JSON.stringify(config.body)).not.toMatch(/AKIDsandbox|sandboxAtelierSecretKey/);

      // The driver through the real SDK: a missing object is "not there", not an error.
      const { StorageSettingsService } = await import('../src/modules/storage/storage-settings.service.js');
      const { StorageDriverName } = await import('../src/modules/storage/media-file.entity.js');
      const cosDriver = await t.app.get(StorageSettingsService).driverFor(StorageDriverName.Cos);
      expect(await cosDriver.head('generated/does-not-exist.png')).toBeNull();

      const network = await saveConfig({ ...base, domain: '127.0.0.1:1/{Bucket}' }).expect(200);
      expect(network.body.domain).toBe('127.0.0.1:1/{Bucket}');
      expect((await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200)).body).toMatchObject({ ok: false, reason: 'network' });
    });

    it('tests the form’s connection values before they are saved, keeping stored secrets for empty fields, and saves nothing', async () => {
      const domain = `127.0.0.1:${new URL(t.baseUrl!).port}/sandbox/cos/{Bucket}`;
      const base = { provider: 'cos', region: 'ap-guangzhou', bucket: 'atelier-1250000000', domain, protocol: 'http:' };
      const check = (body: object, language = 'en') =>
        t.http.post('/api/v1/storage/config/check').set(bearer(admin.token)).set('Accept-Language', language).send(body);

      // Nothing saved yet: the form's keys are what is tested.
      const good = await check({ ...base, secretId: 'AKIDsandboxAtelier0000000000000000000', secretKey: 'sandboxAtelierSecretKey0000000000' }).expect(200);
      expect(good.body).toEqual({ ok: true, provider: 'cos', reason: null, message: 'COS works: the bucket answered and a probe file was written and deleted' });
      expect(await sql('SELECT * FROM storage_settings')).toEqual([]);
      const missing = await check({ ...base }, 'zh-CN').expect(200);
      expect(missing.body).toEqual({ ok: false, provider: 'cos', reason: 'config', message: 'COS 缺少 SecretId、SecretKey、地域或存储桶' });

      // Saved with a wrong key: the saved test fails, the form's right key passes; an empty key field keeps the stored one.
      await saveConfig({ ...base, secretId: 'AKIDsandboxAtelier0000000000000000000', secretKey: 'not-the-secret-key' }).expect(200);
      expect((await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200)).body).toMatchObject({ ok: false, reason: 'credentials' });
      expect((await check({ ...base, secretKey: 'sandboxAtelierSecretKey0000000000' }).expect(200)).body).toMatchObject({ ok: true });
      const stored = await check({ ...base, secretId: '', secretKey: '' }, 'zh-CN').expect(200);
      expect(stored.body).toMatchObject({ ok: false, reason: 'credentials', message: expect.stringMatching(/^COS 拒绝了密钥（SignatureDoesNotMatch）：请检查 SecretId 和 SecretKey$/) });
      const wrongBucket = await check({ ...base, secretKey: 'sandboxAtelierSecretKey0000000000', bucket: 'missing-1250000000' }, 'zh-CN').expect(200);
      expect(wrongBucket.body).toMatchObject({ ok: false, reason: 'bucket', message: '找不到存储桶：请检查其名称（name-appid）和地域' });
      // Still the saved settings: the checks changed nothing.
      const [row] = await sql('SELECT bucket FROM storage_settings');
      expect(row.bucket).toBe('atelier-1250000000');
      expect((await t.http.post('/api/v1/storage/test').set(bearer(admin.token)).expect(200)).body).toMatchObject({ ok: false, reason: 'credentials' });

      expect((await check({ provider: 'local' }, 'zh-CN').expect(200)).body).toEqual({ ok: true, provider: 'local', reason: null, message: '本地存储可用：数据文件夹可写' });
      expect((await check({ provider: 'cos', sandbox: true }).expect(200)).body).toMatchObject({ ok: true, provider: 'cos' });
      expect((await check({ ...base, bucket: 'nohyphen' }).expect(400)).body.details[0].field).toBe('bucket');
      expect((await check({ ...base, enabled: true }).expect(400)).body.details[0].field).toBe('enabled');
      await t.http.post('/api/v1/storage/config/check').set(bearer(alice.token)).send({ provider: 'local' }).expect(403);
    });

    it.each([
      [{ provider: 'cos', secretId: 'x', secretKey: 'y', region: 'ap-guangzhou' }, 'bucket'],
      [{ provider: 'cos', bucket: 'nohyphen' }, 'bucket'],
      [{ region: 'cos.ap-guangzhou' }, 'region'],
      [{ allowedTypes: ['text/*'] }, 'allowedTypes'],
      [{ maxFileSize: 10 }, 'maxFileSize'],
      [{ basePath: '../up/' }, 'basePath'],
      [{ imagePath: 'no-slash' }, 'imagePath'],
      [{ domain: 'https://cdn.example.com' }, 'domain'],
      [{ provider: 'dropbox' }, 'provider'],
    ])('rejects %j naming %s', async (body, field) => {
      const response = await saveConfig(body).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('computes statistics from the records', async () => {
      await sql('DELETE FROM media_files');
      const rows: Array<[string, string, string, number, string, string]> = [
        [alice.id, 'image', 'flux', 1000, 'stored', '0 days'],
        [alice.id, 'image', 'flux', 3000, 'stored', '1 day'],
        [bob.id, 'video', 'kling', 10_000, 'stored', '2 days'],
        [bob.id, 'image', 'upload', 500, 'stored', '10 days'],
        [alice.id, 'image', 'midjourney', 0, 'failed', '0 days'],
        [bob.id, 'image', 'jimeng', 0, 'pending', '0 days'],
      ];
      for (const [user, kind, source, size, status, age] of rows) {
        await sql(
          `INSERT INTO media_files (user_id, filename, kind, source, size, status, driver, key, error, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'local', $7, $8, now() - $9::interval)`,
          [user, `${source}.bin`, kind, source, status === 'stored' ? size : null, status, status === 'stored' ? `k/${source}/${size}` : null, status === 'failed' ? 'provider link expired' : null, age],
        );
      }
      const { body } = await t.http.get('/api/v1/storage/stats').set(bearer(admin.token)).expect(200);
      expect(body).toMatchObject({ totalBytes: 14_500, totalSize: '14 KB', storedBytes: 14_500, totalFiles: 6, storedFiles: 4, pendingFiles: 1, failedFiles: 1, successRate: 0.8 });
      expect(body.byKind).toEqual([
        { kind: 'image', count: 3, bytes: 4500 },
        { kind: 'video', count: 1, bytes: 10_000 },
      ]);
      expect(body.bySource[0]).toEqual({ source: 'kling', count: 1, bytes: 10_000 });
      expect(body.topUsers.map((u: { name: string; bytes: number }) => [u.name, u.bytes])).toEqual([['Bob', 10_500], ['Alice', 4000]]);
      expect(body.last7Days).toHaveLength(7);
      expect(body.last7Days.map((d: { count: number }) => d.count).reduce((a: number, b: number) => a + b)).toBe(3);
      expect(body.last7Days[6]).toMatchObject({ count: 1, bytes: 1000 });
      expect(body.recentFailures).toEqual([expect.objectContaining({ source: 'midjourney', error: 'provider link expired' })]);
      await t.http.get('/api/v1/storage/stats').set(bearer(alice.token)).expect(403);
    });
  });
});
