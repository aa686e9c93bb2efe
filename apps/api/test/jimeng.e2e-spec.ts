import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import sharp from 'sharp';
import { CreditsService } from '../src/modules/credits/credits.service.js';
import { bearer, queryDatabase, signUp, type SignedUpUser, startTestApp, type TestApp } from './test-app.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];
const MODEL_IDS = [
  'jimeng-video-3.0-720p-t2v',
  'jimeng-video-3.0-1080p-t2v',
  'jimeng-video-3.0-720p-i2v',
  'jimeng-video-3.0-1080p-i2v',
  'jimeng-video-3.0-720p-first-tail',
  'jimeng-video-3.0-1080p-first-tail',
  'jimeng-video-3.0-pro',
  'jimeng-image-t2i-3.0',
  'jimeng-image-t2i-3.1',
  'jimeng-image-seedream-4.0',
  'jimeng-image-i2i-3.0',
  'jimeng-image-inpaint',
];

/** Jimeng end to end: the module, the task engine and storage against the Volcengine sandbox on this server. */
describe('jimeng', () => {
  let t: TestApp;
  let admin: SignedUpUser;

  const waitForTask = async (token: string, id: string, until: (task: any) => boolean = (task) => TERMINAL.includes(task.status), timeoutMs = 60_000) => {
    const started = Date.now();
    for (;;) {
      const { body } = await t.http.get(`/api/v1/jimeng/task/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > timeoutMs) throw new Error(`task ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  };
  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;
  const image = (width = 640, height = 360, color = '#3070c0', format: 'png' | 'webp' | 'jpeg' = 'png') => sharp({ create: { width, height, channels: 3, background: color } })[format]().toBuffer();
  const upload = async (token: string, bytes: Buffer, name = 'input.png') => (await t.http.post('/api/v1/files/upload').set(bearer(token)).attach('file', bytes, name).expect(201)).body;
  const post = (token: string, route: string, body: object) => t.http.post(`/api/v1/jimeng/${route}`).set(bearer(token)).send(body);
  const control = (path: string, body: object) => t.http.post(`/sandbox/_control/${path}`).send(body).expect(200);
  const submits = async () => ((await t.http.get('/sandbox/_control/requests?provider=volcengine').expect(200)).body as Array<{ path: string }>).filter((r) => r.path.includes('CVSync2AsyncSubmitTask')).length;
  const providerState = async (id: string) => (await queryDatabase(t.database, 'SELECT provider_state FROM generation_tasks WHERE id = $1', [id]))[0].provider_state;
  /** A user with enough credits for videos (each user starts with 100). */
  const richUser = async () => {
    const user = await signUp(t.http);
    await t.app.get(CreditsService).grant({ id: admin.id } as any, { userId: user.id, amount: 1000, reason: 'videos' });
    return user;
  };

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    admin = await signUp(t.http);
    await control('timing', { queueMs: 20, runMinMs: 50, runMaxMs: 100 });
  });
  afterAll(() => t?.close());

  it('works on a fresh install through the sandbox: user config, catalogue with prices, and the admin-only settings', async () => {
    const user = await signUp(t.http);
    expect((await t.http.get('/api/v1/jimeng/config/user').set(bearer(user.token)).expect(200)).body).toEqual({
      enabled: true,
      sandbox: true,
      defaultImageModel: 'jimeng-image-t2i-3.1',
      defaultVideoModel: 'jimeng-video-3.0-720p-t2v',
      unavailable: null,
    });
    const { body: catalogue } = await t.http.get('/api/v1/jimeng/models').set(bearer(user.token)).expect(200);
    expect(catalogue.models.map((m: any) => m.id)).toEqual(MODEL_IDS);
    const byId = Object.fromEntries(catalogue.models.map((m: any) => [m.id, m]));
    expect(byId['jimeng-video-3.0-pro']).toMatchObject({
      kind: 'video',
      routes: ['text-to-video', 'image-to-video'],
      resolution: '1080p',
      images: { min: 0, max: 1 },
      durations: [5, 10],
      aspectRatios: ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'],
      size: null,
      strength: null,
      price: { priceKey: 'jimeng-video-3.0-pro', unit: 'per5Seconds', credits: 70, defaultCredits: 70, byDuration: { 5: 70, 10: 140 } },
    });
    expect(byId['jimeng-video-3.0-720p-first-tail']).toMatchObject({ routes: ['image-to-video'], images: { min: 2, max: 2 }, aspectRatios: [], promptRequired: false, resolution: '720p' });
    expect(byId['jimeng-image-t2i-3.1']).toMatchObject({ kind: 'image', routes: ['text-to-image'], promptExpansion: true, multipleOutputs: false, durations: [], resolution: null, price: { unit: 'perRequest', credits: 4, byDuration: {} } });
    expect(byId['jimeng-image-t2i-3.1'].size).toMatchObject({ minArea: 512 * 512, maxArea: 2048 * 2048, maxRatio: 3, defaultWidth: 1328, defaultHeight: 1328 });
    for (const preset of byId['jimeng-image-t2i-3.1'].size.presets) expect(preset.width * preset.height).toBeLessThanOrEqual(2048 * 2048);
    expect(byId['jimeng-image-seedream-4.0']).toMatchObject({ images: { min: 0, max: 10 }, strength: { min: 0, max: 1, default: 0.5 }, multipleOutputs: true, promptExpansion: false });
    expect(byId['jimeng-image-i2i-3.0']).toMatchObject({ routes: ['image-to-image'], strength: { default: 0.5 } });
    expect(byId['jimeng-image-inpaint']).toMatchObject({ routes: ['inpaint'], images: { min: 2, max: 2 }, size: null });
    // Admin › Prices lists every model through the adapter.
    const prices = (await t.http.get('/api/v1/admin/prices').set(bearer(admin.token)).expect(200)).body;
    const jimengKeys = JSON.stringify(prices);
    for (const id of MODEL_IDS) expect(jimengKeys).toContain(id);

    const config = (await t.http.get('/api/v1/jimeng/config').set(bearer(admin.token)).expect(200)).body;
    expect(config).toMatchObject({ accessKeyId: '', secretAccessKeySet: false, usesSandbox: true, sandboxAvailable: true, enabled: true, timeout: 3600, maxConcurrentTasks: 2, reqKeyOverrides: {}, saved: false });
    expect(config.defaultReqKeys).toMatchObject({ 'jimeng-video-3.0-1080p-t2v': 'jimeng_t2v_v30_1080p', 'jimeng-image-inpaint': 'jimeng_image2image_dream_inpaint' });
    expect(config.watermark).toEqual({ enabled: false, position: 0, language: 0, opacity: 0.3, text: '' });
    expect(config.aigcMeta).toEqual({ enabled: false, contentProducer: '', producerId: '', contentPropagator: '', propagateId: '' });
    // Admin only.
    await t.http.get('/api/v1/jimeng/config').set(bearer(user.token)).expect(403);
    await t.http.post('/api/v1/jimeng/config').set(bearer(user.token)).send({ enabled: false }).expect(403);
    await t.http.post('/api/v1/jimeng/config/check').set(bearer(user.token)).send({}).expect(403);
    // The check of unsaved values: the sandbox's keys pass, wrong ones are refused, and nothing is saved.
    expect((await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({}).expect(200)).body).toMatchObject({ ok: true, reason: null, usesSandbox: true });
    const wrong = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({ accessKeyId: 'AKLTnobody', secretAccessKey: 'nothing', baseUrl: `${t.baseUrl}/sandbox/volcengine` }).expect(200);
    expect(wrong.body).toMatchObject({ ok: false, reason: 'key_refused', message: expect.stringMatching(/AccessKeyId and SecretAccessKey/) });
    const unreachable = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({ accessKeyId: 'a', secretAccessKey: 'b', baseUrl: 'http://127.0.0.1:9' }).expect(200);
    expect(unreachable.body).toMatchObject({ ok: false, reason: 'unreachable' });
    expect((await t.http.get('/api/v1/jimeng/config').set(bearer(admin.token)).expect(200)).body.saved).toBe(false);
  });

  it('saves settings with the secret encrypted and never returned; empty keeps it; req_key overrides and watermark checked', async () => {
    const saved = await t.http
      .post('/api/v1/jimeng/config')
      .set(bearer(admin.token))
      .send({ ...SANDBOX_CREDENTIALS.volcengine, baseUrl: `${t.baseUrl}/sandbox/volcengine/`, timeout: 1800, maxConcurrentTasks: 5, watermark: { enabled: true, position: 2, text: 'Atelier' }, aigcMeta: { enabled: true, producerId: 'p-1' } })
      .expect(200);
    expect(saved.body).toMatchObject({
      accessKeyId: SANDBOX_CREDENTIALS.volcengine.accessKeyId,
      secretAccessKeySet: true,
      baseUrl: `${t.baseUrl}/sandbox/volcengine`,
      timeout: 1800,
      maxConcurrentTasks: 5,
      usesSandbox: true,
      saved: true,
      watermark: { enabled: true, position: 2, language: 0, opacity: 0.3, text: 'Atelier' },
      aigcMeta: { enabled: true, producerId: 'p-1', contentProducer: '' },
    });
    expect(JSON.stringify(saved.body)).not.toContain(SANDBOX_CREDENTIALS.volcengine.secretAccessKey);
    const [row] = await queryDatabase(t.database, 'SELECT secret_access_key_encrypted FROM jimeng_settings');
    expect(row.secret_access_key_encrypted).not.toContain(SANDBOX_CREDENTIALS.volcengine.secretAccessKey);
    expect(JSON.stringify((await t.http.get('/api/v1/jimeng/config').set(bearer(admin.token)).expect(200)).body)).not.toContain(SANDBOX_CREDENTIALS.volcengine.secretAccessKey);
    const kept = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ secretAccessKey: '', timeout: 3600, maxConcurrentTasks: 2, watermark: { enabled: false } }).expect(200);
    expect(kept.body).toMatchObject({ secretAccessKeySet: true, watermark: { enabled: false, position: 2, text: 'Atelier' } });
    expect((await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({}).expect(200)).body.ok).toBe(true);
    // Overrides: keys must be model ids, values req_keys; an empty value removes one.
    const badKey = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: { 'jimeng-nope': 'x' } }).expect(400);
    expect(badKey.body.details[0]).toEqual({ field: 'reqKeyOverrides.jimeng-nope', messages: [expect.stringMatching(/not a Jimeng model id/)] });
    const badValue = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: { 'jimeng-image-t2i-3.0': 'Bad Key!' } }).expect(400);
    expect(badValue.body.details[0].field).toBe('reqKeyOverrides.jimeng-image-t2i-3.0');
    const set = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: { 'jimeng-video-3.0-1080p-first-tail': 'jimeng_i2v_first_tail_v30_1080p', 'jimeng-image-t2i-3.0': '' } }).expect(200);
    expect(set.body.reqKeyOverrides).toEqual({ 'jimeng-video-3.0-1080p-first-tail': 'jimeng_i2v_first_tail_v30_1080p' });
    // A req_key the account has not activated (50400): the check says so, in words for the admin.
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: { 'jimeng-image-t2i-3.1': 'jimeng_t2i_v99' } }).expect(200);
    const inactive = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({}).expect(200);
    expect(inactive.body).toMatchObject({ ok: false, reason: 'not_activated', message: expect.stringMatching(/activate the Jimeng capability/) });
    expect((await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: {} }).expect(200)).body.reqKeyOverrides).toEqual({});
    const badWatermark = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ watermark: { position: 7 } }).expect(400);
    expect(badWatermark.body.details[0].field).toMatch(/watermark\.position|position/);
  });

  it('refuses a stale X-Date worded for the admin: the server clock is off, fix NTP (check and submission)', async () => {
    const user = await signUp(t.http);
    // The gateway's clock runs 20 minutes ahead: every X-Date this server signs looks stale.
    await control('volcengine/clock', { offsetMs: 20 * 60_000 });
    try {
      const check = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({}).expect(200);
      expect(check.body).toMatchObject({ ok: false, reason: 'clock_skew', message: expect.stringMatching(/server's clock is off.*NTP/) });
      const zh = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).set('Accept-Language', 'zh-CN').send({}).expect(200);
      expect(zh.body.message).toMatch(/服务器的时钟偏差.*NTP/);
      const refused = await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'a clock' }).expect(502);
      expect(refused.body.message).toMatch(/clock is off/);
      expect(await balance(user.token)).toBe(100);
    } finally {
      await control('volcengine/clock', { offsetMs: 0 });
    }
  });

  it('makes videos from text with every text-to-video model: charged per 5 s, stored with duration and poster', async () => {
    const user = await richUser();
    const requests: Array<[string, object, number]> = [
      ['jimeng-video-3.0-720p-t2v', { duration: 10, aspectRatio: '9:16' }, 60],
      ['jimeng-video-3.0-1080p-t2v', {}, 50],
      ['jimeng-video-3.0-pro', { aspectRatio: '1:1', seed: 7 }, 70],
    ];
    const created = [];
    for (const [model, extra, cost] of requests) {
      const response = await post(user.token, 'text-to-video', { model, prompt: `a paper boat ${model}`, ...extra }).expect(201);
      expect(response.body).toMatchObject({ provider: 'jimeng', model, action: 'text-to-video', cost, kind: 'video' });
      created.push(response.body);
    }
    expect(await balance(user.token)).toBe(1100 - 180);
    const [tall, , square] = await Promise.all(created.map((task) => waitForTask(user.token, task.id)));
    for (const done of [tall, square]) {
      expect(done.status).toBe('succeeded');
      const [video] = done.outputs;
      expect(video).toMatchObject({ kind: 'video', stored: true });
      expect(video.posterUrl).toMatch(/^\/media\//);
      await t.http.get(video.url).expect(200);
      await t.http.get(video.posterUrl).expect(200);
      expect(JSON.stringify(done)).not.toMatch(/volcengine-cdn|sandbox/);
    }
    expect(tall.outputs[0].height).toBeGreaterThan(tall.outputs[0].width);
    expect(tall.outputs[0].duration).toBeGreaterThan(9);
    expect(square.outputs[0].width).toBe(square.outputs[0].height);
    // The req_key it was sent with is kept for its GetResult calls.
    expect(await providerState(created[1].id)).toMatchObject({ reqKey: 'jimeng_t2v_v30_1080p', volcTaskId: expect.any(String) });
    const history = await t.http.get('/api/v1/jimeng/history?kind=video').set(bearer(user.token)).expect(200);
    expect(history.body.items.map((item: any) => item.id).sort()).toEqual(created.map((task) => task.id).sort());
    expect((await t.http.get('/api/v1/jimeng/history?kind=image').set(bearer(user.token)).expect(200)).body.items).toEqual([]);
  });

  it('makes videos from frames: first frame (our file, our URL), first + last frame, Pro with a first frame', async () => {
    const user = await richUser();
    const first = await upload(user.token, await image(640, 360, '#c03030'));
    const last = await upload(user.token, await image(640, 360, '#30c030'));
    const cases: Array<[string, object]> = [
      ['jimeng-video-3.0-720p-i2v', { firstFrame: { fileId: first.id } }],
      ['jimeng-video-3.0-1080p-i2v', { firstFrame: { url: first.url }, prompt: 'it moves' }],
      ['jimeng-video-3.0-720p-first-tail', { firstFrame: { fileId: first.id }, lastFrame: { fileId: last.id } }],
      ['jimeng-video-3.0-1080p-first-tail', { firstFrame: { fileId: first.id }, lastFrame: { url: last.url }, duration: 10 }],
      ['jimeng-video-3.0-pro', { firstFrame: { fileId: first.id }, prompt: 'pro from a frame' }],
    ];
    const created = [];
    for (const [model, body] of cases) created.push((await post(user.token, 'image-to-video', { model, ...body }).expect(201)).body);
    expect(created.map((task) => task.cost)).toEqual([30, 50, 30, 100, 70]);
    for (const task of created) {
      const done = await waitForTask(user.token, task.id);
      expect(done.status).toBe('succeeded');
      expect(done.outputs[0]).toMatchObject({ kind: 'video', stored: true });
      // Image-to-video follows its image's ratio.
      expect(done.outputs[0].width).toBeGreaterThan(done.outputs[0].height);
    }
    // The frames went as raw base64 (local storage is not reachable from Volcengine).
    expect((await providerState(created[2].id)).reqKey).toBe('jimeng_i2v_first_tail_v30');
    // Someone else's task: 404 for the task and its cancel.
    const other = await signUp(t.http);
    await t.http.get(`/api/v1/jimeng/task/${created[0].id}`).set(bearer(other.token)).expect(404);
    await t.http.delete(`/api/v1/jimeng/task/${created[0].id}`).set(bearer(other.token)).expect(404);
  });

  it('makes DreamWork images: 3.0, 3.1 with a size and no prompt expansion, Seedream 4.0 with references, image-to-image, URL results', async () => {
    const user = await richUser();
    const reference = await upload(user.token, await image(800, 600, '#2050a0'));
    const created = [
      (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.0', prompt: 'a mountain hut' }).expect(201)).body,
      (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'a wide hut', width: 1664, height: 936, promptExpansion: false, seed: 3 }).expect(201)).body,
      (await post(user.token, 'text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'the same in watercolour', referenceImages: [{ fileId: reference.id }, { url: reference.url }], strength: 0.7, forceSingle: false }).expect(201)).body,
      (await post(user.token, 'image-to-image', { prompt: '把背景换成雪山', image: { fileId: reference.id }, strength: 0.6 }).expect(201)).body,
    ];
    expect(created.map((task) => [task.model, task.action, task.cost, task.kind])).toEqual([
      ['jimeng-image-t2i-3.0', 'text-to-image', 4, 'image'],
      ['jimeng-image-t2i-3.1', 'text-to-image', 4, 'image'],
      ['jimeng-image-seedream-4.0', 'text-to-image', 6, 'image'],
      ['jimeng-image-i2i-3.0', 'image-to-image', 5, 'image'],
    ]);
    const done = [];
    for (const task of created) done.push(await waitForTask(user.token, task.id));
    for (const task of done) {
      expect(task.status).toBe('succeeded');
      expect(task.outputs[0]).toMatchObject({ kind: 'image', stored: true, mimeType: 'image/jpeg' });
    }
    // 1664×936 drawn at most 1024 px long by the sandbox: the ratio is kept.
    expect(done[1].outputs[0].width / done[1].outputs[0].height).toBeCloseTo(1664 / 936, 1);
    expect(done[1].parameters).toMatchObject({ width: 1664, height: 936, promptExpansion: false, seed: 3 });
    expect(done[3].outputs[0]).toMatchObject({ width: 800, height: 600 });
    const history = await t.http.get('/api/v1/jimeng/history?kind=image').set(bearer(user.token)).expect(200);
    expect(history.body.items).toHaveLength(4);
  });

  it('stores images Volcengine answers as base64', async () => {
    const user = await signUp(t.http);
    const created = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'sandbox:base64 a kite', width: 512, height: 512 }).expect(201)).body;
    const done = await waitForTask(user.token, created.id);
    expect(done.status).toBe('succeeded');
    expect(done.outputs[0]).toMatchObject({ kind: 'image', stored: true, mimeType: 'image/jpeg', width: 512, height: 512 });
    const bytes = (await t.http.get(done.outputs[0].url).buffer(true).expect(200)).body as Buffer;
    expect((await sharp(bytes).metadata()).format).toBe('jpeg');
  });

  it('inpaints with a painted mask of another size: the mask is redrawn to the image size, white on black', async () => {
    const user = await signUp(t.http);
    const original = await upload(user.token, await image(600, 400, '#808080'));
    // A canvas-like mask: transparent with a white stroke, half the size.
    const stroke = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } } }).png().toBuffer(), left: 100, top: 50 }])
      .png()
      .toBuffer();
    const created = (await post(user.token, 'inpaint', { prompt: '删除', image: { fileId: original.id }, maskDataUrl: `data:image/png;base64,${stroke.toString('base64')}` }).expect(201)).body;
    expect(created).toMatchObject({ model: 'jimeng-image-inpaint', action: 'inpaint', cost: 5 });
    const [maskId] = created.parameters.imageFileIds.slice(1);
    const [mask] = await queryDatabase(t.database, 'SELECT width, height, mime_type AS "mimeType", url FROM media_files WHERE id = $1 AND user_id = $2', [maskId, user.id]);
    expect(mask).toMatchObject({ width: 600, height: 400, mimeType: 'image/png' });
    const maskBytes = (await t.http.get(mask.url).buffer(true).expect(200)).body as Buffer;
    const pixels = await sharp(maskBytes).greyscale().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => pixels.data[(y * pixels.info.width + x) * pixels.info.channels];
    expect([at(300, 200), at(10, 10)]).toEqual([255, 0]);
    const done = await waitForTask(user.token, created.id);
    expect(done.status).toBe('succeeded');
    expect(done.outputs[0]).toMatchObject({ width: 600, height: 400 });
    // A stored mask of the right size is used as it is.
    const exact = await upload(user.token, await sharp({ create: { width: 600, height: 400, channels: 3, background: '#000000' } }).png().toBuffer(), 'mask.png');
    const again = (await post(user.token, 'inpaint', { prompt: 'a red door', image: { fileId: original.id }, maskFileId: exact.id }).expect(201)).body;
    expect(again.parameters.imageFileIds).toEqual([original.id, exact.id]);
    // Exactly one mask.
    const none = await post(user.token, 'inpaint', { prompt: 'x', image: { fileId: original.id } }).expect(400);
    expect(none.body.details[0].field).toBe('maskFileId');
    const both = await post(user.token, 'inpaint', { prompt: 'x', image: { fileId: original.id }, maskFileId: exact.id, maskDataUrl: `data:image/png;base64,${stroke.toString('base64')}` }).expect(400);
    expect(both.body.details[0].field).toBe('maskFileId');
  });

  it('checks each request against its model, naming the field', async () => {
    const user = await signUp(t.http);
    const frame = { fileId: '00000000-0000-4000-8000-000000000000' };
    const cases: Array<[string, object, string, RegExp]> = [
      ['text-to-video', { model: 'jimeng-video-3.0-720p-i2v', prompt: 'x' }, 'model', /model must be one of: jimeng-video-3.0-720p-t2v/],
      ['text-to-video', { model: 'jimeng-video-3.0-720p-t2v' }, 'prompt', /prompt/],
      ['text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'x', duration: 7 }, 'duration', /one of: 5, 10/],
      ['text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'x', aspectRatio: '2:1' }, 'aspectRatio', /one of: 16:9/],
      ['text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'x'.repeat(801) }, 'prompt', /800/],
      ['text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'x', seed: -2 }, 'seed', /-1/],
      ['image-to-video', { model: 'jimeng-video-3.0-720p-first-tail', firstFrame: frame }, 'lastFrame', /needs lastFrame/],
      ['image-to-video', { model: 'jimeng-video-3.0-pro', firstFrame: frame, lastFrame: frame }, 'lastFrame', /takes only firstFrame/],
      ['image-to-video', { model: 'jimeng-video-3.0-720p-i2v' }, 'firstFrame', /firstFrame/],
      ['image-to-video', { model: 'jimeng-video-3.0-720p-i2v', firstFrame: frame }, 'firstFrame.fileId', /not one of your stored images/],
      ['image-to-video', { model: 'jimeng-video-3.0-720p-i2v', firstFrame: {} }, 'firstFrame', /exactly one of fileId or url/],
      ['text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x', width: 1024 }, 'height', /width and height go together/],
      ['text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x', width: 4096, height: 4096 }, 'width', /2048²/],
      ['text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x', width: 2400, height: 600 }, 'height', /1:3 and 3:1/],
      ['text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x', referenceImages: [frame] }, 'referenceImages', /only jimeng-image-seedream-4.0/],
      ['text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x', strength: 0.5 }, 'strength', /only jimeng-image-seedream-4.0/],
      ['text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x', forceSingle: false }, 'forceSingle', /only jimeng-image-seedream-4.0/],
      ['text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'x', promptExpansion: true }, 'promptExpansion', /takes no promptExpansion/],
      ['text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'x', referenceImages: Array(11).fill(frame) }, 'referenceImages', /at most 10/],
      ['image-to-image', { prompt: 'x', image: frame, strength: 2 }, 'strength', /1/],
      ['image-to-image', { prompt: 'x', image: frame, width: 300, height: 300 }, 'width', /512, 2016/],
      ['inpaint', { prompt: 'x', image: frame, maskDataUrl: 'data:text/plain;base64,AAAA' }, 'maskDataUrl', /data URL of a PNG/],
    ];
    for (const [route, body, field, message] of cases) {
      const response = await post(user.token, route, body).expect(400);
      const detail = response.body.details?.find((d: any) => d.field === field);
      expect([route, field, detail?.messages.join(' ')]).toEqual([route, field, expect.stringMatching(message)]);
    }
    expect(await balance(user.token)).toBe(100);
  });

  it('checks input images before anything is sent: JPG/PNG, 4.7 MB, 4096 px, short side 320, ratio 3, naming the field', async () => {
    const user = await signUp(t.http);
    const noise = await sharp({ create: { width: 1600, height: 1600, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 90 } } }).png({ compressionLevel: 0 }).toBuffer();
    expect(noise.length).toBeGreaterThan(4.7 * 1024 * 1024);
    const cases: Array<[Buffer, string, RegExp]> = [
      [await image(640, 360, '#888', 'webp'), 'input.webp', /must be a JPG or PNG image/],
      [await image(400, 300), 'small.png', /at least 320 px on its short side/],
      [await image(1300, 400), 'wide.png', /at most 3:1/],
      [await image(4200, 1800), 'huge.png', /at most 4096 px/],
      [noise, 'noise.png', /larger than 4.7 MB/],
    ];
    const before = await submits();
    for (const [bytes, name, message] of cases) {
      const file = await upload(user.token, bytes, name);
      const response = await post(user.token, 'image-to-video', { model: 'jimeng-video-3.0-720p-i2v', firstFrame: { fileId: file.id } }).expect(400);
      expect(response.body.details[0]).toEqual({ field: 'firstFrame', messages: [expect.stringMatching(message)] });
    }
    const good = await upload(user.token, await image(640, 360));
    const small = await upload(user.token, await image(200, 200), 'tiny.png');
    const last = await post(user.token, 'image-to-video', { model: 'jimeng-video-3.0-720p-first-tail', firstFrame: { fileId: good.id }, lastFrame: { fileId: small.id } }).expect(400);
    expect(last.body.details[0].field).toBe('lastFrame');
    const reference = await post(user.token, 'text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'x', referenceImages: [{ fileId: good.id }, { fileId: small.id }] }).expect(400);
    expect(reference.body.details[0].field).toBe('referenceImages[1]');
    expect(await submits()).toBe(before);
    expect(await balance(user.token)).toBe(100);
  });

  it('answers each Volcengine code as the table says: risk refunded, post-risk resent once, busy held, failure refunded', async () => {
    const user = await richUser();
    const start = await balance(user.token);
    // 50412 at submission: refused at once (400), refunded, flagged.
    const risk = await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'sandbox:risk cat' }).expect(400);
    expect(risk.body.message).toMatch(/Volcengine refused the content \(50412\)/);
    const [flagged] = (await t.http.get('/api/v1/jimeng/history').set(bearer(user.token)).expect(200)).body.items;
    expect(flagged).toMatchObject({ status: 'failed', errorCode: 'content_flagged', refunded: true });
    expect(await balance(user.token)).toBe(start);

    // 50511 on the finished task: sent again once, which passes.
    const before = await submits();
    const postRisk = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'sandbox:post-risk lantern' }).expect(201)).body;
    const passed = await waitForTask(user.token, postRisk.id);
    expect(passed).toMatchObject({ status: 'succeeded', refunded: false });
    expect(await submits()).toBe(before + 2);
    expect(await providerState(postRisk.id)).toMatchObject({ resends: 1 });

    // 50430: the task waits, pending, while the provider is held; then it is sent again and succeeds.
    const busy = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'sandbox:busy kite' }).expect(201)).body;
    expect(busy.status).toBe('pending');
    const [hold] = await queryDatabase(t.database, `SELECT held_until > now() AS held FROM provider_holds WHERE provider = 'jimeng'`);
    expect(hold).toEqual({ held: true });
    expect(await waitForTask(user.token, busy.id)).toMatchObject({ status: 'succeeded' });

    // sandbox:fail: the finished task answers 50500 on every ask: failed and refunded.
    const failing = (await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'sandbox:fail' }).expect(201)).body;
    const failed = await waitForTask(user.token, failing.id);
    expect(failed).toMatchObject({ status: 'failed', refunded: true, errorCode: 'failed' });
    expect(failed.error).toMatch(/50500/);
    // Worded in the language of the request that made the task, although it failed later, away from any request.
    const failingZh = (await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'sandbox:fail 中文' }).set('Accept-Language', 'zh-CN').expect(201)).body;
    expect((await waitForTask(user.token, failingZh.id)).error).toMatch(/^Jimeng: 火山引擎生成失败（50500/);
    // Video output moderation (50516) is also resent once.
    const videoRisk = (await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'sandbox:post-risk river' }).expect(201)).body;
    expect(await waitForTask(user.token, videoRisk.id)).toMatchObject({ status: 'succeeded' });
    expect(await balance(user.token)).toBe(start - 4 - 4 - 30);
  });

  it('fails and refunds a task Volcengine no longer knows (expired)', async () => {
    const user = await signUp(t.http);
    await control('timing', { queueMs: 3000, outputTtlSeconds: 0.3 });
    try {
      const created = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'short-lived' }).expect(201)).body;
      const done = await waitForTask(user.token, created.id);
      expect(done).toMatchObject({ status: 'failed', refunded: true });
      expect(done.error).toMatch(/no longer knows this task/);
      expect(await balance(user.token)).toBe(100);
    } finally {
      await control('timing', { queueMs: 20, outputTtlSeconds: 3600 });
    }
  });

  it('asks GetResult with the req_key the task was sent with, even after the override changed', async () => {
    const user = await signUp(t.http);
    // 3.0 goes out under the 3.1 req_key (an admin's override) …
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: { 'jimeng-image-t2i-3.0': 'jimeng_t2i_v31' } }).expect(200);
    await control('timing', { queueMs: 600 });
    try {
      const created = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.0', prompt: 'override' }).expect(201)).body;
      expect(await providerState(created.id)).toMatchObject({ reqKey: 'jimeng_t2i_v31' });
      // … and the override is removed while it runs: asking under jimeng_t2i_v30 would be not_found.
      await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: {} }).expect(200);
      expect(await waitForTask(user.token, created.id)).toMatchObject({ status: 'succeeded' });
    } finally {
      await control('timing', { queueMs: 20 });
    }
  });

  it('cancels only before Volcengine has the task: refunded while waiting for a slot, 409 once sent', async () => {
    const user = await richUser();
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 1 }).expect(200);
    await control('timing', { queueMs: 60_000 });
    try {
      const first = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'slow queue' }).expect(201)).body;
      const second = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'waiting for a slot' }).expect(201)).body;
      expect(second.status).toBe('pending');
      const notSent = await t.http.delete(`/api/v1/jimeng/task/${second.id}`).set(bearer(user.token)).expect(200);
      expect(notSent.body).toMatchObject({ refunded: 4, task: { status: 'canceled', refunded: true } });
      await waitForTask(user.token, first.id, (task) => ['submitted', 'queued', 'running'].includes(task.status));
      await t.http.delete(`/api/v1/jimeng/task/${first.id}`).set(bearer(user.token)).expect(409);
    } finally {
      await control('timing', { queueMs: 20 });
      await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 2 }).expect(200);
    }
  });

  it('answers 503 while turned off', async () => {
    const user = await signUp(t.http);
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ enabled: false }).expect(200);
    try {
      expect((await t.http.get('/api/v1/jimeng/config/user').set(bearer(user.token)).expect(200)).body).toMatchObject({ enabled: false, unavailable: expect.stringMatching(/turned off/) });
      await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'x' }).expect(503);
    } finally {
      await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ enabled: true }).expect(200);
    }
  });
});
