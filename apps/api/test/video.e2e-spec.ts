import { chmod, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import sharp from 'sharp';
import { IngestService } from '../src/modules/storage/ingest.service.js';
import { MediaSource } from '../src/modules/storage/media-file.entity.js';
import { VideoFramesService } from '../src/modules/storage/video/video-frames.service.js';
import { bearer, queryDatabase, signUp, startTestApp, type TestApp } from './test-app.js';
import { corruptMp4, makeVideo, moovOffset, type VideoFixture } from './video-fixtures.js';

/** Every file under a folder, recursively (what the local driver keeps). */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('videos in storage', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  const fixtures = new Map<string, Buffer>();
  /** Serves the fixtures by name, allow-listed, as a provider's CDN would. */
  let cdn: Server;
  let cdnOrigin: string;

  const sql = (query: string, params: unknown[] = []) => queryDatabase(t.database, query, params);
  const upload = (token: string, bytes: Buffer, filename: string, language = 'en') =>
    t.http.post('/api/v1/files/upload').set(bearer(token)).set('Accept-Language', language).attach('file', bytes, { filename, contentType: 'application/octet-stream' });
  const fetchMedia = (url: string) => fetch(url.startsWith('http') ? url : `${t.baseUrl}${url}`);
  const image = async (url: string) => sharp(Buffer.from(await (await fetchMedia(url)).arrayBuffer())).metadata();
  /** An upload's poster is made just after the answer (ffmpeg never runs on a request's path for more than metadata). */
  const withPoster = async (token: string, id: string) => {
    for (let attempt = 0; attempt < 300; attempt++) {
      const file = (await t.http.get(`/api/v1/files/generated/${id}`).set(bearer(token)).expect(200)).body;
      if (file.posterUrl) return file;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`The poster of ${id} was never made`);
  };

  beforeAll(async () => {
    for (const kind of ['mp4-faststart', 'mp4-moov-at-end', 'mov', 'webm'] as const) fixtures.set(kind, await makeVideo(kind));
    fixtures.set('hd', await makeVideo('mp4-faststart', { width: 1280, height: 720, seconds: 1 }));
    fixtures.set('corrupt', corruptMp4());
    cdn = createServer((req, res) => {
      const bytes = fixtures.get((req.url ?? '/').slice(1).replace(/\.mp4$/, ''));
      if (!bytes) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': bytes.length }).end(bytes);
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    cdnOrigin = `http://127.0.0.1:${(cdn.address() as { port: number }).port}`;
    t = await startTestApp({ listen: true, env: { FETCH_ALLOWLIST: `${cdnOrigin}/` } });
    admin = await signUp(t.http, { name: 'Admin' });
    alice = await signUp(t.http, { name: 'Alice' });
    bob = await signUp(t.http, { name: 'Bob' });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => cdn.close(resolve));
  });

  it('makes fixtures of both MP4 layouts: moov before and after the media data', () => {
    const faststart = fixtures.get('mp4-faststart')!;
    const atEnd = fixtures.get('mp4-moov-at-end')!;
    expect(moovOffset(faststart)).toBeLessThan(faststart.indexOf('mdat', 0, 'latin1'));
    expect(moovOffset(atEnd)).toBeGreaterThan(atEnd.indexOf('mdat', 0, 'latin1'));
  });

  it.each([
    ['mp4-faststart', 'video/mp4', 'mp4'],
    ['mp4-moov-at-end', 'video/mp4', 'mp4'],
    ['mov', 'video/quicktime', 'mov'],
    ['webm', 'video/webm', 'webm'],
  ] as Array<[VideoFixture, string, string]>)('stores a %s upload with its duration, size and a JPEG poster that is also its thumbnail', async (kind, mimeType, ext) => {
    const bytes = fixtures.get(kind)!;
    const response = await upload(alice.token, bytes, `clip.${ext}`).expect(201);
    expect(response.body).toMatchObject({
      kind: 'video',
      mimeType,
      size: bytes.length,
      width: 320,
      height: 240,
      durationSeconds: expect.closeTo(2, 1),
      url: expect.stringMatching(new RegExp(`/videos/.*\\.${ext}$`)),
      // Made after the answer.
      posterUrl: null,
      status: 'stored',
    });
    expect(response.body.duration).toBe(response.body.durationSeconds);
    const stored = await withPoster(alice.token, response.body.id);
    expect(stored).toMatchObject({ posterUrl: expect.stringMatching(/\/videos\/.*\.poster\.jpg$/), durationSeconds: response.body.durationSeconds });
    expect(stored.thumbnailUrl).toBe(stored.posterUrl);
    expect(await image(stored.posterUrl)).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
  });

  it('scales a large video\'s poster into 512 px, and deletes it with the video', async () => {
    const response = await upload(alice.token, fixtures.get('hd')!, 'hd.mp4').expect(201);
    expect(response.body).toMatchObject({ width: 1280, height: 720, durationSeconds: expect.closeTo(1, 1) });
    const { posterUrl } = await withPoster(alice.token, response.body.id);
    expect(await image(posterUrl)).toMatchObject({ format: 'jpeg', width: 512, height: 288 });
    await t.http.delete(`/api/v1/files/generated/${response.body.id}`).set(bearer(alice.token)).expect(204);
    expect((await fetchMedia(posterUrl)).status).toBe(404);
    expect((await fetchMedia(response.body.url)).status).toBe(404);
  });

  it('refuses a "video" ffprobe cannot read with 415, in the request\'s language, keeping nothing', async () => {
    const before = await sql('SELECT count(*)::int AS n FROM media_files');
    const filesBefore = await filesUnder(join(t.dataDir, 'media'));
    const refused = await upload(alice.token, fixtures.get('corrupt')!, 'broken.mp4').expect(415);
    expect(refused.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringMatching(/^The video could not be read: ffprobe: /) });
    const chinese = await upload(alice.token, fixtures.get('corrupt')!, 'broken.mp4', 'zh-CN').expect(415);
    expect(chinese.body.message).toMatch(/^视频无法读取，文件可能已损坏/);
    expect(await sql('SELECT count(*)::int AS n FROM media_files')).toEqual(before);
    expect(await filesUnder(join(t.dataDir, 'media'))).toEqual(filesBefore);
  });

  it('stores a provider\'s video from a URL with its poster, and fails one ffprobe cannot read as a storage failure with the reason', async () => {
    const ingest = t.app.get(IngestService);
    const stored = await ingest.ingestUrl(`${cdnOrigin}/mp4-moov-at-end.mp4`, { userId: alice.id, source: MediaSource.Kling });
    expect(stored).toMatchObject({ status: 'stored', kind: 'video', width: 320, height: 240, posterUrl: expect.stringMatching(/\.poster\.jpg$/) });
    expect(stored.duration).toBeCloseTo(2, 1);

    const broken = `${cdnOrigin}/corrupt.mp4`;
    await expect(ingest.ingestUrl(broken, { userId: alice.id, source: MediaSource.Kling })).rejects.toMatchObject({ status: 415 });
    const [failed] = await sql('SELECT status, error, key FROM media_files WHERE source_url = $1', [broken]);
    expect(failed).toMatchObject({ status: 'failed', key: null, error: expect.stringMatching(/^The video could not be read: ffprobe: /) });
  });

  it('reads videos kept in COS from a copy made while they stream, and takes frames from a temporary download', async () => {
    await t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'cos', enabled: true, sandbox: true }).expect(200);
    // Temporary files go to a folder of this test's own (tmpdir() reads TMPDIR), to see that none stay.
    const temporary = await mkdtemp(join(tmpdir(), 'video-spec-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = temporary;
    try {
      const stored = await upload(alice.token, fixtures.get('webm')!, 'clip.webm').expect(201);
      expect(stored.body).toMatchObject({ width: 320, height: 240, durationSeconds: expect.closeTo(2, 1) });
      const { posterUrl } = await withPoster(alice.token, stored.body.id);
      expect(posterUrl).toMatch(/^https?:\/\/.*\.poster\.jpg$/);
      expect(await image(posterUrl)).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
      const frame = await t.app.get(VideoFramesService).storeFrame(alice.id, stored.body.id, 'last');
      expect(frame).toMatchObject({ kind: 'image', driver: 'cos', width: 320, height: 240 });
      const refused = await upload(alice.token, fixtures.get('corrupt')!, 'broken.mp4').expect(415);
      expect(refused.body.message).toMatch(/^The video could not be read/);
      // A copy was made while streaming, and removed.
      expect(await readdir(temporary)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await sql('DELETE FROM storage_settings');
    }
  });

  it('answers 503 with a clear message when ffprobe cannot be executed, keeping nothing', async () => {
    const notExecutable = join(t.dataDir, 'ffprobe');
    await writeFile(notExecutable, '#!/bin/sh\n');
    await chmod(notExecutable, 0o644);
    const before = await sql('SELECT count(*)::int AS n FROM media_files');
    process.env.FFPROBE_PATH = notExecutable;
    try {
      const refused = await upload(alice.token, fixtures.get('mp4-faststart')!, 'clip.mp4').expect(503);
      expect(refused.body.message).toContain(`${notExecutable} cannot be executed by this process: run \`chmod +x ${notExecutable}\``);
    } finally {
      delete process.env.FFPROBE_PATH;
    }
    expect(await sql('SELECT count(*)::int AS n FROM media_files')).toEqual(before);
  });

  it('warns at start-up when ffprobe cannot be run', async () => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    process.env.FFPROBE_PATH = join(t.dataDir, 'no-ffprobe-here');
    const other = await startTestApp();
    try {
      expect(warned.mock.calls.map(([message]) => String(message))).toContainEqual(expect.stringMatching(/^Videos cannot be stored until this is fixed: ffprobe not found at .*no-ffprobe-here: install it there or set FFPROBE_PATH$/));
    } finally {
      delete process.env.FFPROBE_PATH;
      warned.mockRestore();
      await other.close();
    }
  });

  describe('frames of stored videos as new images (for "use the last frame as the start frame")', () => {
    let videoId: string;
    beforeAll(async () => {
      videoId = (await upload(alice.token, fixtures.get('mp4-moov-at-end')!, 'walk.mp4').expect(201)).body.id;
    });

    it('stores the last frame and a frame at a time as full-size JPEG images of the owner', async () => {
      const frames = t.app.get(VideoFramesService);
      const last = await frames.storeFrame(alice.id, videoId, 'last', { source: MediaSource.Kling });
      expect(last).toMatchObject({ userId: alice.id, kind: 'image', mimeType: 'image/jpeg', width: 320, height: 240, status: 'stored', source: 'kling', originalFilename: 'walk-last.jpg' });
      expect(last.metadata).toMatchObject({ frameOf: videoId, frameAt: 'last' });
      const first = await frames.storeFrame(alice.id, videoId, 0);
      expect(first).toMatchObject({ kind: 'image', width: 320, height: 240, source: 'upload', originalFilename: 'walk-0s.jpg' });
      // The test pattern moves every frame: the first and the last differ.
      expect(first.sha256).not.toBe(last.sha256);
      // The new images are the user's files like any other.
      const listed = await t.http.get(`/api/v1/files/generated/${last.id}`).set(bearer(alice.token)).expect(200);
      expect(listed.body).toMatchObject({ kind: 'image', posterUrl: null, durationSeconds: null });
      expect(await image(last.url!)).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    });

    it('refuses another user\'s video (404), a time outside the video (400 naming at) and a file that is not a video (422)', async () => {
      const frames = t.app.get(VideoFramesService);
      await expect(frames.storeFrame(bob.id, videoId, 'last')).rejects.toMatchObject({ status: 404 });
      await expect(frames.storeFrame(alice.id, videoId, 30)).rejects.toMatchObject({ status: 400, details: [{ field: 'at', messages: [expect.stringMatching(/^at must be between 0 and 2/)] }] });
      await expect(frames.storeFrame(alice.id, videoId, -1)).rejects.toMatchObject({ status: 400 });
      const picture = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#333' } }).png().toBuffer();
      const { body } = await upload(alice.token, picture, 'p.png').expect(201);
      await expect(frames.storeFrame(alice.id, body.id, 'last')).rejects.toMatchObject({ status: 422 });
    });
  });
});
