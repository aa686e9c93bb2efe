import sharp from 'sharp';
import { bearer, freePort, queryDatabase, signUp, startTestApp, type TestApp } from './test-app.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** Midjourney end to end: the module, the task engine and storage against the midjourney-proxy sandbox on this server. */
describe('midjourney', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;

  const waitForTask = async (token: string, id: string, until: (task: any) => boolean = (task) => TERMINAL.includes(task.status), app: TestApp = t) => {
    const started = Date.now();
    for (;;) {
      const { body } = await app.http.get(`/api/v1/midjourney/task/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > 30_000) throw new Error(`task ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };
  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;
  const png = (color = '#3070c0', width = 320, height = 240) => sharp({ create: { width, height, channels: 3, background: color } }).png().toBuffer();
  const upload = async (token: string, bytes: Buffer, name = 'input.png') => (await t.http.post('/api/v1/files/upload').set(bearer(token)).attach('file', bytes, name).expect(201)).body;
  const imagine = async (token: string, body: object, app: TestApp = t) => (await app.http.post('/api/v1/midjourney/imagine').set(bearer(token)).send(body).expect(201)).body;
  const act = (token: string, taskId: string, body: object, app: TestApp = t) => app.http.post(`/api/v1/midjourney/tasks/${taskId}/actions`).set(bearer(token)).send(body);
  const grant = async (userId: string, amount: number) => {
    const { CreditsService } = await import('../src/modules/credits/credits.service.js');
    await t.app.get(CreditsService).grant({ id: admin.id } as any, { userId, amount, reason: 'more' });
  };
  const setTiming = (timing: object) => t.http.post('/sandbox/_control/timing').send(timing).expect(200);

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    admin = await signUp(t.http);
  });
  afterAll(() => t?.close());

  it('imagines a grid and stores it with its four images, then upscales one as a child task', async () => {
    const user = await signUp(t.http);
    const created = await imagine(user.token, { prompt: 'a red fox in snow', aspectRatio: '3:2', seed: 42 });
    expect(created).toMatchObject({ provider: 'midjourney', model: 'imagine', action: 'imagine', cost: 8, prompt: 'a red fox in snow --ar 3:2 --seed 42', parentTaskId: null, childTaskIds: [], result: null });
    expect(await balance(user.token)).toBe(92);
    const done = await waitForTask(user.token, created.id);
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toHaveLength(5);
    expect(done.outputs.map((o: any) => o.metadata.role)).toEqual(['grid', 'image', 'image', 'image', 'image']);
    const [grid, ...singles] = done.outputs;
    for (const single of singles) {
      expect(single).toMatchObject({ kind: 'image', mimeType: 'image/png', width: grid.width / 2, height: grid.height / 2, stored: true });
      await t.http.get(single.url).expect(200);
    }
    expect(singles.map((s: any) => s.metadata.index)).toEqual([1, 2, 3, 4]);
    expect(done.actions.map((a: any) => a.key)).toEqual(['upscale:1', 'upscale:2', 'upscale:3', 'upscale:4', 'vary:1', 'vary:2', 'vary:3', 'vary:4', 'reroll']);
    expect(done.actions[0]).toEqual({ key: 'upscale:1', label: 'Upscale 1', labelZhCN: '放大 1' });
    expect(JSON.stringify(done)).not.toMatch(/MJ::|mj-cdn|sandbox/);

    const child = await act(user.token, created.id, { action: 'upscale:2' }).expect(201);
    expect(child.body).toMatchObject({ parentTaskId: created.id, action: 'upscale:2', model: 'upscale', cost: 2 });
    const upscaled = await waitForTask(user.token, child.body.id);
    expect(upscaled.status).toBe('succeeded');
    expect(upscaled.outputs).toHaveLength(1);
    expect(upscaled.outputs[0].metadata.role).toBe('image');
    expect(upscaled.actions.map((a: any) => a.key)).toEqual(expect.arrayContaining(['upscale:subtle', 'upscale:creative', 'vary:subtle', 'vary:strong', 'vary:region', 'zoom:2', 'zoom:1.5', 'zoom:custom', 'pan:left']));
    const parent = await waitForTask(user.token, created.id);
    expect(parent.childTaskIds).toEqual([child.body.id]);
    expect(await balance(user.token)).toBe(90);
  });

  it('works on a fresh install through the sandbox; the admin settings keep the secret and check unsaved values', async () => {
    const user = await signUp(t.http);
    expect((await t.http.get('/api/v1/midjourney/config/user').set(bearer(user.token)).expect(200)).body).toEqual({ enabled: true, flavor: 'trueai', mode: 'fast', defaultBotType: 'MID_JOURNEY', sandbox: true });
    const { body: catalogue } = await t.http.get('/api/v1/midjourney/actions').set(bearer(user.token)).expect(200);
    expect(catalogue.actions.map((a: any) => a.key)).toEqual(expect.arrayContaining(['imagine', 'blend', 'describe', 'upscale:1', 'zoom:custom', 'vary:region', 'pan:down']));
    expect(catalogue.actions.find((a: any) => a.key === 'zoom:custom')).toMatchObject({ type: 'action', label: 'Custom Zoom', labelZhCN: '自定义缩放', model: 'zoom', price: 8, needs: 'prompt', modal: true, result: 'grid', available: true });
    expect(catalogue.actions.find((a: any) => a.key === 'describe')).toMatchObject({ type: 'start', price: 2, result: 'text' });
    await t.http.get('/api/v1/midjourney/config').set(bearer(user.token)).expect(403);
    const config = await t.http.get('/api/v1/midjourney/config').set(bearer(admin.token)).expect(200);
    expect(config.body).toMatchObject({ apiSecretSet: false, flavor: 'trueai', mode: 'fast', usesSandbox: true, enabled: true, timeout: 900, maxConcurrentTasks: 3, saved: false });
    expect(config.body.baseUrl).toMatch(/\/sandbox\/mj\/trueai$/);

    // A check of unsaved values: a wrong secret is refused, the sandbox's is accepted, nothing is saved.
    const sandboxUrl = config.body.baseUrl;
    const wrong = await t.http.post('/api/v1/midjourney/config/check').set(bearer(admin.token)).send({ baseUrl: sandboxUrl, apiSecret: 'wrong' }).expect(200);
    expect(wrong.body).toMatchObject({ ok: false, reason: 'secret_refused' });
    const right = await t.http.post('/api/v1/midjourney/config/check').set(bearer(admin.token)).set('Accept-Language', 'zh-CN').send({ baseUrl: sandboxUrl.replace('trueai', 'novicezk'), flavor: 'novicezk', apiSecret: 'sandbox-mj-secret' }).expect(200);
    expect(right.body).toMatchObject({ ok: true, reason: null });
    expect(right.body.message).toMatch(/^已连接/);
    expect((await t.http.get('/api/v1/midjourney/config').set(bearer(admin.token)).expect(200)).body.saved).toBe(false);

    // Prices are per action model in Admin › Prices, named in both languages.
    const prices = await t.http.get('/api/v1/admin/prices').set(bearer(admin.token)).expect(200);
    expect(prices.body.prices.filter((p: any) => p.provider === 'midjourney').map((p: any) => p.model)).toEqual(['imagine', 'blend', 'describe', 'upscale', 'variation', 'reroll', 'upscale-hd', 'vary-region', 'zoom', 'pan']);
    expect(prices.body.prices.find((p: any) => p.provider === 'midjourney' && p.model === 'upscale')).toMatchObject({ name: 'Midjourney upscale (U1–U4)', nameZhCN: 'Midjourney 放大（U1–U4）', price: 2 });
  });

  it('checks prompt flags and parameter fields before charging, naming the field; flags in the prompt win', async () => {
    const user = await signUp(t.http);
    const cases: Array<[object, string, RegExp]> = [
      [{ prompt: 'a cat --foo 3' }, 'prompt', /--foo is not a Midjourney parameter/],
      [{ prompt: 'a cat --chaos 500' }, 'prompt', /--chaos must be a whole number from 0 to 100/],
      [{ prompt: 'a cat --ar wide' }, 'prompt', /--ar must be two whole numbers/],
      [{ prompt: 'a cat', stylize: 5000 }, 'stylize', /from 0 to 1000/],
      [{ prompt: 'a cat', quality: 3 }, 'quality', /one of 0.25, 0.5, 1, 2, 4/],
      [{ prompt: 'a cat', aspectRatio: 'square' }, 'aspectRatio', /16:9/],
      [{ prompt: 'a cat', version: '99' }, 'version', /model version/],
      [{ prompt: 'a cat', botType: 'DALL_E' }, 'botType', /MID_JOURNEY/],
      [{ prompt: '' }, 'prompt', /must not be empty/],
      [{ prompt: 'a cat', referenceImages: ['http://10.0.0.1/x.png'] }, 'referenceImages.0', /could not be fetched/],
    ];
    for (const [body, field, message] of cases) {
      const response = await t.http.post('/api/v1/midjourney/imagine').set(bearer(user.token)).send(body).expect(400);
      expect([field, response.body.details.find((d: any) => d.field === field)?.messages.join(' ')]).toEqual([field, expect.stringMatching(message)]);
    }
    expect(await balance(user.token)).toBe(100);
    const task = await imagine(user.token, { prompt: 'a cat --ar 2:3', aspectRatio: '16:9', chaos: 10, rawStyle: true, tile: false, no: 'text' });
    expect(task.prompt).toBe('a cat --ar 2:3 --chaos 10 --no text --style raw');
    expect(task.parameters).toMatchObject({ prompt: 'a cat --ar 2:3 --chaos 10 --no text --style raw', aspectRatio: '16:9', chaos: 10, rawStyle: true, botType: 'MID_JOURNEY' });
    const done = await waitForTask(user.token, task.id);
    expect(done.outputs[0].height).toBeGreaterThan(done.outputs[0].width);
  });

  it('takes reference images from my files and outside URLs, sent to the proxy as data URLs', async () => {
    const user = await signUp(t.http);
    const file = await upload(user.token, await png());
    const task = await imagine(user.token, { prompt: 'in this style, a tea house', referenceImages: [file.id, `${t.baseUrl}${file.url}`] });
    expect(task.parameters.referenceFileIds).toEqual([file.id, file.id]);
    expect((await waitForTask(user.token, task.id)).status).toBe('succeeded');
    const other = await signUp(t.http);
    const refused = await t.http.post('/api/v1/midjourney/imagine').set(bearer(other.token)).send({ prompt: 'x', referenceImages: [file.id] }).expect(400);
    expect(refused.body.details[0].field).toBe('referenceImages.0');
  });

  it('runs every action, both modal ones with the prompt or mask of the same request, each a child charged at its price', async () => {
    const user = await signUp(t.http);
    await grant(user.id, 1000);
    const grid = await waitForTask(user.token, (await imagine(user.token, { prompt: 'a harbour at dusk' })).id);
    const children: string[] = [];
    const run = async (parentId: string, body: object, cost: number) => {
      const created = await act(user.token, parentId, body).expect(201);
      expect(created.body).toMatchObject({ parentTaskId: parentId, action: (body as any).action, cost });
      children.push(created.body.id);
      const done = await waitForTask(user.token, created.body.id);
      expect([body, done.status, done.error]).toEqual([body, 'succeeded', null]);
      return done;
    };
    for (const action of ['vary:1', 'reroll']) expect((await run(grid.id, { action }, 8)).outputs).toHaveLength(5);
    const upscale = await run(grid.id, { action: 'upscale:3' }, 2);
    for (const action of ['upscale:subtle', 'upscale:creative']) {
      const done = await run(upscale.id, { action }, 4);
      expect(done.outputs).toHaveLength(1);
      expect(done.outputs[0].width).toBe(upscale.outputs[0].width * 2);
    }
    for (const action of ['vary:subtle', 'vary:strong', 'zoom:2', 'zoom:1.5', 'pan:left', 'pan:right', 'pan:up', 'pan:down']) {
      expect((await run(upscale.id, { action }, action.startsWith('vary') ? 8 : 8)).outputs).toHaveLength(5);
    }
    const panned = await waitForTask(user.token, children[children.length - 1]);
    expect(panned.outputs[0].height).toBeGreaterThan(upscale.outputs[0].height);
    const zoomed = await run(upscale.id, { action: 'zoom:custom', prompt: 'a wider harbour --ar 16:9', zoom: 1.5 }, 8);
    expect(zoomed.prompt).toBe('a wider harbour --ar 16:9');
    expect(zoomed.outputs[0].width).toBeGreaterThan(zoomed.outputs[0].height);
    const mask = await sharp({ create: { width: upscale.outputs[0].width, height: upscale.outputs[0].height, channels: 3, background: '#000' } })
      .composite([{ input: await png('#ffffff', 64, 64), left: 10, top: 10 }])
      .png()
      .toBuffer();
    await run(upscale.id, { action: 'vary:region', prompt: 'a red boat', maskDataUrl: `data:image/png;base64,${mask.toString('base64')}` }, 8);
    const maskFile = await upload(user.token, mask, 'mask.png');
    await run(upscale.id, { action: 'vary:region', maskFileId: maskFile.id }, 8);
    // The family: the grid lists its children, history shows them with their parents.
    const parent = await waitForTask(user.token, grid.id);
    expect(parent.childTaskIds).toEqual(children.slice(0, 3));
    const history = await t.http.get('/api/v1/midjourney/history?limit=100').set(bearer(user.token)).expect(200);
    expect(history.body.items).toHaveLength(children.length + 1);
    expect(history.body.items.find((item: any) => item.id === upscale.id).childTaskIds).toHaveLength(children.length - 3);
  });

  it('refuses actions on tasks that are not mine (404), not finished or not offering them (409), and checks their fields', async () => {
    const user = await signUp(t.http);
    const other = await signUp(t.http);
    await setTiming({ queueMs: 60_000 });
    let waiting;
    try {
      waiting = await imagine(user.token, { prompt: 'still waiting' });
      const early = await act(user.token, waiting.id, { action: 'upscale:1' }).expect(409);
      expect(early.body.message).toMatch(/has not succeeded/);
    } finally {
      await setTiming({ queueMs: 20 });
    }
    const grid = await waitForTask(user.token, (await imagine(user.token, { prompt: 'a bridge' })).id);
    await act(other.token, grid.id, { action: 'upscale:1' }).expect(404);
    const notOffered = await act(user.token, grid.id, { action: 'zoom:2' }).set('Accept-Language', 'zh-CN').expect(409);
    expect(notOffered.body.message).toMatch(/不提供“缩小 2 倍”/);
    const unknown = await act(user.token, grid.id, { action: 'U9' }).expect(400);
    expect(unknown.body.details[0].field).toBe('action');
    const prompted = await act(user.token, grid.id, { action: 'upscale:1', prompt: 'x' }).expect(400);
    expect(prompted.body.details[0].field).toBe('prompt');
    const upscale = await waitForTask(user.token, (await act(user.token, grid.id, { action: 'upscale:1' }).expect(201)).body.id);
    const noMask = await act(user.token, upscale.id, { action: 'vary:region', prompt: 'x' }).expect(400);
    expect(noMask.body.details[0].field).toBe('maskFileId');
    const farZoom = await act(user.token, upscale.id, { action: 'zoom:custom', zoom: 3 }).expect(400);
    expect(farZoom.body.details[0].field).toBe('zoom');
    await t.http.get(`/api/v1/midjourney/task/${grid.id}`).set(bearer(other.token)).expect(404);
  });

  it('blends 2 to 5 images in the asked shape, and describes one image into four prompts (a text result)', async () => {
    const user = await signUp(t.http);
    const a = await upload(user.token, await png('#c03030'));
    const b = await upload(user.token, await png('#30c030'));
    const blend = await t.http.post('/api/v1/midjourney/blend').set(bearer(user.token)).send({ images: [a.id, b.id], dimensions: 'landscape' }).expect(201);
    expect(blend.body).toMatchObject({ action: 'blend', model: 'blend', cost: 8, parameters: { fileIds: [a.id, b.id], dimensions: 'landscape' } });
    const blended = await waitForTask(user.token, blend.body.id);
    expect(blended.outputs).toHaveLength(5);
    expect(blended.outputs[0].width / blended.outputs[0].height).toBeCloseTo(1.5, 1);
    const one = await t.http.post('/api/v1/midjourney/blend').set(bearer(user.token)).send({ images: [a.id] }).expect(400);
    expect(one.body.details[0]).toMatchObject({ field: 'images', messages: ['images must hold 2 to 5 images'] });
    await t.http.post('/api/v1/midjourney/blend').set(bearer(user.token)).send({ images: [a.id, b.id], dimensions: 'round' }).expect(400);

    const describe = await t.http.post('/api/v1/midjourney/describe').set(bearer(user.token)).send({ image: a.id }).expect(201);
    expect(describe.body).toMatchObject({ action: 'describe', cost: 2, result: null });
    const described = await waitForTask(user.token, describe.body.id);
    expect(described).toMatchObject({ status: 'succeeded', outputs: [], actions: [] });
    expect(described.result.prompts).toHaveLength(4);
    for (const prompt of described.result.prompts) expect(prompt).toEqual(expect.any(String));
    const history = await t.http.get('/api/v1/history?source=midjourney').set(bearer(user.token)).expect(200);
    expect(history.body.items.find((item: any) => item.id === describe.body.id).result.prompts).toEqual(described.result.prompts);
  });
});
