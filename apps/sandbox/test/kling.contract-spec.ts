import { KlingClient, type KlingError, type KlingTask, type KlingVideoFamily, signKlingToken, toKlingImage } from '@atelier/providers/kling';
import axios from 'axios';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ffmpegPath, probeVideo } from '../src/kling/ffmpeg.js';
import { SANDBOX_CREDENTIALS } from '../src/index.js';
import { type RunningSandbox, sleep, startSandbox, waitFor } from './sandbox-server.js';

const { accessKey, secretKey } = SANDBOX_CREDENTIALS.kling;

async function png(width: number, height: number, background: string): Promise<string> {
  return toKlingImage(await sharp({ create: { width, height, channels: 3, background } }).png().toBuffer());
}

const download = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('video/mp4');
  return Buffer.from(await response.arrayBuffer());
};

describe('Kling sandbox', () => {
  let s: RunningSandbox;
  let kling: KlingClient;
  let work: string;
  const base = () => `${s.base}/kling`;
  const client = (options: Partial<ConstructorParameters<typeof KlingClient>[0]> = {}) => new KlingClient({ baseUrl: base(), accessKey, secretKey, timeoutMs: 10_000, ...options });

  beforeAll(async () => {
    s = await startSandbox();
    kling = client();
    work = mkdtempSync(join(tmpdir(), 'kling-contract-'));
  });
  afterAll(async () => {
    await s.close();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => fetch(`${s.base}/_control/reset`, { method: 'POST' }));

  const control = (path: string, body: object) => fetch(`${s.base}/_control/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  const finished = (family: KlingVideoFamily, id: string) =>
    waitFor(async () => {
      const task = await kling.getTask(family, id);
      return task?.terminal ? task : undefined;
    }, 20_000);

  const succeed = async (family: KlingVideoFamily, submitted: Promise<KlingTask>): Promise<KlingTask> => {
    const task = await finished(family, (await submitted).id);
    expect([task.status, task.statusMessage]).toEqual(['succeed', '']);
    return task;
  };

  /** Saves and probes a result video. */
  const probe = async (url: string) => {
    const file = join(work, `${Math.random().toString(36).slice(2)}.mp4`);
    writeFileSync(file, await download(url));
    return { file, ...(await probeVideo(file)) };
  };

  /** The mean colour of one frame (ffmpeg decodes it), as [r, g, b]. */
  const frameColor = async (file: string, seconds: number): Promise<number[]> => {
    const out = join(work, `frame-${Math.random().toString(36).slice(2)}.png`);
    execFileSync(ffmpegPath(), ['-loglevel', 'error', '-y', '-ss', String(seconds), '-i', file, '-frames:v', '1', out]);
    const { channels } = await sharp(out).stats();
    return channels.slice(0, 3).map((c) => Math.round(c.mean));
  };

  it('text2video: submitted → processing → succeed with a real MP4 that ffprobe reads; the same request gives the same bytes', async () => {
    const submitted = await kling.text2video({ prompt: 'a lighthouse at dusk', model_name: 'kling-v1-6', external_task_id: 'ours-t2v-1' });
    expect(submitted).toMatchObject({ status: 'submitted', externalTaskId: 'ours-t2v-1', id: expect.stringMatching(/^\d{18,}$/) });
    expect(typeof submitted.raw.created_at).toBe('number');
    const task = await succeed('text2video', Promise.resolve(submitted));
    expect(task.videos).toHaveLength(1);
    expect(task.videos[0]).toMatchObject({ duration: '5.0', durationSeconds: 5, id: expect.stringMatching(/^\d+$/) });
    expect(task.finalUnitDeduction).toBe('1');
    const video = await probe(task.videos[0].url);
    expect(video).toMatchObject({ width: 568, height: 320, videoCodec: 'h264', hasAudio: false });
    expect(video.formatName).toContain('mp4');
    expect(video.durationSeconds).toBeCloseTo(5, 1);

    const again = await succeed('text2video', kling.text2video({ prompt: 'a lighthouse at dusk', model_name: 'kling-v1-6' }));
    expect(again.id).not.toBe(task.id);
    expect(Buffer.compare(await download(again.videos[0].url), await download(task.videos[0].url))).toBe(0);

    const tall = await succeed('text2video', kling.text2video({ prompt: 'a red fox', aspect_ratio: '9:16', duration: '10', model_name: 'kling-v2-6', mode: 'pro', sound: 'on' }));
    const tallVideo = await probe(tall.videos[0].url);
    expect(tallVideo).toMatchObject({ width: 320, height: 568, hasAudio: true });
    expect(tallVideo.durationSeconds).toBeCloseTo(10, 1);
    // Another prompt, other pictures.
    expect(await frameColor(tallVideo.file, 2)).not.toEqual(await frameColor(video.file, 2));
  });

  it('image2video: the start frame opens the video, the end frame closes it, the size follows the image', async () => {
    const task = await succeed('image2video', kling.image2video({ image: await png(600, 450, '#ff0000'), image_tail: await png(600, 450, '#0000ff'), mode: 'pro', prompt: 'from red to blue' }));
    const video = await probe(task.videos[0].url);
    expect(video).toMatchObject({ width: 426, height: 320 });
    const [r0, g0, b0] = await frameColor(video.file, 0.2);
    expect(r0).toBeGreaterThan(200);
    expect(g0 + b0).toBeLessThan(80);
    const [r1, g1, b1] = await frameColor(video.file, 4.7);
    expect(b1).toBeGreaterThan(200);
    expect(r1 + g1).toBeLessThan(80);
    const middle = await frameColor(video.file, 2.5);
    expect(middle).not.toEqual([r0, g0, b0]);

    // Only a start frame, given by URL: an image of another shape.
    const bytes = Buffer.from(await png(300, 600, '#00ff00'), 'base64');
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(bytes));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/portrait.png`;
      const portrait = await succeed('image2video', kling.image2video({ image: url, model_name: 'kling-v2-1' }));
      const video = await probe(portrait.videos[0].url);
      expect(video).toMatchObject({ width: 320, height: 640 });
      expect((await frameColor(video.file, 0.2))[1]).toBeGreaterThan(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A request our client would refuse before sending, sent raw: the sandbox judges it itself. */
  const raw = (family: KlingVideoFamily, body: object) =>
    axios.post(`${base()}/v1/videos/${family}`, body, { headers: { Authorization: `Bearer ${signKlingToken(accessKey, secretKey, Math.floor(Date.now() / 1000))}` }, validateStatus: () => true });

  it('refuses what Kling refuses: images (a data: prefix, too small, too long, over 10 MB), models, fields (1201, 1203)', async () => {
    const image = await png(400, 400, '#808080');
    const answer = await raw('image2video', { image: `data:image/png;base64,${image}` });
    expect(answer.status).toBe(400);
    expect(answer.data).toMatchObject({ code: 1201, message: expect.stringContaining('data: prefix'), request_id: expect.any(String) });
    expect(answer.data).not.toHaveProperty('data');
    await expect(kling.image2video({ image: await png(200, 200, '#808080') })).rejects.toMatchObject({ kind: 'validation', details: { code: 1201, status: 400 } });
    await expect(kling.image2video({ image: await png(1000, 300, '#808080') })).rejects.toMatchObject({ kind: 'validation', details: { code: 1201 } });
    const huge = Buffer.alloc(11 * 1024 * 1024);
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': huge.length }).end(huge));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/huge.png`;
      await expect(kling.image2video({ image: url })).rejects.toMatchObject({ kind: 'validation', message: expect.stringContaining('10MB') });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }

    const refusals = await Promise.all([
      raw('text2video', { model_name: 'kling-v9', prompt: 'x' }),
      raw('text2video', { model_name: 'kling-v2-1', prompt: 'x' }),
      raw('text2video', { model_name: 'kling-v2-master', prompt: 'x', cfg_scale: 0.5 }),
      raw('text2video', { prompt: 'x', duration: 5 }),
      raw('text2video', { prompt: 'x', camera_control: { type: 'simple', config: { zoom: 2, pan: 1 } } }),
      raw('text2video', { prompt: 'x', sound: 'on' }),
      raw('image2video', { image: image, image_tail: image }),
      raw('text2video', {}),
    ]);
    expect(refusals.map((r) => [r.status, r.data.code])).toEqual([[404, 1203], [400, 1201], [400, 1201], [400, 1201], [400, 1201], [400, 1201], [400, 1201], [400, 1201]]);
    expect(await kling.listTasks('text2video')).toEqual([]);
  });

  it('JWT: each failure has its documented code', async () => {
    const hour = 3600_000;
    const noHeader = await axios.get(`${base()}/v1/videos/text2video/1`, { validateStatus: () => true });
    expect([noHeader.status, noHeader.data.code]).toEqual([401, 1001]);
    const garbage = await axios.get(`${base()}/v1/videos/text2video/1`, { headers: { Authorization: 'Bearer not-a-jwt' }, validateStatus: () => true });
    expect([garbage.status, garbage.data.code]).toEqual([401, 1002]);
    const cases: Array<[string, KlingClient, number]> = [
      ['bad signature', client({ secretKey: 'wrong-secret' }), 1000],
      ['wrong issuer', client({ accessKey: 'another-access-key' }), 1000],
      ['not yet valid', client({ now: () => Date.now() + hour }), 1003],
      ['expired', client({ now: () => Date.now() - hour }), 1004],
    ];
    for (const [what, bad, code] of cases) {
      const error = (await bad.getTask('text2video', '1').catch((e: unknown) => e)) as KlingError;
      expect([what, error.kind, error.details.code, error.details.status]).toEqual([what, 'auth', code, 401]);
    }
  });

  it('trigger words: balance (1102, not retryable), policy (1301, content flagged), busy (1303, retryable), fail (a failed task)', async () => {
    const balance = (await kling.text2video({ prompt: 'x sandbox:balance' }).catch((e: unknown) => e)) as KlingError;
    expect([balance.kind, balance.details.code, balance.details.status, balance.retryable]).toEqual(['balance', 1102, 429, false]);
    const policy = (await kling.text2video({ prompt: 'x sandbox:policy' }).catch((e: unknown) => e)) as KlingError;
    expect([policy.kind, policy.details.code, policy.contentFlagged]).toEqual(['policy', 1301, true]);
    const busy = (await kling.text2video({ prompt: 'x sandbox:busy' }).catch((e: unknown) => e)) as KlingError;
    expect([busy.kind, busy.details.code, busy.retryable]).toEqual(['busy', 1303, true]);
    const failed = await finished('text2video', (await kling.text2video({ prompt: 'x sandbox:fail' })).id);
    expect(failed).toMatchObject({ status: 'failed', phase: 'failed', videos: [], statusMessage: expect.stringMatching(/risk control/) });
    // Refused submissions made no task.
    expect(await kling.listTasks('text2video')).toHaveLength(1);
  });

  it('external_task_id: unique, found in its own family only; a lost answer is recovered with exactly one job', async () => {
    const first = await kling.text2video({ prompt: 'a cat', external_task_id: 'ours-42' });
    await expect(kling.text2video({ prompt: 'a cat', external_task_id: 'ours-42' })).rejects.toMatchObject({ kind: 'validation', details: { code: 1201 } });
    expect((await kling.getTaskByExternalId('text2video', 'ours-42'))?.id).toBe(first.id);
    expect(await kling.getTaskByExternalId('image2video', 'ours-42')).toBeNull();
    expect(await kling.getTask('image2video', first.id)).toBeNull();
    expect(await kling.getTask('text2video', '999999999999999999')).toBeNull();
    // Kling says the id is taken: submitOnce answers with the existing task.
    expect(await kling.submitOnce('text2video', { prompt: 'a cat', external_task_id: 'ours-42' })).toMatchObject({ recovered: true, task: { id: first.id } });

    // The answer to the POST is lost after the sandbox took the job (a reset connection).
    const http = axios.create();
    let drop = true;
    http.interceptors.response.use((response) => {
      if (drop && response.config.method === 'post') {
        drop = false;
        throw new Error('socket hang up');
      }
      return response;
    });
    const lossy = client({ http });
    const recovered = await lossy.submitOnce('text2video', { prompt: 'a dog', external_task_id: 'ours-43' });
    expect(recovered.recovered).toBe(true);
    // Asked again later (the engine's retry): looked up, not sent.
    expect(await lossy.submitOnce('text2video', { prompt: 'a dog', external_task_id: 'ours-43' })).toMatchObject({ recovered: true, task: { id: recovered.task.id } });
    const tasks = (await kling.listTasks('text2video')).filter((t) => t.externalTaskId === 'ours-43');
    expect(tasks).toHaveLength(1);
    const requests = (await (await fetch(`${s.base}/_control/requests?provider=kling`)).json()) as Array<{ method: string; path: string }>;
    expect(requests.filter((r) => r.method === 'POST' && r.path.endsWith('/text2video'))).toHaveLength(3);
    const fresh = await kling.submitOnce('image2video', { image: await png(400, 400, '#123456'), external_task_id: 'ours-44' });
    expect(fresh).toMatchObject({ recovered: false, task: { externalTaskId: 'ours-44', status: 'submitted' } });
  });

  it('callback_url gets the task (no envelope) on every change', async () => {
    const received: Array<Record<string, unknown>> = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const submitted = await kling.text2video({ prompt: 'a bird', callback_url: `http://127.0.0.1:${port}/hook?t=abc`, external_task_id: 'ours-cb' });
      await finished('text2video', submitted.id);
      await waitFor(() => (received.length >= 2 ? true : undefined));
      await sleep(100);
      // Fire-and-forget POSTs: on a loaded machine they may arrive in either order.
      expect(received.map((r) => r.task_status).sort()).toEqual(['processing', 'succeed']);
      const done = received.find((r) => r.task_status === 'succeed')!;
      expect(done).toMatchObject({ task_id: submitted.id, task_info: { external_task_id: 'ours-cb' }, task_result: { videos: [{ url: expect.stringContaining('/kling-cdn/'), duration: '5.0' }] } });
      expect(done).not.toHaveProperty('code');
      expect(typeof done.updated_at).toBe('number');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('result URLs are signed and expire; Range requests are answered', async () => {
    await control('timing', { outputTtlSeconds: 1 });
    try {
      const task = await succeed('text2video', kling.text2video({ prompt: 'a short-lived link', watermark_info: { enabled: true } }));
      const { url, watermarkUrl } = task.videos[0];
      expect(watermarkUrl).toContain('/kling-cdn/');
      const part = await fetch(url, { headers: { Range: 'bytes=0-99' } });
      expect(part.status).toBe(206);
      expect((await part.arrayBuffer()).byteLength).toBe(100);
      expect((await fetch(url.replace(/x-signature=([0-9a-f])/, (_, c: string) => `x-signature=${c === '0' ? '1' : '0'}`))).status).toBe(403);
      const expires = Number(new URL(url).searchParams.get('x-expires'));
      await sleep(Math.max(0, expires * 1000 - Date.now()) + 50);
      expect((await fetch(url)).status).toBe(403);
    } finally {
      await control('timing', { outputTtlSeconds: 3600 });
    }
  });

  it('faults are injected and requests recorded under provider kling', async () => {
    await control('faults', { provider: 'kling', http500: 1 });
    await expect(kling.getTask('text2video', '1')).rejects.toMatchObject({ kind: 'retryable', details: { code: 5000, status: 500 } });
    await control('faults', { provider: 'kling', http429: 1 });
    await expect(kling.text2video({ prompt: 'x' })).rejects.toMatchObject({ kind: 'busy', details: { code: 1302, status: 429 } });
    const requests = (await (await fetch(`${s.base}/_control/requests?provider=kling`)).json()) as unknown[];
    expect(requests).toHaveLength(2);
  });
});
