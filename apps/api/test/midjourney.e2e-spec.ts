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
});
