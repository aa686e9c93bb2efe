import { KlingClient } from '@atelier/providers/kling';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import sharp from 'sharp';
import { bearer, freePort, queryDatabase, signUp, startTestApp, type TestApp } from './test-app.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** Kling end to end: the module, the task engine and storage's video support against the Kling sandbox on this server. */
describe('kling', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;

  const waitForTask = async (token: string, id: string, until: (task: any) => boolean = (task) => TERMINAL.includes(task.status), app: TestApp = t) => {
    const started = Date.now();
    for (;;) {
      const { body } = await app.http.get(`/api/v1/kling/task/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > 60_000) throw new Error(`task ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;
  const image = (width = 640, height = 360, color = '#3070c0', format: 'png' | 'webp' = 'png') => sharp({ create: { width, height, channels: 3, background: color } })[format]().toBuffer();
  const upload = async (token: string, bytes: Buffer, name = 'input.png') => (await t.http.post('/api/v1/files/upload').set(bearer(token)).attach('file', bytes, name).expect(201)).body;
  const textToVideo = (token: string, body: object, app: TestApp = t) => app.http.post('/api/v1/kling/text-to-video').set(bearer(token)).send(body);
  const setTiming = (timing: object, app: TestApp = t) => app.http.post('/sandbox/_control/timing').send(timing).expect(200);
  const klingRequests = async (app: TestApp = t) => (await app.http.get('/sandbox/_control/requests?provider=kling').expect(200)).body as Array<{ method: string; path: string }>;
  const sandboxClient = (app: TestApp = t) => new KlingClient({ ...SANDBOX_CREDENTIALS.kling, baseUrl: `${app.baseUrl}/sandbox/kling` });

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    admin = await signUp(t.http);
    await setTiming({ queueMs: 20, runMinMs: 50, runMaxMs: 100 });
  });
  afterAll(() => t?.close());

  it('works on a fresh install through the sandbox: settings, catalogue and prices', async () => {
    const user = await signUp(t.http);
    expect((await t.http.get('/api/v1/kling/config/user').set(bearer(user.token)).expect(200)).body).toEqual({ enabled: true, defaultModel: 'kling-v2-6', sandbox: true });
    const config = await t.http.get('/api/v1/kling/config').set(bearer(admin.token)).expect(200);
    expect(config.body).toMatchObject({ accessKey: '', secretKeySet: false, usesSandbox: true, enabled: true, timeout: 3600, maxConcurrentTasks: 3, saved: false });
    await t.http.get('/api/v1/kling/config').set(bearer(user.token)).expect(403);
    const { body: catalogue } = await t.http.get('/api/v1/kling/models').set(bearer(user.token)).expect(200);
    expect(catalogue.models.map((m: any) => m.id)).toEqual(['kling-v1', 'kling-v1-5', 'kling-v1-6', 'kling-v2-master', 'kling-v2-1', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6']);
    const v26 = catalogue.models.find((m: any) => m.id === 'kling-v2-6');
    expect(v26).toMatchObject({ nameZhCN: '可灵 2.6', textToVideo: true, imageToVideo: true, sound: 'pro', cfgScale: false, durations: [5, 10], kind: 'video' });
    expect(v26.prices).toEqual([
      { mode: 'std', priceKey: 'kling-v2-6:std', per5Seconds: 25, defaultPer5Seconds: 25, byDuration: { 5: 25, 10: 50 } },
      { mode: 'pro', priceKey: 'kling-v2-6:pro', per5Seconds: 50, defaultPer5Seconds: 50, byDuration: { 5: 50, 10: 100 } },
    ]);
    expect(catalogue.models.find((m: any) => m.id === 'kling-v2-1')).toMatchObject({ textToVideo: false, imageToVideo: true });
    // The checks of unsaved values: the sandbox's keys pass, wrong keys are refused, and nothing is saved.
    expect((await t.http.post('/api/v1/kling/config/check').set(bearer(admin.token)).send({}).expect(200)).body).toMatchObject({ ok: true, usesSandbox: true });
    const wrong = await t.http.post('/api/v1/kling/config/check').set(bearer(admin.token)).send({ accessKey: 'x', secretKey: 'y', region: 'custom', baseUrl: `${t.baseUrl}/sandbox/kling` }).expect(200);
    expect(wrong.body).toMatchObject({ ok: false, reason: 'key_refused' });
    expect((await t.http.get('/api/v1/kling/config').set(bearer(admin.token)).expect(200)).body.saved).toBe(false);
    // Saving other settings keeps the sandbox, and its key is never shown as if an admin had entered it.
    const other = await t.http.post('/api/v1/kling/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 3 }).expect(200);
    expect(other.body).toMatchObject({ accessKey: '', secretKeySet: false, usesSandbox: true, saved: true });
  });

  it('saves settings with the secret encrypted and never returned; empty keeps it', async () => {
    const saved = await t.http
      .post('/api/v1/kling/config')
      .set(bearer(admin.token))
      .send({ ...SANDBOX_CREDENTIALS.kling, region: 'custom', baseUrl: `${t.baseUrl}/sandbox/kling/`, timeout: 1800, maxConcurrentTasks: 5 })
      .expect(200);
    expect(saved.body).toMatchObject({ accessKey: SANDBOX_CREDENTIALS.kling.accessKey, secretKeySet: true, region: 'custom', baseUrl: `${t.baseUrl}/sandbox/kling`, timeout: 1800, maxConcurrentTasks: 5, saved: true });
    expect(JSON.stringify(saved.body)).not.toContain(SANDBOX_CREDENTIALS.kling.secretKey);
    const [row] = await queryDatabase(t.database, 'SELECT secret_key_encrypted FROM kling_settings');
    expect(row.secret_key_encrypted).not.toContain(SANDBOX_CREDENTIALS.kling.secretKey);
    expect((await t.http.get('/api/v1/kling/config').set(bearer(admin.token)).expect(200)).body).toMatchObject({ accessKey: SANDBOX_CREDENTIALS.kling.accessKey, secretKeySet: true });
    const kept = await t.http.post('/api/v1/kling/config').set(bearer(admin.token)).send({ secretKey: '', timeout: 3600, maxConcurrentTasks: 3 }).expect(200);
    expect(kept.body.secretKeySet).toBe(true);
    expect((await t.http.post('/api/v1/kling/config/check').set(bearer(admin.token)).send({}).expect(200)).body.ok).toBe(true);
    const bad = await t.http.post('/api/v1/kling/config').set(bearer(admin.token)).send({ region: 'mars' }).expect(400);
    expect(bad.body.details[0].field).toBe('region');
  });

  it('makes a video from text, charged per mode and duration, stored with its duration and poster', async () => {
    const user = await signUp(t.http);
    const created = await textToVideo(user.token, { model: 'kling-v2-6', prompt: 'a paper boat on a rainy street', duration: 10, aspectRatio: '9:16' }).expect(201);
    expect(created.body).toMatchObject({ provider: 'kling', model: 'kling-v2-6:std', action: 'text-to-video', cost: 50, kind: 'video' });
    // The task is named after its model; "per 5 s" belongs to the price table only.
    expect([created.body.modelName, created.body.modelNameZhCN]).toEqual(['Kling 2.6 (std)', expect.stringMatching(/（标准）$/)]);
    const prices = (await t.http.get('/api/v1/admin/prices').set(bearer(admin.token)).expect(200)).body.prices as Array<{ model: string; name: string; nameZhCN: string }>;
    expect(prices.find((price) => price.model === 'kling-v2-6:std')).toMatchObject({ name: 'Kling 2.6 (std) (per 5 s)', nameZhCN: expect.stringMatching(/（标准）（每 5 秒）$/) });
    expect(await balance(user.token)).toBe(50);
    const done = await waitForTask(user.token, created.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toHaveLength(1);
    const [video] = done.outputs;
    expect(video).toMatchObject({ kind: 'video', stored: true });
    expect(video.duration).toBeGreaterThan(0);
    expect(video.posterUrl).toMatch(/^\/media\//);
    expect(video.height).toBeGreaterThan(video.width);
    await t.http.get(video.url).expect(200);
    await t.http.get(video.posterUrl).expect(200);
    expect(JSON.stringify(done)).not.toMatch(/kling-cdn|sandbox/);
    // Sent with our task id as external_task_id, and nothing else was needed.
    const job = await sandboxClient().getTaskByExternalId('text2video', created.body.id);
    expect(job?.status).toBe('succeed');
    const history = await t.http.get('/api/v1/kling/history').set(bearer(user.token)).expect(200);
    expect(history.body.items.map((item: any) => item.id)).toEqual([created.body.id]);
  });

  it('makes a video from a start and an end frame (our file and our URL), and its last frame becomes a stored image', async () => {
    const user = await signUp(t.http);
    const start = await upload(user.token, await image(640, 360, '#c03030'));
    const end = await upload(user.token, await image(640, 360, '#30c030'));
    const created = await t.http
      .post('/api/v1/kling/image-to-video')
      .set(bearer(user.token))
      .send({ model: 'kling-v2-5-turbo', mode: 'pro', prompt: 'red turns green', startImage: { fileId: start.id }, endImage: { url: end.url } })
      .expect(201);
    expect(created.body).toMatchObject({ model: 'kling-v2-5-turbo:pro', action: 'image-to-video', cost: 25 });
    const done = await waitForTask(user.token, created.body.id);
    expect(done.status).toBe('succeeded');
    const [video] = done.outputs;
    expect(video).toMatchObject({ kind: 'video', width: expect.any(Number) });
    expect(video.width).toBeGreaterThan(video.height);
    // Sent as raw base64: the sandbox only reads images it can decode, and refuses a data: prefix.
    const frame = await t.http.post(`/api/v1/kling/task/${created.body.id}/last-frame`).set(bearer(user.token)).expect(201);
    expect(frame.body).toMatchObject({ kind: 'image', mimeType: 'image/jpeg', width: video.width, height: video.height });
    const pixel = await sharp((await t.http.get(frame.body.url).buffer(true).expect(200)).body).resize(1, 1).raw().toBuffer();
    // The end frame was green.
    expect(pixel[1]).toBeGreaterThan(pixel[0]);
    // The frame is the start frame of the next video ("use last frame as start frame").
    const next = await t.http.post('/api/v1/kling/image-to-video').set(bearer(user.token)).send({ model: 'kling-v1-6', startImage: { fileId: frame.body.id } }).expect(201);
    expect((await waitForTask(user.token, next.body.id)).status).toBe('succeeded');
    // Someone else's task: 404, for the task, its last frame and its cancel.
    const other = await signUp(t.http);
    await t.http.get(`/api/v1/kling/task/${created.body.id}`).set(bearer(other.token)).expect(404);
    await t.http.post(`/api/v1/kling/task/${created.body.id}/last-frame`).set(bearer(other.token)).expect(404);
    await t.http.delete(`/api/v1/kling/task/${created.body.id}`).set(bearer(other.token)).expect(404);
  });

  it('checks each request against its model, naming the field and the allowed values', async () => {
    const user = await signUp(t.http);
    const cases: Array<[string, object, string, RegExp]> = [
      ['text-to-video', { model: 'kling-v2-1', prompt: 'x' }, 'model', /one of: kling-v1, kling-v1-6, kling-v2-master/],
      ['text-to-video', { model: 'kling-v9', prompt: 'x' }, 'model', /model must be one of/],
      ['text-to-video', { model: 'kling-v2-6', prompt: 'x', duration: 7 }, 'duration', /one of: 5, 10/],
      ['text-to-video', { model: 'kling-v2-6', prompt: 'x', mode: 'max' }, 'mode', /one of: std, pro/],
      ['text-to-video', { model: 'kling-v2-6', prompt: 'x', aspectRatio: '4:3' }, 'aspectRatio', /one of: 16:9, 9:16, 1:1/],
      ['text-to-video', { model: 'kling-v2-6', prompt: 'x', cfgScale: 0.5 }, 'cfgScale', /does not take cfgScale/],
      ['text-to-video', { model: 'kling-v2-6', prompt: 'x', sound: true }, 'mode', /one of: pro/],
      ['text-to-video', { model: 'kling-v2-5-turbo', prompt: 'x', sound: true }, 'sound', /one of: false/],
      ['text-to-video', { model: 'kling-v2-6', prompt: 'x', cameraControl: { type: 'simple', config: { zoom: 5 } } }, 'cameraControl', /does not take cameraControl/],
      ['text-to-video', { model: 'kling-v1', prompt: 'x', cameraControl: { type: 'spin' } }, 'cameraControl.type', /one of: simple, down_back/],
      ['text-to-video', { model: 'kling-v1', prompt: 'x', cameraControl: { type: 'simple', config: { zoom: 5, pan: 2 } } }, 'cameraControl.config', /horizontal, vertical, pan/],
      ['text-to-video', { model: 'kling-v2-6' }, 'prompt', /prompt is required/],
      ['image-to-video', { model: 'kling-v2-6' }, 'startImage', /required/],
      ['image-to-video', { model: 'kling-v2-6', startImage: { fileId: '00000000-0000-4000-8000-000000000000' }, aspectRatio: '16:9' }, 'aspectRatio', /should not exist/],
      ['image-to-video', { model: 'kling-v2-master', mode: 'pro', endImage: { fileId: '00000000-0000-4000-8000-000000000000' } }, 'endImage', /does not take endImage/],
      ['image-to-video', { model: 'kling-v2-6', endImage: { fileId: '00000000-0000-4000-8000-000000000000' } }, 'mode', /one of: pro/],
      ['image-to-video', { model: 'kling-v2-6', startImage: { fileId: '00000000-0000-4000-8000-000000000000' } }, 'startImage.fileId', /not one of your stored images/],
    ];
    for (const [route, body, field, message] of cases) {
      const response = await t.http.post(`/api/v1/kling/${route}`).set(bearer(user.token)).send(body).expect(400);
      expect([field, response.body.details?.find((d: any) => d.field === field)?.messages.join(' ')]).toEqual([field, expect.stringMatching(message)]);
    }
    // In the request's language.
    const zh = await t.http.post('/api/v1/kling/text-to-video').set(bearer(user.token)).set('Accept-Language', 'zh-CN').send({ model: 'kling-v2-6', prompt: 'x', duration: 7 }).expect(400);
    expect(zh.body.details[0].messages[0]).toMatch(/必须是以下之一：5, 10/);
    expect(await balance(user.token)).toBe(100);
  });

  it('checks input images before anything is sent: type, size, short side and ratio, naming the field', async () => {
    const user = await signUp(t.http);
    const cases: Array<[Buffer, string, RegExp]> = [
      [await image(640, 360, '#888', 'webp'), 'input.webp', /must be a JPG or PNG image/],
      [await image(400, 200), 'small.png', /short side must be at least 300 px/],
      [await image(1000, 300), 'wide.png', /between 1:2.5 and 2.5:1/],
    ];
    for (const [bytes, name, message] of cases) {
      const file = await upload(user.token, bytes, name);
      const response = await t.http.post('/api/v1/kling/image-to-video').set(bearer(user.token)).send({ model: 'kling-v2-6', startImage: { fileId: file.id } }).expect(400);
      expect(response.body.details[0]).toEqual({ field: 'startImage', messages: [expect.stringMatching(message)] });
    }
    const both = await t.http.post('/api/v1/kling/image-to-video').set(bearer(user.token)).send({ model: 'kling-v2-6', startImage: {} }).expect(400);
    expect(both.body.details[0].field).toBe('startImage');
    expect(await balance(user.token)).toBe(100);
  });

  it('cancels a video only before Kling has it: refunded while waiting for a slot, 409 once sent', async () => {
    const user = await signUp(t.http);
    await t.http.post('/api/v1/kling/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 1 }).expect(200);
    await setTiming({ queueMs: 60_000 });
    try {
      const first = (await textToVideo(user.token, { model: 'kling-v1', prompt: 'slow queue' }).expect(201)).body;
      // A video is polled 5 times less often than TASK_POLL_MIN_MS (20 ms here) at first (measured
      // from when the engine set it, so a slow machine does not eat the wait before it is read).
      const [{ wait }] = await queryDatabase(t.database, `SELECT extract(epoch FROM next_poll_at - updated_at) * 1000 AS wait FROM generation_tasks WHERE id = $1`, [first.id]);
      expect(Number(wait)).toBeGreaterThan(50);
      const second = (await textToVideo(user.token, { model: 'kling-v1', prompt: 'waiting for a slot' }).expect(201)).body;
      expect(second.status).toBe('pending');
      const notSent = await t.http.delete(`/api/v1/kling/task/${second.id}`).set(bearer(user.token)).expect(200);
      expect(notSent.body).toMatchObject({ refunded: 20, task: { status: 'canceled', refunded: true } });
      await waitForTask(user.token, first.id, (task) => task.status === 'queued' || task.status === 'submitted' || task.status === 'running');
      const refused = await t.http.delete(`/api/v1/kling/task/${first.id}`).set(bearer(user.token)).expect(409);
      expect(refused.body.message).toMatch(/cannot stop a job once it has been sent/);
      expect(await balance(user.token)).toBe(80);
    } finally {
      await setTiming({ queueMs: 20 });
      await t.http.post('/api/v1/kling/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 3 }).expect(200);
    }
  });

  it('recovers a job whose submission answer was lost through external_task_id: exactly one job at Kling', async () => {
    const user = await signUp(t.http);
    // Kling answers nothing usable: the engine keeps the task and tries later.
    await t.http.post('/sandbox/_control/faults').send({ provider: 'kling', http500: 1 }).expect(200);
    let created: any;
    try {
      created = (await textToVideo(user.token, { model: 'kling-v1', prompt: 'lost answer' }).expect(201)).body;
      const started = Date.now();
      while (!(await klingRequests()).some((r) => r.path.includes(created.id)) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 30));
      // Held back while the job is made at Kling under our id, as a submission whose answer was lost leaves it.
      await queryDatabase(t.database, `UPDATE generation_tasks SET next_poll_at = now() + interval '1 hour' WHERE id = $1`, [created.id]);
    } finally {
      await t.http.post('/sandbox/_control/faults').send({ provider: 'kling' }).expect(200);
    }
    const client = sandboxClient();
    const job = await client.text2video({ model_name: 'kling-v1', prompt: 'lost answer', external_task_id: created.id });
    const postsBefore = (await klingRequests()).filter((r) => r.method === 'POST' && r.path.endsWith('/text2video')).length;
    await queryDatabase(t.database, `UPDATE generation_tasks SET next_poll_at = now() WHERE id = $1`, [created.id]);
    const done = await waitForTask(user.token, created.id);
    expect(done.status).toBe('succeeded');
    const posts = (await klingRequests()).filter((r) => r.method === 'POST' && r.path.endsWith('/text2video'));
    const jobs = (await client.listTasks('text2video', 1, 500)).filter((task) => task.externalTaskId === created.id);
    expect(jobs.map((task) => task.id)).toEqual([job.id]);
    // The engine looked it up and never sent it again.
    expect(posts.length).toBe(postsBefore);
    expect((await klingRequests()).some((r) => r.method === 'GET' && r.path.endsWith(`/text2video/${created.id}`))).toBe(true);
  });

  it('finishes through the callback when PUBLIC_URL is set, without waiting for a poll', async () => {
    const port = await freePort();
    // Polls are a minute apart here: only Kling's callback can make the task due.
    const hooked = await startTestApp({ listen: true, port, env: { PUBLIC_URL: `http://127.0.0.1:${port}`, TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '60000', TASK_POLL_MAX_MS: '600000' } });
    try {
      await setTiming({ queueMs: 20, runMinMs: 50, runMaxMs: 100 }, hooked);
      const user = await signUp(hooked.http);
      const created = (await textToVideo(user.token, { model: 'kling-v1', prompt: 'called back' }, hooked).expect(201)).body;
      const done = await waitForTask(user.token, created.id, undefined, hooked);
      expect(done.status).toBe('succeeded');
      expect(done.outputs[0]).toMatchObject({ kind: 'video', stored: true });
    } finally {
      await hooked.close();
    }
  });

  it('answers each Kling refusal as it means: balance, content policy, busy, and a failed video', async () => {
    const user = await signUp(t.http);
    await t.app.get((await import('../src/modules/credits/credits.service.js')).CreditsService).grant({ id: admin.id } as any, { userId: user.id, amount: 1000, reason: 'more' });
    const run = async (prompt: string) => waitForTask(user.token, (await textToVideo(user.token, { model: 'kling-v1', prompt }).expect(201)).body.id);
    const before = await balance(user.token);
    // Refusals at submission are answered at once, and nothing is charged.
    const broke = await textToVideo(user.token, { model: 'kling-v1', prompt: 'sandbox:balance' }).expect(502);
    expect(broke.body.message).toMatch(/no balance left/);
    const policy = await textToVideo(user.token, { model: 'kling-v1', prompt: 'sandbox:policy' }).expect(400);
    expect(policy.body.message).toMatch(/Kling refused the content/);
    expect(await balance(user.token)).toBe(before);
    const failed = await run('sandbox:fail');
    expect(failed).toMatchObject({ status: 'failed', refunded: true });
    expect(failed.error).toMatch(/risk control/);
    // 1303 is "try later": the task waits and is sent again, never failed for it.
    const busy = (await textToVideo(user.token, { model: 'kling-v1', prompt: 'sandbox:busy' }).expect(201)).body;
    const started = Date.now();
    while ((await klingRequests()).filter((r) => r.method === 'POST' && r.path.endsWith('/text2video')).length < 2 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
    const waiting = (await t.http.get(`/api/v1/kling/task/${busy.id}`).set(bearer(user.token)).expect(200)).body;
    expect(waiting.status).toBe('pending');
    // Whether a job whose answer did not come is at Kling is not known: it cannot be canceled, and
    // every new attempt looks it up by external_task_id first.
    await t.http.delete(`/api/v1/kling/task/${busy.id}`).set(bearer(user.token)).expect(409);
    expect((await klingRequests()).filter((r) => r.method === 'GET' && r.path.includes(busy.id)).length).toBeGreaterThanOrEqual(2);
    expect(await balance(user.token)).toBe(before - 20);
  });
});
