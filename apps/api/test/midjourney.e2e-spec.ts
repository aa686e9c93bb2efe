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
    // The mask sent as a data URL is kept as the task's input, not listed among my files; the one I uploaded is.
    const files = (await t.http.get('/api/v1/files/generated?limit=100').set(bearer(user.token)).expect(200)).body.items as Array<{ id: string; originalFilename: string | null }>;
    expect(files.map((file) => file.id)).toContain(maskFile.id);
    expect(files.filter((file) => file.originalFilename?.startsWith('mask-'))).toEqual([]);
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
      // Frees the sandbox's slot (it runs three jobs at once) for the tests after this one.
      if (waiting) await t.http.delete(`/api/v1/midjourney/task/${waiting.id}`).set(bearer(user.token));
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

  const saveConfig = (body: object) => t.http.post('/api/v1/midjourney/config').set(bearer(admin.token)).send(body).expect(200);
  const mjRequests = async (app: TestApp = t) => (await app.http.get('/sandbox/_control/requests?provider=midjourney').expect(200)).body as Array<{ method: string; path: string }>;

  it('answers the proxy codes: 22 queue position, 23 try later, 24 banned word, 3 missing parent', async () => {
    const user = await signUp(t.http);
    await grant(user.id, 1000);
    await saveConfig({ maxConcurrentTasks: 10 });
    await setTiming({ queueMs: 60_000 });
    const held: string[] = [];
    try {
      // The sandbox runs three at once and queues the rest: the fifth and sixth wait behind others (code 22).
      for (let i = 0; i < 6; i++) held.push((await imagine(user.token, { prompt: `queued ${i}` })).id);
      const fifth = await t.http.get(`/api/v1/midjourney/task/${held[4]}`).set(bearer(user.token)).expect(200);
      const sixth = await t.http.get(`/api/v1/midjourney/task/${held[5]}`).set(bearer(user.token)).expect(200);
      expect([fifth.body.status, fifth.body.queuePosition, sixth.body.queuePosition]).toEqual(['queued', 1, 2]);
    } finally {
      await setTiming({ queueMs: 20 });
      // Stopped even where they have started, so their slots are free for what follows.
      for (const id of held) await t.http.delete(`/api/v1/midjourney/task/${id}`).set(bearer(user.token)).send({ acceptLoss: true });
      await saveConfig({ maxConcurrentTasks: 3 });
    }

    // 23: the proxy's queue is full; the task waits (charged) and is asked again later, never failed for it.
    const busy = await imagine(user.token, { prompt: 'sandbox:queue-full please' });
    // Asked again (a busy machine may take a while to get there), and still waiting, charged.
    const submits = async () => (await mjRequests()).filter((r) => r.path.endsWith('/submit/imagine')).length;
    for (const deadline = Date.now() + 10_000; (await submits()) <= 6 + 1 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await submits()).toBeGreaterThan(6 + 1);
    const waiting = await t.http.get(`/api/v1/midjourney/task/${busy.id}`).set(bearer(user.token)).expect(200);
    expect(waiting.body).toMatchObject({ status: 'pending', error: null });
    const canceled = await t.http.delete(`/api/v1/midjourney/task/${busy.id}`).set(bearer(user.token)).expect(200);
    expect(canceled.body).toMatchObject({ refunded: 8, task: { status: 'canceled' } });

    // 24: a banned prompt is refused with the word, refunded, and flagged.
    const before = await balance(user.token);
    const banned = await t.http.post('/api/v1/midjourney/imagine').set(bearer(user.token)).send({ prompt: 'a sandbox:banned cat' }).expect(400);
    expect(banned.body.details[0]).toMatchObject({ field: 'prompt', messages: [expect.stringMatching(/banned word: sandbox:banned \(the 8 credits were refunded\)/)] });
    expect(await balance(user.token)).toBe(before);
    const history = await t.http.get('/api/v1/midjourney/history?limit=1').set(bearer(user.token)).expect(200);
    expect(history.body.items[0]).toMatchObject({ status: 'failed', errorCode: 'content_flagged', refunded: true });

    // 3: the proxy no longer knows the parent (its store was lost): the action is refused, refunded.
    const grid = await waitForTask(user.token, (await imagine(user.token, { prompt: 'before the reset' })).id);
    await t.http.post('/sandbox/_control/reset').expect(200);
    const lost = await act(user.token, grid.id, { action: 'upscale:1' }).expect(400);
    expect(lost.body.message).toMatch(/no longer exists at the proxy.*refunded/);
  });

  it('answers code 4 (validation) with 400 and code 9 (failure) with 502, both refunded; an empty fetch is a lost task', async () => {
    const { createServer } = await import('node:http');
    const stub = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        res.setHeader('Content-Type', 'application/json');
        const prompt = req.url?.endsWith('/submit/imagine') ? String(JSON.parse(body).prompt) : '';
        if (prompt.startsWith('code4')) return res.end(JSON.stringify({ code: 4, description: 'prompt不合法', result: null }));
        if (prompt.startsWith('code9')) return res.end(JSON.stringify({ code: 9, description: '提交失败，系统异常', result: null }));
        if (prompt.startsWith('lost')) return res.end(JSON.stringify({ code: 1, description: '提交成功', result: '1730000000000001' }));
        // fetch and list of an unknown task: an empty body.
        res.end(req.url?.includes('list-by-condition') ? '[]' : '');
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const user = await signUp(t.http);
    try {
      await saveConfig({ baseUrl: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, apiSecret: 'stub-secret' });
      const four = await t.http.post('/api/v1/midjourney/imagine').set(bearer(user.token)).send({ prompt: 'code4 x' }).expect(400);
      expect(four.body.message).toBe('Midjourney rejected the request: prompt不合法 (the 8 credits were refunded)');
      const nine = await t.http.post('/api/v1/midjourney/imagine').set(bearer(user.token)).send({ prompt: 'code9 x' }).expect(502);
      expect(nine.body.message).toMatch(/refused the request: 提交失败，系统异常/);
      const lost = await imagine(user.token, { prompt: 'lost x' });
      const failed = await waitForTask(user.token, lost.id);
      expect(failed).toMatchObject({ status: 'failed', refunded: true, error: 'Midjourney: the midjourney-proxy no longer knows this task' });
      expect(await balance(user.token)).toBe(100);
    } finally {
      await saveConfig({ baseUrl: '', clearApiSecret: true });
      stub.close();
    }
    expect((await t.http.get('/api/v1/midjourney/config').set(bearer(admin.token)).expect(200)).body).toMatchObject({ usesSandbox: true, apiSecretSet: false });
  });

  it('polls all in-flight tasks with one list-by-condition call per tick, never one fetch per task', async () => {
    const user = await signUp(t.http);
    await grant(user.id, 1000);
    await saveConfig({ maxConcurrentTasks: 10 });
    const callsBefore = (await mjRequests()).length;
    await setTiming({ runMinMs: 400, runMaxMs: 800 });
    try {
      // Submitted together, so they are in flight together however slow the machine is.
      const ids = (await Promise.all(Array.from({ length: 8 }, (_, i) => imagine(user.token, { prompt: `batch ${i}` })))).map((task) => task.id);
      for (const id of ids) expect((await waitForTask(user.token, id)).status).toBe('succeeded');
      const calls = (await mjRequests()).slice(callsBefore);
      const lists = calls.filter((r) => r.path.endsWith('/task/list-by-condition')).length;
      const fetches = calls.filter((r) => r.path.endsWith('/fetch')).length;
      const [{ polls }] = await queryDatabase(t.database, `SELECT sum(attempts - 1)::int AS polls FROM generation_tasks WHERE id = ANY($1::uuid[])`, [ids]);
      expect(fetches).toBe(0);
      expect(lists).toBeGreaterThan(0);
      // The calls answered for several tasks at once (on a loaded machine a tick may find one alone).
      expect(lists).toBeLessThan(polls);
    } finally {
      await setTiming({ runMinMs: 20, runMaxMs: 40 });
      await saveConfig({ maxConcurrentTasks: 3 });
    }
  });

  it('finishes through notifyHook when PUBLIC_URL is set, without waiting for a poll', async () => {
    const port = await freePort();
    // Polls are a minute apart here: only the proxy's callback can make the task due.
    const hooked = await startTestApp({ listen: true, port, env: { PUBLIC_URL: `http://127.0.0.1:${port}`, TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '60000', TASK_POLL_MAX_MS: '600000' } });
    try {
      const user = await signUp(hooked.http);
      const task = await imagine(user.token, { prompt: 'called back sandbox:hook-reorder' }, hooked);
      const done = await waitForTask(user.token, task.id, undefined, hooked);
      expect(done.status).toBe('succeeded');
      expect(done.outputs).toHaveLength(5);
      const calls = await mjRequests(hooked);
      expect(calls.filter((r) => r.path.endsWith('/fetch') || r.path.endsWith('/list-by-condition')).length).toBeGreaterThan(0);
      // A forged callback (wrong token) changes nothing.
      await hooked.http.post(`/api/v1/webhooks/midjourney/${task.id}?token=wrong`).send({ id: '1', status: 'SUCCESS' }).expect(404);
    } finally {
      await hooked.close();
    }
  });

  it('cancels in each state: before the proxy has it, queued there, running, and not once finished', async () => {
    const user = await signUp(t.http);
    await grant(user.id, 1000);
    await saveConfig({ maxConcurrentTasks: 1 });
    await setTiming({ queueMs: 60_000 });
    try {
      const first = await imagine(user.token, { prompt: 'first in line' });
      const second = await imagine(user.token, { prompt: 'waiting for a slot' });
      expect(second.status).toBe('pending');
      const notSent = await t.http.delete(`/api/v1/midjourney/task/${second.id}`).set(bearer(user.token)).expect(200);
      expect(notSent.body).toMatchObject({ refunded: 8, task: { status: 'canceled', refunded: true } });
      expect(notSent.body.message).toMatch(/before it started/);
      await waitForTask(user.token, first.id, (task) => task.status === 'queued' || task.status === 'submitted');
      const queued = await t.http.delete(`/api/v1/midjourney/task/${first.id}`).set(bearer(user.token));
      expect([queued.status, queued.body.message]).toEqual([200, expect.any(String)]);
      expect(queued.body).toMatchObject({ refunded: 8, task: { status: 'canceled' } });
      expect(queued.body.message).toMatch(/Canceled at Midjourney before it started/);
    } finally {
      await setTiming({ queueMs: 20 });
    }
    await setTiming({ runMinMs: 60_000, runMaxMs: 60_000 });
    try {
      const running = await imagine(user.token, { prompt: 'running long' });
      await waitForTask(user.token, running.id, (task) => task.status === 'running');
      // Midjourney bills a started job: the cancel asks first, and the task keeps running.
      const asked = await t.http.delete(`/api/v1/midjourney/task/${running.id}`).set(bearer(user.token)).expect(409);
      expect(asked.body).toMatchObject({ errorCode: 'cancel_not_refunded', message: expect.stringMatching(/will not refund its 8 credits/) });
      expect((await t.http.get(`/api/v1/midjourney/task/${running.id}`).set(bearer(user.token)).expect(200)).body.status).toBe('running');
      const stopped = await t.http.delete(`/api/v1/midjourney/task/${running.id}`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);
      expect(stopped.body).toMatchObject({ refunded: 0, task: { status: 'canceled', refunded: false } });
      expect(stopped.body.message).toMatch(/had already started/);
    } finally {
      await setTiming({ runMinMs: 20, runMaxMs: 40 });
      await saveConfig({ maxConcurrentTasks: 3 });
    }
    const done = await waitForTask(user.token, (await imagine(user.token, { prompt: 'finished' })).id);
    const late = await t.http.delete(`/api/v1/midjourney/task/${done.id}`).set(bearer(user.token)).expect(409);
    expect(late.body.message).toMatch(/already succeeded/);
    const failed = await waitForTask(user.token, (await imagine(user.token, { prompt: 'sandbox:fail here' })).id);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'failed', refunded: true });
    await t.http.delete(`/api/v1/midjourney/task/${failed.id}`).set(bearer(user.token)).expect(409);
  });

  it('serves a running task’s preview through our route (own tasks only), and none once it is done', async () => {
    const user = await signUp(t.http);
    const other = await signUp(t.http);
    await setTiming({ runMinMs: 4000, runMaxMs: 4000 });
    let task;
    try {
      task = await imagine(user.token, { prompt: 'slowly revealed' });
      const running = await waitForTask(user.token, task.id, (current) => current.previewUrl !== null || TERMINAL.includes(current.status));
      expect(running.previewUrl).toMatch(new RegExp(`^/api/v1/tasks/${task.id}/preview\\?v=[\\w-]+$`));
      const picture = await t.http.get(running.previewUrl).set(bearer(user.token)).expect(200);
      expect(picture.headers['content-type']).toMatch(/^image\/webp/);
      expect((await sharp(picture.body).metadata()).width).toBeGreaterThan(0);
      await t.http.get(running.previewUrl).set(bearer(other.token)).expect(404);
      await t.http.get(running.previewUrl).expect(401);
    } finally {
      await setTiming({ runMinMs: 20, runMaxMs: 40 });
    }
    const done = await waitForTask(user.token, task.id);
    expect(done.previewUrl).toBeNull();
    await t.http.get(`/api/v1/tasks/${task.id}/preview`).set(bearer(user.token)).expect(404);
  });

  it('works with the novicezk flavor: U/V/R through /submit/change, a repeated change (code 21), no cancel once sent', async () => {
    const user = await signUp(t.http);
    await grant(user.id, 1000);
    await saveConfig({ flavor: 'novicezk' });
    try {
      expect((await t.http.get('/api/v1/midjourney/config').set(bearer(admin.token)).expect(200)).body.baseUrl).toMatch(/\/sandbox\/mj\/novicezk$/);
      const catalogue = await t.http.get('/api/v1/midjourney/actions').set(bearer(user.token)).expect(200);
      expect(catalogue.body.actions.filter((a: any) => !a.available).map((a: any) => a.key)).toContain('zoom:custom');
      const grid = await waitForTask(user.token, (await imagine(user.token, { prompt: 'an old mill' })).id);
      expect(grid.outputs).toHaveLength(5);
      expect(grid.actions.map((a: any) => a.key)).toEqual(['upscale:1', 'upscale:2', 'upscale:3', 'upscale:4', 'vary:1', 'vary:2', 'vary:3', 'vary:4', 'reroll']);
      const first = await waitForTask(user.token, (await act(user.token, grid.id, { action: 'upscale:2' }).expect(201)).body.id);
      expect(first.outputs).toHaveLength(1);
      // The proxy answers the same change with code 21 and the task that made it.
      const again = await waitForTask(user.token, (await act(user.token, grid.id, { action: 'upscale:2' }).expect(201)).body.id);
      expect(again.status).toBe('succeeded');
      expect(again.outputs[0].url).toBe(first.outputs[0].url);
      expect(first.actions).toEqual([]);
      const zoom = await act(user.token, first.id, { action: 'zoom:2' }).expect(409);
      expect(zoom.body.message).toMatch(/needs the trueai midjourney-proxy/);
      await setTiming({ queueMs: 60_000 });
      try {
        const sent = await imagine(user.token, { prompt: 'cannot stop me' });
        const refused = await t.http.delete(`/api/v1/midjourney/task/${sent.id}`).set(bearer(user.token)).expect(409);
        expect(refused.body.message).toMatch(/novicezk midjourney-proxy cannot cancel/);
      } finally {
        await setTiming({ queueMs: 20 });
      }
      const described = await waitForTask(user.token, (await t.http.post('/api/v1/midjourney/describe').set(bearer(user.token)).send({ image: grid.outputs[1].id }).expect(201)).body.id);
      expect(described.result.prompts).toHaveLength(4);
    } finally {
      await saveConfig({ flavor: 'trueai' });
    }
  });
});
