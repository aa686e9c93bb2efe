import sharp from 'sharp';
import { TaskEngine } from '../src/modules/scheduler/task-engine.service.js';
import { bearer, freePort, queryDatabase, signUp, startTestApp, type TestApp } from './test-app.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** FLUX end to end: the module, the task engine and storage against the fal sandbox on this server. */
describe('flux', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;

  const waitForTask = async (token: string, id: string, until: (task: any) => boolean = (task) => TERMINAL.includes(task.status)) => {
    const started = Date.now();
    for (;;) {
      const { body } = await t.http.get(`/api/v1/flux/task/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > 20_000) throw new Error(`task ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };
  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;
  const png = () => sharp({ create: { width: 320, height: 240, channels: 3, background: '#3070c0' } }).png().toBuffer();
  const upload = async (token: string, bytes: Buffer, name = 'input.png') =>
    t.http.post('/api/v1/flux/upload-image').set(bearer(token)).attach('file', bytes, name);

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    admin = await signUp(t.http);
  });
  afterAll(() => t?.close());

  it('works on a fresh install through the sandbox, with its catalogue and health', async () => {
    const user = await signUp(t.http);
    expect((await t.http.get('/api/v1/flux/config/user').set(bearer(user.token)).expect(200)).body).toEqual({ enabled: true, defaultModel: 'fal-ai/flux-1/schnell', sandbox: true });
    const { body: catalogue } = await t.http.get('/api/v1/flux/models').set(bearer(user.token)).expect(200);
    expect(catalogue.models).toHaveLength(11);
    expect(catalogue.models.find((m: any) => m.id === 'fal-ai/flux-1/schnell')).toMatchObject({ mode: 'text-to-image', price: 3, parameters: expect.arrayContaining([{ name: 'numInferenceSteps', type: 'integer', min: 1, max: 12, step: 1, default: 4 }]) });
    expect(catalogue.models[0].parameters[0]).not.toHaveProperty('wire');
    const health = await t.http.get('/api/v1/flux/health').set(bearer(user.token)).expect(200);
    expect(health.body).toMatchObject({ ok: true, reason: null, usesSandbox: true });
    const credits = await t.http.get('/api/v1/flux/credits').set(bearer(user.token)).expect(200);
    expect(credits.body.balance).toBe(100);
    expect(credits.body.prices).toHaveLength(11);
    const config = await t.http.get('/api/v1/flux/config').set(bearer(admin.token)).expect(200);
    expect(config.body).toMatchObject({ apiKeySet: false, usesSandbox: true, enabled: true, timeout: 900, maxConcurrentTasks: 4 });
    await t.http.get('/api/v1/flux/config').set(bearer(user.token)).expect(403);
  });

  it('generates images from text, charges per image and stores every output with its seed', async () => {
    const user = await signUp(t.http);
    const created = await t.http
      .post('/api/v1/flux/text-to-image')
      .set(bearer(user.token))
      .send({ model: 'fal-ai/flux-1/schnell', prompt: 'a red fox in snow', numImages: 2, imageSize: 'square', numInferenceSteps: 4, seed: 42, outputFormat: 'png' })
      .expect(201);
    expect(created.body).toMatchObject({ provider: 'flux', model: 'fal-ai/flux-1/schnell', action: 'text-to-image', cost: 6, prompt: 'a red fox in snow' });
    // The task keeps the request in the API's own words, never fal's.
    expect(created.body.parameters).toEqual({ prompt: 'a red fox in snow', numImages: 2, imageSize: 'square', numInferenceSteps: 4, seed: 42, outputFormat: 'png' });
    expect(await balance(user.token)).toBe(94);
    const done = await waitForTask(user.token, created.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.refunded).toBe(false);
    expect(done.outputs).toHaveLength(2);
    for (const output of done.outputs) {
      expect(output).toMatchObject({ kind: 'image', mimeType: 'image/png', width: 512, height: 512, metadata: { seed: '42', hasNsfwConcepts: false }, stored: true });
      expect(output.url).toMatch(/^\/media\//);
      // 512 px outputs of a few hundred KB are their own thumbnails; larger ones get a 512 px copy.
      expect(output.thumbnailUrl === output.url || /\.thumb\.(jpg|webp)$/.test(output.thumbnailUrl)).toBe(true);
      await t.http.get(output.url).expect(200);
      await t.http.get(output.thumbnailUrl).expect(200);
    }
    expect(JSON.stringify(done)).not.toMatch(/fal-media|sandbox/);
    const history = await t.http.get('/api/v1/flux/history').set(bearer(user.token)).expect(200);
    expect(history.body.items.map((item: any) => item.id)).toEqual([created.body.id]);
  });

  it('checks each request against its model, naming the field and what is allowed', async () => {
    const user = await signUp(t.http);
    const cases: Array<[object, string, RegExp]> = [
      [{ model: 'fal-ai/flux-1/schnell', prompt: 'x', numInferenceSteps: 20 }, 'numInferenceSteps', /from 1 to 12/],
      [{ model: 'fal-ai/flux-pro/kontext/text-to-image', prompt: 'x', imageSize: 'square' }, 'imageSize', /does not take imageSize/],
      [{ model: 'fal-ai/flux-pro/kontext/text-to-image', prompt: 'x', aspectRatio: '5:4' }, 'aspectRatio', /one of: 21:9/],
      [{ model: 'fal-ai/flux-1/dev', prompt: 'x', strength: 0.5 }, 'strength', /should not exist/],
      [{ model: 'fal-ai/flux-pro/kontext/text-to-image', prompt: 'x', enableSafetyChecker: true }, 'enableSafetyChecker', /does not take enableSafetyChecker/],
      [{ model: 'fal-ai/flux-1/dev' }, 'prompt', /prompt is required/],
      [{ model: 'fal-ai/flux-1/dev/image-to-image', prompt: 'x' }, 'model', /not a text-to-image model/],
      [{ model: 'flux-9000', prompt: 'x' }, 'model', /model must be one of: fal-ai\/flux-1\/dev,/],
      [{ model: 'fal-ai/flux-1/dev', prompt: 'x', imageSize: { width: 99999, height: 10 } }, 'imageSize', /from 256 to 2048/],
      [{ model: 'fal-ai/flux-1/dev', prompt: 'x', unknown: 1 }, 'unknown', /should not exist/],
    ];
    for (const [body, field, message] of cases) {
      const response = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send(body).expect(400);
      expect([field, response.body.details.find((d: any) => d.field === field)?.messages.join(' ')]).toEqual([field, expect.stringMatching(message)]);
    }
    expect(await balance(user.token)).toBe(100);
  });

  it('fails and refunds a prompt the content checker flags', async () => {
    const user = await signUp(t.http);
    const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/dev', prompt: 'sandbox:fail please' }).expect(201);
    const done = await waitForTask(user.token, created.body.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^FLUX \(fal.ai\): the content was flagged by the safety checker/);
    // Named for people, and saying that the cost came back.
    expect(done).toMatchObject({ modelName: 'FLUX.1 [dev]', modelNameZhCN: 'FLUX.1 [dev] 文生图', cost: 10, refunded: true, errorCode: 'content_flagged' });
    expect(await balance(user.token)).toBe(100);
    // The ledger names the model for people and carries the code the app words the refund from.
    const ledger = await t.http.get('/api/v1/credits/ledger').set(bearer(user.token)).expect(200);
    const task = { provider: 'flux', model: 'fal-ai/flux-1/dev', modelName: 'FLUX.1 [dev]', modelNameZhCN: 'FLUX.1 [dev] 文生图' };
    expect(ledger.body.items.slice(0, 2)).toMatchObject([
      { kind: 'refund', delta: 10, taskId: created.body.id, task: { ...task, errorCode: 'content_flagged' } },
      { kind: 'charge', delta: -10, taskId: created.body.id, task: { ...task, errorCode: 'content_flagged' } },
    ]);
    expect(ledger.body.items[2]).toMatchObject({ kind: 'grant', task: null });
    const recent = await t.http.get('/api/v1/credits').set(bearer(user.token)).expect(200);
    expect(recent.body.recent[0].task).toMatchObject({ modelNameZhCN: 'FLUX.1 [dev] 文生图', errorCode: 'content_flagged' });
  });

  it('edits, varies and combines our own images: uploads, earlier results and outside URLs', async () => {
    const user = await signUp(t.http);
    const uploaded = await upload(user.token, await png());
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ kind: 'image', mimeType: 'image/png', width: 320, height: 240 });
    const gif = await upload(user.token, Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'x.gif');
    expect(gif.status).toBe(415);

    const kontext = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'make it night', fileId: uploaded.body.id, safetyTolerance: '3', aspectRatio: '4:3' }).expect(201);
    expect(kontext.body.cost).toBe(16);
    expect(kontext.body.parameters).toEqual({ prompt: 'make it night', safetyTolerance: '3', aspectRatio: '4:3', fileIds: [uploaded.body.id] });
    const edited = await waitForTask(user.token, kontext.body.id);
    expect(edited.status).toBe('succeeded');

    // An earlier result, by its URL, into image-to-image with a strength.
    const img2img = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/dev/image-to-image', prompt: 'watercolour', imageUrl: edited.outputs[0].url, strength: 0.6 }).expect(201);
    expect((await waitForTask(user.token, img2img.body.id)).status).toBe('succeeded');

    const redux = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell/redux', fileId: uploaded.body.id }).expect(201);
    expect((await waitForTask(user.token, redux.body.id)).status).toBe('succeeded');
    const noPrompt = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell/redux', fileId: uploaded.body.id, prompt: 'x' }).expect(400);
    expect(noPrompt.body.details[0].field).toBe('prompt');

    await t.app.get((await import('../src/modules/credits/credits.service.js')).CreditsService).grant({ id: admin.id } as any, { userId: user.id, amount: 100, reason: 'more' });
    const multi = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext/multi', prompt: 'put them together', fileIds: [uploaded.body.id, edited.outputs[0].id] }).expect(201);
    expect((await waitForTask(user.token, multi.body.id)).status).toBe('succeeded');

    const missing = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x' }).expect(400);
    expect(missing.body.details[0]).toMatchObject({ field: 'imageUrl', messages: [expect.stringMatching(/needs exactly one image/)] });
    const tooMany = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext/multi', prompt: 'x', fileIds: Array(5).fill(uploaded.body.id) }).expect(400);
    expect(tooMany.body.details[0].field).toBe('fileIds');
    const private_ = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', imageUrl: 'http://10.1.2.3/secret.png' }).expect(400);
    expect(private_.body.details[0]).toMatchObject({ field: 'imageUrl', messages: [expect.stringMatching(/could not be fetched: .*not a public address/)] });
    const other = await signUp(t.http);
    const notMine = await t.http.post('/api/v1/flux/image-to-image').set(bearer(other.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', fileId: uploaded.body.id }).expect(400);
    expect(notMine.body.details[0].messages[0]).toBe('fileId is not one of your stored images');
  });

  it('refuses bad input with a 400 naming the field, leaving no task, charge or file behind', async () => {
    const user = await signUp(t.http);
    const files = async () => (await queryDatabase(t.database, `SELECT count(*)::int AS n FROM media_files WHERE user_id = $1`, [user.id]))[0].n;
    const tasks = async () => (await queryDatabase(t.database, `SELECT count(*)::int AS n FROM generation_tasks WHERE user_id = $1`, [user.id]))[0].n;
    const nul = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'fox \u0000 nul' }).expect(400);
    expect(nul.body.details).toEqual([{ field: 'prompt', messages: [expect.stringMatching(/cannot be stored/)] }]);
    const nulUrl = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext/multi', prompt: 'x', imageUrls: ['http://a.example/\u0000.png'] }).expect(400);
    expect(nulUrl.body.details[0].field).toBe('imageUrls.0');
    const noModel = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ prompt: 'x' }).expect(400);
    expect(noModel.body.details).toEqual([{ field: 'model', messages: ['model is required'] }]);
    const empty = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', imageUrl: '' }).expect(400);
    expect(empty.body.details).toEqual([{ field: 'imageUrl', messages: ['imageUrl must not be empty: leave it out, or send a URL'] }]);
    // A refused outside URL leaves no failed file in the user's files.
    await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', imageUrl: 'HTTP://169.254.169.254/latest/meta-data/' }).expect(400);
    await t.http.get('/api/v1/flux/history?source=midjourney').set(bearer(user.token)).expect(400);
    expect({ files: await files(), tasks: await tasks(), balance: await balance(user.token) }).toEqual({ files: 0, tasks: 0, balance: 100 });

    // Too few credits: 402 before any outside image is fetched (this one would be refused: 400).
    await queryDatabase(t.database, `UPDATE credit_accounts SET balance = 10 WHERE user_id = $1`, [user.id]);
    const poor = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', imageUrl: 'http://10.1.2.3/x.png' }).expect(402);
    expect(poor.body.message).toBe('Not enough credits: this costs 16, your balance is 10');
    expect(await files()).toBe(0);

    // A GIF (or a video) among the user's own files is not an input fal reads.
    await queryDatabase(t.database, `UPDATE credit_accounts SET balance = 100 WHERE user_id = $1`, [user.id]);
    const gif = await t.http.post('/api/v1/files/upload').set(bearer(user.token)).attach('file', await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).gif().toBuffer(), 'x.gif').expect(201);
    const refusedGif = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', fileId: gif.body.id }).expect(400);
    expect(refusedGif.body.details).toEqual([{ field: 'fileId', messages: ['Only JPG, PNG or WebP images can be used here'] }]);

    // A safety tolerance sent as a number is kept as fal's string.
    const tolerant = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext/text-to-image', prompt: 'x', safetyTolerance: 3 }).expect(201);
    expect(tolerant.body.parameters).toMatchObject({ safetyTolerance: '3' });
  });

  it('with auto-upload off, keeps fal’s links (not stored) until the migration copies the results', async () => {
    const user = await signUp(t.http);
    const storage = (autoUpload: boolean) => t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'local', enabled: true, autoUpload }).expect(200);
    await storage(false);
    try {
      const { body: submitted } = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'kept at fal' }).expect(201);
      const done = await waitForTask(user.token, submitted.id);
      expect(done.status).toBe('succeeded');
      expect(done.outputs).toEqual([expect.objectContaining({ stored: false, kind: 'image', url: expect.stringContaining('/sandbox/fal-media/files/'), thumbnailUrl: null })]);
      expect(await queryDatabase(t.database, `SELECT status FROM media_files WHERE source_task_id = $1`, [submitted.id])).toEqual([{ status: 'pending' }]);

      const { body: job } = await t.http.post('/api/v1/files/migrate').set(bearer(admin.token)).expect(202);
      const { MigrationService } = await import('../src/modules/storage/migration.service.js');
      await t.app.get(MigrationService).idle();
      expect((await t.http.get(`/api/v1/files/migrate/${job.jobId}`).set(bearer(admin.token)).expect(200)).body).toMatchObject({ status: 'finished', done: 1, failed: 0 });
      const migrated = (await t.http.get(`/api/v1/flux/task/${submitted.id}`).set(bearer(user.token)).expect(200)).body;
      expect(migrated.outputs).toEqual([expect.objectContaining({ id: done.outputs[0].id, stored: true, url: expect.stringMatching(/^\/media\//), thumbnailUrl: expect.any(String) })]);
    } finally {
      await storage(true);
    }
  });

  it('runs every model with a valid request and refuses an invalid one', async () => {
    const user = await signUp(t.http);
    await t.app.get((await import('../src/modules/credits/credits.service.js')).CreditsService).grant({ id: admin.id } as any, { userId: user.id, amount: 1000, reason: 'all models' });
    const input = (await upload(user.token, await png())).body.id as string;
    const { body: catalogue } = await t.http.get('/api/v1/flux/models').set(bearer(user.token)).expect(200);
    const tasks: Array<{ id: string; model: string }> = [];
    for (const model of catalogue.models) {
      const endpoint = model.mode === 'text-to-image' ? 'text-to-image' : 'image-to-image';
      const body: Record<string, unknown> = { model: model.id, ...(model.prompt === 'required' ? { prompt: `a lighthouse for ${model.id}` } : {}) };
      if (model.imageInput === 'single') body.fileId = input;
      if (model.imageInput === 'multi') body.fileIds = [input, input];
      const bad = await t.http.post(`/api/v1/flux/${endpoint}`).set(bearer(user.token)).send({ ...body, numImages: 9 }).expect(400);
      expect([model.id, bad.body.details[0].field]).toEqual([model.id, 'numImages']);
      const created = await t.http.post(`/api/v1/flux/${endpoint}`).set(bearer(user.token)).send(body).expect(201);
      tasks.push({ id: created.body.id, model: model.id });
    }
    for (const task of tasks) {
      const done = await waitForTask(user.token, task.id);
      expect([task.model, done.status, done.outputs.length]).toEqual([task.model, 'succeeded', 1]);
    }
  });

  it('cancels a queued generation at fal and refunds it in full', async () => {
    const user = await signUp(t.http);
    await t.http.post('/sandbox/_control/timing').send({ queueMs: 60_000 }).expect(200);
    try {
      const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/dev', prompt: 'waiting' }).expect(201);
      await waitForTask(user.token, created.body.id, (task) => task.status === 'queued');
      const canceled = await t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).expect(200);
      expect(canceled.body).toMatchObject({ refunded: 10, task: { status: 'canceled' } });
      expect(await balance(user.token)).toBe(100);
    } finally {
      await t.http.post('/sandbox/_control/timing').send({ queueMs: 20 }).expect(200);
    }
  });

  it('keeps going through 429, 500 and malformed answers, and ends clearly when fal never recovers', async () => {
    const user = await signUp(t.http);
    await t.http.post('/sandbox/_control/faults').send({ provider: 'fal', http429: 0.25, http500: 0.25, malformedJson: 0.2 }).expect(200);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: `hiccup ${i}` });
        expect(created.status).toBe(201);
        ids.push(created.body.id);
      }
      for (const id of ids) expect((await waitForTask(user.token, id)).status).toBe('succeeded');

      await t.http.post('/sandbox/_control/faults').send({ provider: 'fal', http500: 1 }).expect(200);
      const stuck = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'never' }).expect(201);
      expect(stuck.body.status).toBe('pending');
      await queryDatabase(t.database, `UPDATE generation_tasks SET deadline_at = now() + interval '300 milliseconds' WHERE id = $1`, [stuck.body.id]);
      const done = await waitForTask(user.token, stuck.body.id);
      expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/^FLUX \(fal.ai\) could not take the task within/), errorCode: 'not_started' });
      expect(await balance(user.token)).toBe(100 - 9);
    } finally {
      await t.http.post('/sandbox/_control/faults').send({ provider: 'fal' }).expect(200);
    }
  });

  it('documents text-to-image examples that work as they stand (the explorer\'s "Try it out")', async () => {
    const user = await signUp(t.http);
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: 100, reason: 'examples' }).expect(200);
    const document = (await t.http.get('/api/docs/openapi.json').expect(200)).body;
    const examples = document.paths['/api/v1/flux/text-to-image'].post.requestBody.content['application/json'].examples;
    expect(Object.keys(examples).length).toBeGreaterThanOrEqual(3);
    for (const [name, example] of Object.entries(examples) as Array<[string, { value: unknown }]>) {
      const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send(example.value as object);
      expect({ name, status: created.status, details: created.body.details }).toEqual({ name, status: 201, details: undefined });
    }
  });

  it('words its messages in the language the request asks for (Accept-Language), English otherwise', async () => {
    const user = await signUp(t.http);
    const zh = { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' };
    const signIn = await t.http.post('/api/v1/auths/signin').set(zh).send({ email: 'nobody@example.com', password: 'wrong-password' }).expect(401);
    expect(signIn.body.message).toBe('邮箱或密码不正确');
    expect((await t.http.post('/api/v1/auths/signin').send({ email: 'nobody@example.com', password: 'wrong-password' }).expect(401)).body.message).toBe('The email or password is incorrect');
    // Through the whole request: a field error, a 402 from the balance, and an upload's multipart parsing.
    const notMine = await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).set(zh).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', fileId: '00000000-0000-4000-8000-000000000000' }).expect(400);
    expect(notMine.body.details).toEqual([{ field: 'fileId', messages: ['这张输入图片不在你已保存的图片中（可能已被删除）'] }]);
    const tooMany = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).set(zh).send({ model: 'fal-ai/flux-pro/kontext/max/text-to-image', prompt: 'x', numImages: 4 }).expect(402);
    expect(tooMany.body.message).toMatch(/^积分不足：需要 \d+ 积分，当前余额 100$/);
    const noFile = await t.http.post('/api/v1/flux/upload-image').set(bearer(user.token)).set(zh).field('other', 'x').expect(400);
    expect(noFile.body.details[0].messages[0]).toMatch(/^缺少文件/);
    const wrongType = await t.http.post('/api/v1/flux/upload-image').set(bearer(user.token)).set(zh).attach('file', Buffer.from('GIF89a'), 'a.gif');
    expect(wrongType.status).toBe(415);
    // One wording for a type the input does not take and for bytes that are no image at all, naming
    // only what this input accepts, in file types people know.
    expect(wrongType.body.message).toBe('只能使用 JPG、PNG 或 WebP 图片');
    const mislabelled = await t.http.post('/api/v1/flux/upload-image').set(bearer(user.token)).set(zh).attach('file', Buffer.from('<html>not a picture</html>'), { filename: 'cat.png', contentType: 'image/png' });
    expect(mislabelled.status).toBe(415);
    expect(mislabelled.body.message).toBe('只能使用 JPG、PNG 或 WebP 图片');
    const english = await t.http.post('/api/v1/flux/upload-image').set(bearer(user.token)).attach('file', Buffer.from('<html>not a picture</html>'), 'cat.png');
    expect(english.body.message).toBe('Only JPG, PNG or WebP images can be used here');
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer();
    const corrupt = await t.http.post('/api/v1/flux/upload-image').set(bearer(user.token)).set(zh).attach('file', Buffer.concat([png.subarray(0, 16), Buffer.alloc(64, 7)]), 'broken.png');
    expect(corrupt.status).toBe(415);
    expect(corrupt.body.message).toMatch(/^图片无法解码，文件可能已损坏/);
  });

  it('never submits twice when fal took the job but its answer was unreadable', async () => {
    const user = await signUp(t.http);
    const submissions = async () => (await t.http.get('/sandbox/_control/requests?provider=fal').expect(200)).body.filter((r: any) => r.method === 'POST').length;
    const before = await submissions();
    await t.http.post('/sandbox/_control/faults').send({ provider: 'fal', malformedJson: 1 }).expect(200);
    let created;
    try {
      // The job is known by its x-fal-request-id header, so it is queued, not sent again.
      created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'garbled answer' }).expect(201);
      expect(created.body.status).toBe('queued');
    } finally {
      await t.http.post('/sandbox/_control/faults').send({ provider: 'fal' }).expect(200);
    }
    expect((await waitForTask(user.token, created.body.id)).status).toBe('succeeded');
    expect(await submissions()).toBe(before + 1);
  });

  it('cancels a running generation at fal', async () => {
    const user = await signUp(t.http);
    const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'sandbox:slow mountains' }).expect(201);
    await waitForTask(user.token, created.body.id, (task) => task.status === 'running');
    const canceled = await t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);
    expect(canceled.body).toMatchObject({ refunded: 0, task: { status: 'canceled' } });
    const other = await signUp(t.http);
    await t.http.get(`/api/v1/flux/task/${created.body.id}`).set(bearer(other.token)).expect(404);
    // A second cancel (or one that lost a race with this one) says so.
    const again = await t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).expect(409);
    expect(again.body.message).toBe('The task has already been canceled');
  });

  it('tells the losers of parallel cancels that the task was already canceled (8 at once, 3 runs)', async () => {
    const user = await signUp(t.http);
    for (let run = 0; run < 3; run++) {
      const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: `sandbox:slow race ${run}` }).expect(201);
      await waitForTask(user.token, created.body.id, (task) => task.status === 'running');
      // A running task's cancel is not refunded, so each one says it accepts the loss.
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).send({ acceptLoss: true })),
      );
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
      for (const loser of answers.filter((answer) => answer.status !== 200)) {
        expect({ status: loser.status, message: loser.body.message }).toEqual({ status: 409, message: 'The task has already been canceled' });
      }
      expect((await waitForTask(user.token, created.body.id)).status).toBe('canceled');
    }
  });

  it('does not refund a job fal had started although no poll had seen it yet', async () => {
    const user = await signUp(t.http);
    const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'sandbox:slow unseen start' }).expect(201);
    // Held by another instance that never polls: the task still reads "queued" while fal runs the job.
    await t.app.get(TaskEngine).idle();
    await queryDatabase(
      t.database,
      `UPDATE generation_tasks SET status = 'queued', started_at = NULL, next_poll_at = now() + interval '1 hour', lease_owner = 'elsewhere', lease_until = now() + interval '1 hour' WHERE id = $1`,
      [created.body.id],
    );
    const statusUrl = (await queryDatabase(t.database, `SELECT provider_state->'request'->>'statusUrl' AS url FROM generation_tasks WHERE id = $1`, [created.body.id]))[0].url as string;
    const started = Date.now();
    while ((await (await fetch(statusUrl, { headers: { Authorization: 'Key sandbox-fal-key' } })).json()).status !== 'IN_PROGRESS') {
      if (Date.now() - started > 10_000) throw new Error('the sandbox job never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await t.http.get(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).expect(200)).body.status).toBe('queued');
    // The card still says "queued", but fal has started (and bills) the job: the cancel is refused
    // before fal is asked to stop it, and the job keeps running.
    const cancels = async () => (await t.http.get('/sandbox/_control/requests?provider=fal').expect(200)).body.filter((r: any) => r.method === 'PUT').length;
    const cancelsBefore = await cancels();
    const asked = await t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).expect(409);
    expect(asked.body).toMatchObject({ statusCode: 409, errorCode: 'cancel_not_refunded', message: expect.stringMatching(/canceling it will not refund its 3 credits/) });
    const zh = await t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).set('Accept-Language', 'zh-CN').expect(409);
    expect(zh.body.message).toMatch(/不会退还 3 积分/);
    expect(await cancels()).toBe(cancelsBefore);
    expect((await (await fetch(statusUrl, { headers: { Authorization: 'Key sandbox-fal-key' } })).json()).status).toBe('IN_PROGRESS');
    expect(await balance(user.token)).toBe(97);
    const canceled = await t.http.delete(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);
    expect(canceled.body).toMatchObject({ refunded: 0, task: { status: 'canceled', error: 'Canceled while running' } });
    expect(canceled.body.message).toMatch(/it had already started, so the 3 credits are not refunded/);
    expect(await balance(user.token)).toBe(97);
  });

  it('finishes through the webhook when fal calls back, without waiting for a poll', async () => {
    const port = await freePort();
    // Polls are a minute apart here: only the webhook can make the task due.
    const hooked = await startTestApp({
      listen: true,
      port,
      env: { PUBLIC_URL: `http://127.0.0.1:${port}`, TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '60000', TASK_POLL_MAX_MS: '600000' },
    });
    try {
      const user = await signUp(hooked.http);
      const created = await hooked.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'called back' }).expect(201);
      const started = Date.now();
      for (;;) {
        const { body } = await hooked.http.get(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).expect(200);
        if (body.status === 'succeeded') break;
        if (Date.now() - started > 10_000) throw new Error(`still ${body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      const calls = await hooked.http.get('/sandbox/_control/requests?provider=fal').expect(200);
      expect(JSON.stringify(calls.body)).toContain('/status');
    } finally {
      await hooked.close();
    }
  });

  it('lets admins set the key (never returned), and a refused key fails and refunds with 502', async () => {
    const user = await signUp(t.http);
    const sandboxUrl = `${t.baseUrl!.replace('localhost', '127.0.0.1')}/sandbox/fal`;
    const saved = await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ apiKey: 'not-the-key', baseUrl: sandboxUrl, maxConcurrentTasks: 2, timeout: 600, defaultModel: 'fal-ai/flux-1/dev' }).expect(200);
    expect(saved.body).toMatchObject({ apiKeySet: true, baseUrl: sandboxUrl, maxConcurrentTasks: 2, timeout: 600, defaultModel: 'fal-ai/flux-1/dev', saved: true });
    expect(JSON.stringify(saved.body)).not.toContain('not-the-key');
    const health = await t.http.get('/api/v1/flux/health').set(bearer(admin.token)).expect(200);
    expect(health.body).toMatchObject({ ok: false, reason: 'key_refused', message: expect.stringMatching(/^The key was refused/) });
    // Users learn that it does not work, not the admin's URL or the low-level reason.
    // A key can be checked before it is saved; the check saves nothing.
    const candidate = await t.http.post('/api/v1/flux/config/check').set(bearer(admin.token)).send({ apiKey: 'sandbox-fal-key' }).expect(200);
    expect(candidate.body).toMatchObject({ ok: true, reason: null, message: `Reached ${sandboxUrl} and the key was accepted` });
    // The admin's check is worded in the page's language; fal's own words are kept inside it.
    const zhCandidate = await t.http.post('/api/v1/flux/config/check').set(bearer(admin.token)).set('Accept-Language', 'zh-CN').send({ apiKey: 'sandbox-fal-key' }).expect(200);
    expect(zhCandidate.body).toMatchObject({ ok: true, message: `已连接 ${sandboxUrl}，密钥有效` });
    const zhRefused = await t.http.post('/api/v1/flux/config/check').set(bearer(admin.token)).set('Accept-Language', 'zh-CN').send({}).expect(200);
    expect(zhRefused.body).toMatchObject({ ok: false, reason: 'key_refused', message: expect.stringMatching(/^密钥被拒绝：/) });
    expect((await t.http.get('/api/v1/flux/health').set(bearer(admin.token)).expect(200)).body).toMatchObject({ ok: false, reason: 'key_refused' });
    expect((await t.http.post('/api/v1/flux/config/check').set(bearer(admin.token)).send({ baseUrl: 'ftp://x' }).expect(400)).body.details[0].field).toBe('baseUrl');
    expect((await t.http.post('/api/v1/flux/config/check').set(bearer(admin.token)).send({ clearApiKey: true, baseUrl: '' }).expect(200)).body).toMatchObject({ ok: true, usesSandbox: true });
    await t.http.post('/api/v1/flux/config/check').set(bearer(user.token)).send({}).expect(403);
    const userHealth = await t.http.get('/api/v1/flux/health').set(bearer(user.token)).expect(200);
    expect(userHealth.body).toMatchObject({ ok: false, reason: 'unreachable', message: 'fal.ai cannot be reached at the moment; please try again later' });
    const refused = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/dev', prompt: 'x' }).expect(502);
    expect(refused.body.message).toMatch(/^FLUX \(fal.ai\) refused the request: the API key was not accepted .* \(the 10 credits were refunded\)$/);
    expect(await balance(user.token)).toBe(100);

    const bad = await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ timeout: 5, defaultModel: 'nope', baseUrl: 'ftp://x' }).expect(400);
    expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['baseUrl', 'timeout']);
    const query = await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ baseUrl: 'https://queue.fal.run/?x=1#y' }).expect(400);
    expect(query.body.details).toEqual([{ field: 'baseUrl', messages: [expect.stringMatching(/must not have a query/)] }]);
    // The right key; an empty key afterwards keeps it.
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ apiKey: 'sandbox-fal-key' }).expect(200);
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ apiKey: '', enabled: true }).expect(200);
    expect((await t.http.get('/api/v1/flux/health').set(bearer(user.token)).expect(200)).body.ok).toBe(true);
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ enabled: false }).expect(200);
    const off = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/dev', prompt: 'x' }).expect(503);
    expect(off.body.message).toBe('Flux is turned off by the administrator');
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ enabled: true }).expect(200);

    // Forgetting the key (and the URL) returns to the built-in sandbox.
    const both = await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ apiKey: 'x', clearApiKey: true }).expect(400);
    expect(both.body.details[0].field).toBe('apiKey');
    const cleared = await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ clearApiKey: true, baseUrl: '' }).expect(200);
    expect(cleared.body).toMatchObject({ apiKeySet: false, usesSandbox: true });
    expect((await t.http.get('/api/v1/flux/health').set(bearer(admin.token)).expect(200)).body.ok).toBe(true);
    // fal's own address without a key: submissions say what is missing, before anything is charged.
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ baseUrl: 'https://queue.fal.run' }).expect(200);
    const unset = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/dev', prompt: 'x' }).expect(503);
    expect(unset.body.message).toBe('Flux is not set up yet: an admin must enter the fal.ai API key');
    await t.http.post('/api/v1/flux/image-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-pro/kontext', prompt: 'x', imageUrl: 'https://example.com/a.png' }).expect(503);
    expect(await balance(user.token)).toBe(100);
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ baseUrl: '' }).expect(200);
  });

  it('refuses null for a settings field with a 400 naming it, on both the save and the check routes', async () => {
    for (const path of ['/api/v1/flux/config', '/api/v1/flux/config/check']) {
      const response = await t.http.post(path).set(bearer(admin.token)).send({ baseUrl: null }).expect(400);
      expect(response.body.details).toEqual([{ field: 'baseUrl', messages: ['baseUrl must not be null (leave out an optional field instead)'] }]);
    }
    for (const field of ['apiKey', 'clearApiKey', 'enabled', 'timeout', 'maxConcurrentTasks', 'defaultModel']) {
      const response = await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ [field]: null }).expect(400);
      expect(response.body.details.map((d: any) => d.field)).toEqual([field]);
    }
    await t.http.get('/api/v1/flux/config').set(bearer(admin.token)).expect(200);
  });

  it('keeps running, and retries, when something other than COS answers the write of a task output with 200 text/plain "ok"', async () => {
    const user = await signUp(t.http);
    const fault = (plainText: number) => t.http.post('/sandbox/_control/faults').send({ provider: 'cos', plainText }).expect(200);
    await t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'cos', enabled: true, sandbox: true }).expect(200);
    await fault(1);
    try {
      const created = await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: 'fal-ai/flux-1/schnell', prompt: 'a lighthouse', numImages: 1 }).expect(201);
      const storageError = async () => {
        const [row] = await queryDatabase(t.database, `SELECT provider_state->'pendingOutputs'->>'storageError' AS error FROM generation_tasks WHERE user_id = $1`, [user.id]);
        return row?.error as string | null;
      };
      const started = Date.now();
      while (!(await storageError()) && Date.now() - started < 20_000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await storageError()).toMatch(/COS answered 200 .*"ok", which is not a COS answer/);
      // The engine and the API are still there.
      await t.http.get('/api/health').expect(200);
      expect((await t.http.get(`/api/v1/flux/task/${created.body.id}`).set(bearer(user.token)).expect(200)).body.status).not.toBe('succeeded');
      await fault(0);
      const done = await waitForTask(user.token, created.body.id);
      expect(done.status).toBe('succeeded');
      expect(done.outputs[0].url).toMatch(/\/sandbox\/cos\//);
    } finally {
      await fault(0);
      await t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'local', enabled: true }).expect(200);
    }
  });
});
