import { createFalClient } from '@fal-ai/client';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import sharp from 'sharp';
import { SANDBOX_CREDENTIALS } from '../src/index.js';
import { type RunningSandbox, sleep, startSandbox, waitFor } from './sandbox-server.js';

const KEY = SANDBOX_CREDENTIALS.fal.key;

describe('fal queue sandbox', () => {
  let s: RunningSandbox;
  let fal: ReturnType<typeof createFalClient>;
  const auth = { Authorization: `Key ${KEY}`, 'Content-Type': 'application/json' };

  beforeAll(async () => {
    s = await startSandbox({ outputTtlSeconds: 2 });
    fal = createFalClient({
      credentials: KEY,
      // The official client only knows https://queue.fal.run; the middleware points it here.
      requestMiddleware: async (request) => ({ ...request, url: request.url.replace('https://queue.fal.run', `${s.base}/fal`) }),
    });
  });
  afterAll(() => s.close());
  beforeEach(() => fetch(`${s.base}/_control/reset`, { method: 'POST' }));

  const submit = (model: string, input: unknown, query = '') =>
    fetch(`${s.base}/fal/${model}${query}`, { method: 'POST', headers: auth, body: JSON.stringify(input) });

  it('completes submit, status, result and cancel with the official @fal-ai/client', async () => {
    const submitted = await fal.queue.submit('fal-ai/flux-1/dev', { input: { prompt: 'a red fox', seed: 7, image_size: 'square' } });
    expect(submitted.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(submitted.status_url).toBe(`${s.base}/fal/fal-ai/flux-1/requests/${submitted.request_id}/status`);
    expect(submitted.response_url).toBe(`${s.base}/fal/fal-ai/flux-1/requests/${submitted.request_id}`);
    expect(submitted.cancel_url).toBe(`${s.base}/fal/fal-ai/flux-1/requests/${submitted.request_id}/cancel`);

    const first = await fal.queue.status('fal-ai/flux-1/dev', { requestId: submitted.request_id, logs: true });
    expect(['IN_QUEUE', 'IN_PROGRESS']).toContain(first.status);
    await fal.queue.subscribeToStatus('fal-ai/flux-1/dev', { requestId: submitted.request_id, pollInterval: 50 });
    const result = await fal.queue.result('fal-ai/flux-1/dev', { requestId: submitted.request_id });
    const data = result.data as { images: Array<{ url: string; width: number; height: number; content_type: string }>; seed: number };
    expect(result.requestId).toBe(submitted.request_id);
    expect(data.seed).toBe(7);
    expect(data.images).toEqual([expect.objectContaining({ width: 512, height: 512, content_type: 'image/jpeg' })]);

    const slow = await fal.queue.submit('fal-ai/flux-1/schnell', { input: { prompt: 'sandbox:slow turtle' } });
    await fal.queue.cancel('fal-ai/flux-1/schnell', { requestId: slow.request_id });
    const status = await fal.queue.status('fal-ai/flux-1/schnell', { requestId: slow.request_id });
    expect(status.status).toBe('COMPLETED');
  });

  it('answers 202 while queued or running (queue position falling, logs on request) and 200 once completed', async () => {
    await fetch(`${s.base}/_control/timing`, { method: 'POST', headers: auth, body: JSON.stringify({ queueMs: 600, runMinMs: 300, runMaxMs: 300 }) });
    try {
      const { request_id, status_url } = await (await submit('fal-ai/flux-1/dev', { prompt: 'queue' })).json();
      const positions: number[] = [];
      let sawProgress = false;
      for (;;) {
        const response = await fetch(`${status_url}?logs=1`, { headers: auth });
        const body = await response.json();
        expect(body.request_id).toBe(request_id);
        if (body.status === 'IN_QUEUE') {
          expect(response.status).toBe(202);
          expect(body).not.toHaveProperty('logs');
          positions.push(body.queue_position);
        } else if (body.status === 'IN_PROGRESS') {
          expect(response.status).toBe(202);
          expect(body.logs[0]).toMatchObject({ level: 'INFO', source: 'USER', message: expect.stringContaining('Starting') });
          sawProgress = true;
        } else {
          expect(body.status).toBe('COMPLETED');
          expect(response.status).toBe(200);
          expect(body.metrics.inference_time).toBeGreaterThan(0);
          break;
        }
        await sleep(40);
      }
      expect(sawProgress).toBe(true);
      expect(positions[0]).toBeGreaterThan(0);
      expect(positions.at(-1)).toBe(0);
      expect([...positions].sort((a, b) => b - a)).toEqual(positions);
      const withoutLogs = await (await fetch(status_url, { headers: auth })).json();
      expect(withoutLogs).not.toHaveProperty('logs');
    } finally {
      await fetch(`${s.base}/_control/timing`, { method: 'POST', headers: auth, body: JSON.stringify({ queueMs: 60, runMinMs: 60, runMaxMs: 120 }) });
    }
  });

  it('holds new jobs in the queue on request and starts them all when released (benchmarks)', async () => {
    const hold = (held: unknown) => fetch(`${s.base}/_control/fal/hold`, { method: 'POST', headers: auth, body: JSON.stringify({ held }) });
    expect((await hold('yes')).status).toBe(400);
    expect(await (await hold(true)).json()).toEqual({ held: true, waiting: 0, released: 0 });
    const jobs = await Promise.all([1, 2, 3].map(async (n) => (await submit('fal-ai/flux-1/schnell', { prompt: `held ${n}` })).json()));
    await sleep(400);
    for (const job of jobs) expect(await (await fetch(job.status_url, { headers: auth })).json()).toMatchObject({ status: 'IN_QUEUE', queue_position: 2 });
    expect(await (await hold(false)).json()).toEqual({ held: false, waiting: 0, released: 3 });
    for (const job of jobs) {
      let status = '';
      for (let i = 0; i < 100 && status !== 'COMPLETED'; i++) {
        status = (await (await fetch(job.status_url, { headers: auth })).json()).status;
        if (status !== 'COMPLETED') await sleep(20);
      }
      expect(status).toBe('COMPLETED');
    }
  });

  it('rejects a wrong key with 401 and an unknown model with 404', async () => {
    const wrong = await fetch(`${s.base}/fal/fal-ai/flux-1/dev`, { method: 'POST', headers: { ...auth, Authorization: 'Key nope' }, body: '{"prompt":"x"}' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: expect.any(String) });
    const bearer = await fetch(`${s.base}/fal/fal-ai/flux-1/dev`, { method: 'POST', headers: { ...auth, Authorization: `Bearer ${KEY}` }, body: '{"prompt":"x"}' });
    expect(bearer.status).toBe(401);
    expect((await submit('fal-ai/flux-9/dev', { prompt: 'x' })).status).toBe(404);
  });

  it.each([
    ['fal-ai/flux-1/dev', {}, ['body', 'prompt'], 'missing'],
    ['fal-ai/flux-1/dev', { prompt: 'x', aspect_ratio: '1:1' }, ['body', 'aspect_ratio'], 'extra_forbidden'],
    ['fal-ai/flux-1/dev', { prompt: 'x', image_size: 'huge' }, ['body', 'image_size'], 'literal_error'],
    ['fal-ai/flux-1/schnell', { prompt: 'x', num_inference_steps: 13 }, ['body', 'num_inference_steps'], 'less_than_equal'],
    ['fal-ai/flux-1/dev/image-to-image', { prompt: 'x' }, ['body', 'image_url'], 'missing'],
    ['fal-ai/flux-1/dev', { prompt: 'x', strength: 0.5 }, ['body', 'strength'], 'extra_forbidden'],
    ['fal-ai/flux-1/dev/redux', { image_url: 'data:image/png;base64,AA==', prompt: 'x' }, ['body', 'prompt'], 'extra_forbidden'],
    ['fal-ai/flux-pro/kontext/text-to-image', { prompt: 'x', image_size: 'square' }, ['body', 'image_size'], 'extra_forbidden'],
    ['fal-ai/flux-pro/kontext/text-to-image', { prompt: 'x', safety_tolerance: 2 }, ['body', 'safety_tolerance'], 'literal_error'],
    ['fal-ai/flux-pro/kontext/text-to-image', { prompt: 'x', enable_safety_checker: true }, ['body', 'enable_safety_checker'], 'extra_forbidden'],
    ['fal-ai/flux-pro/kontext/multi', { prompt: 'x', image_url: 'https://example.com/a.png' }, ['body', 'image_urls'], 'missing'],
    ['fal-ai/flux-pro/kontext/max/multi', { prompt: 'x', image_urls: [] }, ['body', 'image_urls'], 'too_short'],
  ])('422 for %s with %j at %j', async (model, input, loc, type) => {
    const response = await submit(model, input);
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc, type, msg: expect.any(String) })]));
  });

  it('accepts each of the 11 models with valid input', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } }).png().toBuffer();
    const image = `data:image/png;base64,${png.toString('base64')}`;
    const inputs: Record<string, object> = {
      'fal-ai/flux-1/dev': { prompt: 'p', image_size: { width: 300, height: 200 }, num_inference_steps: 28, guidance_scale: 3.5 },
      'fal-ai/flux-1/dev/image-to-image': { prompt: 'p', image_url: image, strength: 0.9 },
      'fal-ai/flux-1/dev/redux': { image_url: image },
      'fal-ai/flux-1/schnell': { prompt: 'p', num_inference_steps: 4 },
      'fal-ai/flux-1/schnell/redux': { image_url: image },
      'fal-ai/flux-pro/kontext': { prompt: 'p', image_url: image, safety_tolerance: '2' },
      'fal-ai/flux-pro/kontext/max': { prompt: 'p', image_url: image, aspect_ratio: '16:9' },
      'fal-ai/flux-pro/kontext/max/multi': { prompt: 'p', image_urls: [image, image] },
      'fal-ai/flux-pro/kontext/max/text-to-image': { prompt: 'p', aspect_ratio: '9:16' },
      'fal-ai/flux-pro/kontext/multi': { prompt: 'p', image_urls: [image] },
      'fal-ai/flux-pro/kontext/text-to-image': { prompt: 'p', output_format: 'png' },
    };
    const expectedSize: Record<string, [number, number]> = {
      'fal-ai/flux-1/dev': [300, 200],
      'fal-ai/flux-1/dev/image-to-image': [40, 30],
      'fal-ai/flux-1/schnell': [1024, 768],
      'fal-ai/flux-pro/kontext/max': [1024, 576],
      'fal-ai/flux-pro/kontext/max/text-to-image': [576, 1024],
      'fal-ai/flux-pro/kontext/text-to-image': [1024, 1024],
    };
    const results = await Promise.all(
      Object.entries(inputs).map(async ([model, input]) => {
        const submitted = await (await submit(model, input)).json();
        await waitFor(async () => ((await (await fetch(submitted.status_url, { headers: auth })).json()).status === 'COMPLETED' ? true : undefined));
        const result = await fetch(submitted.response_url, { headers: auth });
        return { model, status: result.status, body: await result.json() };
      }),
    );
    for (const { model, status, body } of results) {
      expect([model, status]).toEqual([model, 200]);
      expect(body.images).toHaveLength(1);
      if (expectedSize[model]) expect([model, body.images[0].width, body.images[0].height]).toEqual([model, ...expectedSize[model]]);
    }
    expect(Object.keys(inputs)).toHaveLength(11);
  });

  const generate = async (input: Record<string, unknown>, model = 'fal-ai/flux-1/dev') => {
    const submitted = await (await submit(model, input)).json();
    await waitFor(async () => ((await (await fetch(submitted.status_url, { headers: auth })).json()).status === 'COMPLETED' ? true : undefined));
    const result = await fetch(submitted.response_url, { headers: auth });
    return { response: result, body: await result.json() };
  };
  const download = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

  it('returns real images of the requested format and size, deterministic per prompt and seed', async () => {
    const a = await generate({ prompt: 'lighthouse at dusk', seed: 42, image_size: 'landscape_16_9', output_format: 'png', num_images: 2 });
    expect(a.body).toMatchObject({ seed: 42, prompt: 'lighthouse at dusk', has_nsfw_concepts: [false, false] });
    const [first, second] = await Promise.all(a.body.images.map((i: { url: string }) => download(i.url)));
    const meta = await sharp(first).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 1024, height: 576 });
    expect(first.equals(second)).toBe(false);

    const again = await generate({ prompt: 'lighthouse at dusk', seed: 42, image_size: 'landscape_16_9', output_format: 'png' });
    expect((await download(again.body.images[0].url)).equals(first)).toBe(true);
    const other = await generate({ prompt: 'a bowl of noodles', seed: 42, image_size: 'landscape_16_9', output_format: 'png' });
    const otherBytes = await download(other.body.images[0].url);
    expect(otherBytes.equals(first)).toBe(false);
    // Visibly different: compare mean colours, not just bytes.
    const stats = async (b: Buffer) => (await sharp(b).stats()).channels.map((c) => c.mean);
    const [m1, m2] = await Promise.all([stats(first), stats(otherBytes)]);
    expect(m1.reduce((sum, v, i) => sum + Math.abs(v - m2[i]), 0)).toBeGreaterThan(5);

    const jpeg = await generate({ prompt: 'x', image_size: { width: 3000, height: 1500 } });
    expect(await sharp(await download(jpeg.body.images[0].url)).metadata()).toMatchObject({ format: 'jpeg', width: 1024, height: 512 });
  });

  it('serves output files only until they expire, like a provider CDN', async () => {
    const { body } = await generate({ prompt: 'ephemeral' });
    expect((await fetch(body.images[0].url)).status).toBe(200);
    await sleep(2100);
    expect((await fetch(body.images[0].url)).status).toBe(404);
  });

  it('fails a run whose prompt contains sandbox:fail the way fal reports it', async () => {
    const { response, body } = await generate({ prompt: 'please sandbox:fail now' });
    expect(response.status).toBe(422);
    expect(response.headers.get('x-fal-retryable')).toBe('false');
    expect(body.detail[0]).toMatchObject({ loc: ['body', 'prompt'], type: 'content_policy_violation' });
  });

  it('fails a run whose input image cannot be downloaded', async () => {
    const { response, body } = await generate({ prompt: 'x', image_url: `${s.base}/fal-media/files/missing/x.png` }, 'fal-ai/flux-1/dev/image-to-image');
    expect(response.status).toBe(422);
    expect(body.detail[0]).toMatchObject({ loc: ['body', 'image_url'], type: 'file_download_error' });
  });

  it('takes 30 s for sandbox:slow, and answers cancel per the document', async () => {
    const slow = await (await submit('fal-ai/flux-1/dev', { prompt: 'sandbox:slow' })).json();
    await sleep(300);
    const running = await (await fetch(slow.status_url, { headers: auth })).json();
    expect(running.status).toBe('IN_PROGRESS');
    const early = await fetch(slow.response_url, { headers: auth });
    expect(early.status).toBe(400);
    const cancel = await fetch(slow.cancel_url, { method: 'PUT', headers: auth });
    expect([cancel.status, await cancel.json()]).toEqual([202, { status: 'CANCELLATION_REQUESTED' }]);
    const again = await fetch(slow.cancel_url, { method: 'PUT', headers: auth });
    expect([again.status, await again.json()]).toEqual([400, { status: 'ALREADY_COMPLETED' }]);
    const missing = await fetch(`${s.base}/fal/fal-ai/flux-1/requests/00000000-0000-4000-8000-000000000000/cancel`, { method: 'PUT', headers: auth });
    expect([missing.status, await missing.json()]).toEqual([404, { status: 'NOT_FOUND' }]);
    // Status, result and cancel live under owner/app only.
    const wrongApp = await fetch(slow.status_url.replace('/fal-ai/flux-1/', '/fal-ai/flux-pro/'), { headers: auth });
    expect(wrongApp.status).toBe(404);
  });

  describe('webhooks', () => {
    let server: Server;
    let received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }>;
    let failuresLeft = 0;
    let hookUrl: string;

    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          if (failuresLeft > 0) {
            failuresLeft--;
            res.writeHead(500).end();
          } else res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook?token=abc`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));
    beforeEach(() => {
      received = [];
      failuresLeft = 0;
    });

    it('posts the documented payload once done, signed with ED25519 over the raw body', async () => {
      const { request_id } = await (await submit('fal-ai/flux-1/dev', { prompt: 'hook' }, `?fal_webhook=${encodeURIComponent(hookUrl)}`)).json();
      await waitFor(() => (received.length ? true : undefined));
      const [delivery] = received;
      const body = JSON.parse(delivery.body);
      expect(body).toMatchObject({ request_id, gateway_request_id: request_id, status: 'OK', error: null, payload: { images: [expect.any(Object)] } });

      const jwks = await (await fetch(`${s.base}/fal/.well-known/jwks.json`)).json();
      const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
      const message = [
        delivery.headers['x-fal-webhook-request-id'],
        delivery.headers['x-fal-webhook-user-id'],
        delivery.headers['x-fal-webhook-timestamp'],
        createHash('sha256').update(delivery.body).digest('hex'),
      ].join('\n');
      expect(verify(null, Buffer.from(message), key, Buffer.from(String(delivery.headers['x-fal-webhook-signature']), 'hex'))).toBe(true);
      expect(delivery.headers['x-fal-webhook-request-id']).toBe(request_id);
    });

    it('retries when our endpoint fails, and reports errors as status ERROR', async () => {
      failuresLeft = 2;
      const { request_id } = await (await submit('fal-ai/flux-1/dev', { prompt: 'sandbox:fail' }, `?fal_webhook=${encodeURIComponent(hookUrl)}`)).json();
      await waitFor(() => (received.length === 3 ? true : undefined), 15_000);
      const bodies = received.map((r) => JSON.parse(r.body));
      expect(new Set(bodies.map((b) => b.request_id))).toEqual(new Set([request_id]));
      expect(bodies[2]).toMatchObject({ status: 'ERROR', error: 'Invalid status code: 422', payload: { detail: [expect.objectContaining({ type: 'content_policy_violation' })] } });
    });
  });

  describe('faults and control', () => {
    const setFaults = (faults: object) =>
      fetch(`${s.base}/_control/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ provider: 'fal', ...faults }) });

    it('injects 500s, 429s, connection resets and malformed JSON at the configured rates', async () => {
      await setFaults({ http500: 1 });
      const r500 = await submit('fal-ai/flux-1/dev', { prompt: 'x' });
      expect([r500.status, await r500.json()]).toEqual([500, { detail: expect.any(String) }]);
      await setFaults({ http429: 1 });
      expect((await submit('fal-ai/flux-1/dev', { prompt: 'x' })).status).toBe(429);
      await setFaults({ reset: 1 });
      await expect(submit('fal-ai/flux-1/dev', { prompt: 'x' })).rejects.toThrow();
      await setFaults({ malformedJson: 1 });
      const broken = await submit('fal-ai/flux-1/dev', { prompt: 'x' });
      expect(broken.status).toBe(200);
      await expect(broken.json()).rejects.toThrow();
      await setFaults({ latencyMs: 300 });
      const started = Date.now();
      await submit('fal-ai/flux-1/dev', { prompt: 'x' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      await setFaults({ timeout: 1 });
      await expect(fetch(`${s.base}/fal/fal-ai/flux-1/dev`, { method: 'POST', headers: auth, body: '{"prompt":"x"}', signal: AbortSignal.timeout(500) })).rejects.toThrow();
      await setFaults({});
      expect((await submit('fal-ai/flux-1/dev', { prompt: 'x' })).status).toBe(200);
    });

    it('validates fault settings', async () => {
      expect((await setFaults({ http500: 2 })).status).toBe(400);
      const unknown = await fetch(`${s.base}/_control/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"provider":"nope"}' });
      expect(unknown.status).toBe(400);
    });

    it('counts the calls each provider received, and reset clears them', async () => {
      await submit('fal-ai/flux-1/dev', { prompt: 'x' });
      await submit('fal-ai/flux-1/dev', { prompt: 'y' });
      const calls = await (await fetch(`${s.base}/_control/requests?provider=fal`)).json();
      expect(calls).toEqual([
        expect.objectContaining({ provider: 'fal', method: 'POST', path: '/sandbox/fal/fal-ai/flux-1/dev' }),
        expect.objectContaining({ provider: 'fal', method: 'POST' }),
      ]);
      await fetch(`${s.base}/_control/reset`, { method: 'POST' });
      expect(await (await fetch(`${s.base}/_control/requests`)).json()).toEqual([]);
    });
  });
});
