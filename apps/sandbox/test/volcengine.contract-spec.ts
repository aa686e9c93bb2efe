import { sha256Hex, signVolcRequest, type VolcClientOptions, type VolcError, type VolcModel, type VolcTaskInput, type VolcTaskResult, VolcVisualClient } from '@atelier/providers/volcengine';
import axios from 'axios';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { probeVideo } from '../src/kling/ffmpeg.js';
import { SANDBOX_CREDENTIALS } from '../src/index.js';
import { type RunningSandbox, sleep, startSandbox, waitFor } from './sandbox-server.js';

const { accessKeyId, secretAccessKey } = SANDBOX_CREDENTIALS.volcengine;

async function image(width: number, height: number, background: string, format: 'png' | 'jpeg' = 'png'): Promise<string> {
  const pipeline = sharp({ create: { width, height, channels: 3, background } });
  return (await (format === 'png' ? pipeline.png() : pipeline.jpeg()).toBuffer()).toString('base64');
}

describe('Volcengine (Jimeng) sandbox', () => {
  let s: RunningSandbox;
  let volc: VolcVisualClient;
  let work: string;
  const base = () => `${s.base}/volcengine`;
  const client = (options: Partial<VolcClientOptions> = {}) => new VolcVisualClient({ baseUrl: base(), accessKeyId, secretAccessKey, timeoutMs: 20_000, ...options });
  const control = (path: string, body: object) => fetch(`${s.base}/_control/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    s = await startSandbox();
    volc = client();
    work = mkdtempSync(join(tmpdir(), 'volc-contract-'));
  });
  afterAll(async () => {
    await s.close();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => fetch(`${s.base}/_control/reset`, { method: 'POST' }));

  /** Submits and polls to done, collecting the statuses seen on the way. */
  async function run(model: VolcModel, input: VolcTaskInput, returnUrl?: boolean): Promise<{ result: VolcTaskResult; seen: string[] }> {
    const { taskId, reqKey } = await volc.submit(model, input);
    expect(taskId).toMatch(/^\d{19,}$/);
    const seen: string[] = [];
    const result = await waitFor(async () => {
      const current = await volc.result(reqKey, taskId, { returnUrl });
      if (seen.at(-1) !== current.status) seen.push(current.status);
      return current.terminal ? current : undefined;
    }, 30_000);
    return { result, seen };
  }

  const download = async (url: string, type: string) => {
    const response = await fetch(url);
    expect([response.status, response.headers.get('content-type')]).toEqual([200, type]);
    return Buffer.from(await response.arrayBuffer());
  };

  const probe = async (url: string) => {
    const file = join(work, `${Math.random().toString(36).slice(2)}.mp4`);
    writeFileSync(file, await download(url, 'video/mp4'));
    return probeVideo(file);
  };

  it('a task is in_queue, then generating, then done', async () => {
    await control('timing', { queueMs: 400, runMinMs: 400, runMaxMs: 400 });
    try {
      for (const [model, input] of [['jimeng-video-3.0-720p-t2v', { prompt: 'slow boat' }], ['jimeng-image-t2i-3.1', { prompt: 'slow kite' }]] as const) {
        const { seen } = await run(model, input);
        expect([model, seen]).toEqual([model, ['in_queue', 'generating', 'done']]);
      }
    } finally {
      await control('timing', { queueMs: 60, runMinMs: 60, runMaxMs: 120 });
    }
  });

  it.each([
    ['jimeng-video-3.0-720p-t2v', { prompt: 'a lighthouse at dusk', aspect_ratio: '16:9' }, 5, 16 / 9],
    ['jimeng-video-3.0-1080p-t2v', { prompt: 'rain on a window', frames: 241, aspect_ratio: '9:16' }, 10, 9 / 16],
    ['jimeng-video-3.0-pro', { prompt: 'a paper boat', aspect_ratio: '1:1' }, 5, 1],
  ] as const)('%s: in_queue → generating → done with a real MP4 (ffprobe)', async (model, input, seconds, ratio) => {
    const { result, seen } = await run(model, input);
    // On a loaded machine a short phase may pass between two polls: only the order is certain here.
    expect(seen.join(' > ')).toMatch(/^(in_queue > )?(generating > )?done$/);
    expect(result.videoUrl).toContain('/volcengine-cdn/');
    const video = await probe(result.videoUrl!);
    expect(video.videoCodec).toBe('h264');
    expect(video.formatName).toContain('mp4');
    expect(Math.round(video.durationSeconds)).toBe(seconds);
    expect(video.width / video.height).toBeCloseTo(ratio, 1);
  });

  it.each([
    ['jimeng-video-3.0-720p-i2v', 1],
    ['jimeng-video-3.0-1080p-i2v', 1],
    ['jimeng-video-3.0-720p-first-tail', 2],
    ['jimeng-video-3.0-1080p-first-tail', 2],
  ] as const)('%s: image-to-video follows its image’s ratio', async (model, count) => {
    const images = [await image(640, 480, '#ff0000'), await image(640, 480, '#0000ff', 'jpeg')].slice(0, count);
    const { result } = await run(model, { binary_data_base64: images, prompt: 'it moves' });
    const video = await probe(result.videoUrl!);
    // Sides are even numbers (x264), so the ratio is the image's to within a pixel.
    expect(video.width / video.height).toBeCloseTo(4 / 3, 1);
    expect(Math.round(video.durationSeconds)).toBe(5);
  });

  it.each([
    ['jimeng-image-t2i-3.0', { prompt: 'a red kite' }, 1024, 1024],
    ['jimeng-image-t2i-3.1', { prompt: 'a red kite', width: 1664, height: 936 }, 1024, 576],
    ['jimeng-image-seedream-4.0', { prompt: 'a red kite', width: 1024, height: 2048, scale: 0.5 }, 512, 1024],
  ] as const)('%s: done with a real JPEG behind an expiring URL (sharp)', async (model, input, width, height) => {
    const { result, seen } = await run(model, input);
    // On a loaded machine a short phase may pass between two polls: only the order is certain here.
    expect(seen.join(' > ')).toMatch(/^(in_queue > )?(generating > )?done$/);
    expect(result.imagesBase64).toEqual([]);
    expect(result.imageUrls).toHaveLength(1);
    const meta = await sharp(await download(result.imageUrls[0], 'image/jpeg')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', width, height]);
  });

  it.each([
    ['jimeng-image-i2i-3.0', 1],
    ['jimeng-image-inpaint', 2],
  ] as const)('%s: built on its input images, as base64 when return_url is false', async (model, count) => {
    const inputs = [await image(600, 400, '#00ff00'), await image(600, 400, '#ffffff')].slice(0, count);
    const { result } = await run(model, { prompt: '删除', binary_data_base64: inputs }, false);
    expect(result.imageUrls).toEqual([]);
    expect(result.imagesBase64).toHaveLength(1);
    const meta = await sharp(Buffer.from(result.imagesBase64[0], 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 600, 400]);
  });

  it('returns base64 unless return_url is true', async () => {
    const { taskId, reqKey } = await volc.submit('jimeng-image-t2i-3.1', { prompt: 'a blue kite', width: 512, height: 512 });
    await waitFor(async () => ((await volc.result(reqKey, taskId)).terminal ? true : undefined), 20_000);
    const asBase64 = await volc.result(reqKey, taskId, { returnUrl: false });
    const asUrl = await volc.result(reqKey, taskId, { returnUrl: true });
    const fromUrl = await download(asUrl.imageUrls[0], 'image/jpeg');
    expect(Buffer.from(asBase64.imagesBase64[0], 'base64').equals(fromUrl)).toBe(true);
    // The raw answer without req_json: base64, image_urls null.
    const body = JSON.stringify({ req_key: reqKey, task_id: taskId });
    const url = new URL(`${base()}/`);
    const headers = signVolcRequest({ method: 'POST', path: url.pathname, query: { Action: 'CVSync2AsyncGetResult', Version: '2022-08-31' }, headers: { Host: url.host, 'Content-Type': 'application/json' }, body }, { accessKeyId, secretAccessKey });
    const raw = await axios.post(`${url.href}?Action=CVSync2AsyncGetResult&Version=2022-08-31`, body, { headers });
    expect(raw.data).toMatchObject({ code: 10000, message: 'Success', data: { status: 'done', image_urls: null, binary_data_base64: [expect.any(String)] }, request_id: expect.any(String) });
  });

  it('sandbox:base64 answers base64 even when return_url is true (as some req_keys do)', async () => {
    const { taskId, reqKey } = await volc.submit('jimeng-image-t2i-3.1', { prompt: 'sandbox:base64 kite', width: 512, height: 512 });
    const result = await waitFor(async () => {
      const answer = await volc.result(reqKey, taskId, { returnUrl: true });
      return answer.terminal ? answer : undefined;
    }, 20_000);
    expect([result.imageUrls, result.imagesBase64.length]).toEqual([[], 1]);
    expect((await sharp(Buffer.from(result.imagesBase64[0], 'base64')).metadata()).format).toBe('jpeg');
  });

  describe('the gateway’s signature check', () => {
    const refusal = (options: Partial<VolcClientOptions>) => client(options).submit('jimeng-image-t2i-3.1', { prompt: 'x' }).catch((error: VolcError) => error);

    it.each([
      ['a wrong secret', { secretAccessKey: 'wrong' }, 401, 'SignatureDoesNotMatch', 100010],
      ['an unknown access key', { accessKeyId: 'AKLTnobody' }, 401, 'InvalidAccessKey', 100009],
      ['another region', { region: 'cn-beijing' }, 401, 'SignatureDoesNotMatch', 100010],
      ['another service', { service: 'iam' }, 401, 'SignatureDoesNotMatch', 100010],
      ['a stale X-Date (20 minutes old)', { now: () => new Date(Date.now() - 20 * 60_000) }, 401, 'InvalidTimestamp', 100006],
      ['an X-Date from the future', { now: () => new Date(Date.now() + 20 * 60_000) }, 401, 'InvalidTimestamp', 100006],
    ] as const)('refuses %s in ResponseMetadata.Error', async (_name, options, status, code, codeN) => {
      const error = await refusal(options as Partial<VolcClientOptions>);
      expect(error).toMatchObject({ kind: 'auth', details: { status, gatewayCode: code, code: codeN, requestId: expect.any(String) } });
      expect(error.retryable).toBe(false);
    });

    it('refuses every X-Date while its own clock is set off through the control API, and takes them again once reset', async () => {
      await control('volcengine/clock', { offsetMs: 30 * 60_000 });
      try {
        const error = await refusal({});
        expect(error).toMatchObject({ kind: 'auth', details: { status: 401, gatewayCode: 'InvalidTimestamp', code: 100006 } });
      } finally {
        await control('volcengine/clock', { offsetMs: 0 });
      }
      expect((await volc.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).taskId).toEqual(expect.any(String));
    });

    it('accepts the SDK’s signed-header set (content-type unsigned): the gateway recomputes from SignedHeaders', async () => {
      const url = new URL(`${base()}/`);
      const body = JSON.stringify({ req_key: 'jimeng_t2i_v31', prompt: 'a cat' });
      const headers = signVolcRequest({ method: 'POST', path: url.pathname, query: { Action: 'CVSync2AsyncSubmitTask', Version: '2022-08-31' }, headers: { Host: url.host, 'Content-Type': 'application/json' }, body }, { accessKeyId, secretAccessKey }, new Date(), { unsigned: ['content-type'] });
      expect(headers.Authorization).toContain('SignedHeaders=host;x-content-sha256;x-date,');
      const answer = await axios.post(`${url.href}?Action=CVSync2AsyncSubmitTask&Version=2022-08-31`, body, { headers, validateStatus: () => true, transformRequest: [(d: unknown) => d] });
      expect([answer.status, answer.data.code]).toEqual([200, 10000]);
    });

    it('refuses a body other than the one signed, and a request without Authorization', async () => {
      const url = new URL(`${base()}/`);
      const signedBody = JSON.stringify({ req_key: 'jimeng_t2i_v31', prompt: 'a cat' });
      const headers = signVolcRequest({ method: 'POST', path: url.pathname, query: { Action: 'CVSync2AsyncSubmitTask', Version: '2022-08-31' }, headers: { Host: url.host, 'Content-Type': 'application/json' }, body: signedBody }, { accessKeyId, secretAccessKey });
      const target = `${url.href}?Action=CVSync2AsyncSubmitTask&Version=2022-08-31`;
      const post = (body: string, h: Record<string, string>) => axios.post(target, body, { headers: h, validateStatus: () => true, transformRequest: [(d: unknown) => d] });
      const tampered = await post(JSON.stringify({ req_key: 'jimeng_t2i_v31', prompt: 'a dog' }), headers);
      expect([tampered.status, tampered.data.ResponseMetadata.Error]).toEqual([401, expect.objectContaining({ Code: 'SignatureDoesNotMatch', CodeN: 100010 })]);
      // Same body, recomputed hash header, old signature: still refused.
      const rehashed = await post(JSON.stringify({ req_key: 'jimeng_t2i_v31', prompt: 'a dog' }), { ...headers, 'X-Content-Sha256': sha256Hex(JSON.stringify({ req_key: 'jimeng_t2i_v31', prompt: 'a dog' })) });
      expect(rehashed.status).toBe(401);
      const { Authorization: _, ...unsigned } = headers;
      const missing = await post(signedBody, unsigned);
      expect([missing.status, missing.data.ResponseMetadata.Error.Code]).toEqual([401, 'MissingAuthenticationToken']);
      expect((await post(signedBody, headers)).data).toMatchObject({ code: 10000, data: { task_id: expect.any(String) } });
      const wrongAction = await axios.post(`${url.href}?Action=CVProcessX&Version=2022-08-31`, signedBody, { headers: signVolcRequest({ method: 'POST', path: url.pathname, query: { Action: 'CVProcessX', Version: '2022-08-31' }, headers: { Host: url.host, 'Content-Type': 'application/json' }, body: signedBody }, { accessKeyId, secretAccessKey }), validateStatus: () => true });
      expect([wrongAction.status, wrongAction.data.ResponseMetadata.Error.Code]).toEqual([404, 'InvalidActionOrVersion']);
    });
  });

  describe('business codes', () => {
    it('sandbox:risk is refused at submit with 50412, never to be retried', async () => {
      const error: VolcError = await volc.submit('jimeng-image-t2i-3.1', { prompt: 'sandbox:risk' }).catch((e) => e);
      expect([error.kind, error.details.code, error.details.status, error.contentFlagged, error.retryLimit]).toEqual(['policy', 50412, 400, true, 0]);
    });

    it('sandbox:post-risk fails the finished task with 50511 once; the resubmission passes', async () => {
      const first = await volc.submit('jimeng-image-t2i-3.1', { prompt: 'sandbox:post-risk lantern' });
      const error: VolcError = await waitFor(() => volc.result(first.reqKey, first.taskId).then((r) => (r.terminal ? new Error('no refusal') : undefined), (e: VolcError) => e), 20_000);
      expect([error.kind, error.details.code, error.contentFlagged, error.retryLimit]).toEqual(['policy', 50511, true, 1]);
      const { result } = await run('jimeng-image-t2i-3.1', { prompt: 'sandbox:post-risk lantern' });
      expect(result.imageUrls).toHaveLength(1);
      // Videos are refused for their output with 50516.
      const video = await volc.submit('jimeng-video-3.0-720p-t2v', { prompt: 'sandbox:post-risk river' });
      const videoError: VolcError = await waitFor(() => volc.result(video.reqKey, video.taskId).then((r) => (r.terminal ? new Error('no refusal') : undefined), (e: VolcError) => e), 20_000);
      expect([videoError.details.code, videoError.retryLimit]).toEqual([50516, 1]);
    });

    it('sandbox:busy is 50430 (concurrency: hold new submissions) once, then taken; sandbox:fail ends in 50500', async () => {
      const busy: VolcError = await volc.submit('jimeng-video-3.0-720p-t2v', { prompt: 'sandbox:busy' }).catch((e) => e);
      expect([busy.kind, busy.details.code, busy.details.status, busy.retryable, busy.concurrencyLimited]).toEqual(['busy', 50430, 429, true, true]);
      expect((await volc.submit('jimeng-video-3.0-720p-t2v', { prompt: 'sandbox:busy' })).taskId).toEqual(expect.any(String));
      const failing = await volc.submit('jimeng-video-3.0-720p-t2v', { prompt: 'sandbox:fail' });
      const failed: VolcError = await waitFor(() => volc.result(failing.reqKey, failing.taskId).then(() => undefined, (e: VolcError) => e), 20_000);
      expect([failed.kind, failed.details.code, failed.details.status]).toEqual(['retryable', 50500, 500]);
    });

    it('an unknown req_key is 50400 (not activated), bad input 50215 naming the problem', async () => {
      const unknown: VolcError = await client({ reqKeys: { 'jimeng-image-t2i-3.1': 'jimeng_t2i_v99' } }).submit('jimeng-image-t2i-3.1', { prompt: 'x' }).catch((e) => e);
      expect([unknown.kind, unknown.details.code, unknown.details.status]).toEqual(['auth', 50400, 401]);
      // Past our own checks (the client refuses these itself), the sandbox refuses too.
      const tooSmall: VolcError = await volc.submit('jimeng-video-3.0-720p-i2v', { binary_data_base64: [await image(200, 200, '#000000')] }).catch((e) => e);
      expect([tooSmall.kind, tooSmall.details.code]).toEqual(['validation', 50215]);
    });
  });

  it('tasks expire (expired), unknown ones and ones asked under another req_key are not_found; links die', async () => {
    const unknown: VolcError = await volc.result('jimeng_t2i_v31', '123').catch((e) => e);
    expect(unknown.kind).toBe('gone');
    await control('timing', { outputTtlSeconds: 1 });
    try {
      const { result } = await run('jimeng-image-t2i-3.1', { prompt: 'short-lived', width: 512, height: 512 });
      const other: VolcError = await volc.result('jimeng_t2i_v30', result.taskId).catch((e) => e);
      expect([other.kind, other.message]).toEqual(['gone', expect.stringMatching(/unknown/)]);
      const url = result.imageUrls[0];
      expect((await fetch(url.replace(/x-signature=([0-9a-f])/, (_, c: string) => `x-signature=${c === '0' ? '1' : '0'}`))).status).toBe(403);
      await sleep(Math.max(0, Number(new URL(url).searchParams.get('x-expires')) * 1000 - Date.now()) + 50);
      expect((await fetch(url)).status).toBe(403);
      const expired: VolcError = await volc.result(result.reqKey, result.taskId).catch((e) => e);
      expect([expired.kind, expired.message]).toEqual(['gone', expect.stringMatching(/expired/)]);
    } finally {
      await control('timing', { outputTtlSeconds: 3600 });
    }
  });

  it('faults are injected and requests recorded under provider volcengine', async () => {
    await control('faults', { provider: 'volcengine', http429: 1 });
    await expect(volc.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'busy', details: { code: 50429, status: 429 }, concurrencyLimited: false });
    await control('faults', { provider: 'volcengine', http500: 1 });
    await expect(volc.result('jimeng_t2i_v31', '1')).rejects.toMatchObject({ kind: 'retryable', details: { code: 50500, status: 500 } });
    await control('faults', { provider: 'volcengine', malformedJson: 1 });
    await expect(volc.result('jimeng_t2i_v31', '1')).rejects.toMatchObject({ kind: 'retryable', details: { status: 200 } });
    await control('faults', { provider: 'volcengine' });
    const requests = (await (await fetch(`${s.base}/_control/requests?provider=volcengine`)).json()) as Array<{ method: string; path: string }>;
    expect(requests).toHaveLength(3);
    expect(requests[0].path).toContain('Action=CVSync2AsyncSubmitTask');
  });
});
