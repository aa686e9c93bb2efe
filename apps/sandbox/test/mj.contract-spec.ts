import {
  actionKeysOf,
  MidjourneyClient,
  type MidjourneyError,
  type MjFlavor,
  type MjSubmitted,
  type MjTask,
  parseDescribePrompts,
} from '@atelier/providers/midjourney';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import sharp from 'sharp';
import { SANDBOX_CREDENTIALS } from '../src/index.js';
import { type RunningSandbox, sleep, startSandbox, waitFor } from './sandbox-server.js';

const SECRET = SANDBOX_CREDENTIALS.midjourney.secret;

async function png(width: number, height: number, background: string): Promise<string> {
  const bytes = await sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

const download = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
};

/** Small greyscale thumbnails of the four quadrants, to compare what they show. */
async function quadrants(grid: Buffer): Promise<Buffer[]> {
  const { width = 0, height = 0 } = await sharp(grid).metadata();
  const half = { width: width / 2, height: height / 2 };
  return Promise.all(
    [0, 1, 2, 3].map((q) =>
      sharp(grid)
        .extract({ left: (q % 2) * half.width, top: Math.floor(q / 2) * half.height, ...half })
        .resize(32, 32, { fit: 'fill' })
        .greyscale()
        .raw()
        .toBuffer(),
    ),
  );
}

const difference = (a: Buffer, b: Buffer) => a.reduce((sum, value, i) => sum + Math.abs(value - b[i]), 0) / a.length;

describe.each<MjFlavor>(['trueai', 'novicezk'])('midjourney-proxy sandbox (%s)', (flavor) => {
  let s: RunningSandbox;
  let mj: MidjourneyClient;
  const base = () => `${s.base}/mj/${flavor}`;

  beforeAll(async () => {
    s = await startSandbox();
    mj = new MidjourneyClient({ baseUrl: base(), secret: SECRET, flavor, timeoutMs: 10_000 });
  });
  afterAll(() => s.close());
  beforeEach(() => fetch(`${s.base}/_control/reset`, { method: 'POST' }));

  const setTiming = (timing: object) => fetch(`${s.base}/_control/timing`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(timing) });
  const FAST = { queueMs: 60, runMinMs: 60, runMaxMs: 120 };

  const finished = (id: string, timeoutMs = 15_000) =>
    waitFor(async () => {
      const task = await mj.fetchTask(id);
      return task?.terminal ? task : undefined;
    }, timeoutMs);

  const succeed = async (submitted: Promise<MjSubmitted>): Promise<MjTask> => {
    const task = await finished((await submitted).taskId);
    expect([task.status, task.failReason]).toEqual(['SUCCESS', null]);
    return task;
  };

  it('imagine: a grid of four different pictures, deterministic per prompt and seed, with buttons (trueai)', async () => {
    const submitted = await mj.imagine({ prompt: 'a lighthouse at dusk --seed 42', state: 'biz-7' });
    expect(submitted).toMatchObject({ code: 1, outcome: 'submitted', taskId: expect.stringMatching(/^\d{16,}$/) });
    const task = await succeed(Promise.resolve(submitted));
    expect(task).toMatchObject({ action: 'IMAGINE', phase: 'succeeded', progress: 100, state: 'biz-7', prompt: 'a lighthouse at dusk --seed 42', finalPrompt: 'a lighthouse at dusk --seed 42' });
    expect(task.finishTime).toBeGreaterThanOrEqual(task.startTime!);
    expect(task.raw.progress).toBe('100%');
    const grid = await download(task.imageUrl!);
    expect(await sharp(grid).metadata()).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    const parts = await quadrants(grid);
    for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) expect(difference(parts[a], parts[b])).toBeGreaterThan(8);

    if (flavor === 'trueai') {
      expect(actionKeysOf(task.buttons)).toEqual(['upscale:1', 'upscale:2', 'upscale:3', 'upscale:4', 'vary:1', 'vary:2', 'vary:3', 'vary:4', 'reroll']);
      expect(task.raw).toMatchObject({ mode: 'FAST', width: 1024, height: 1024, seed: '42' });
    } else {
      expect(task.raw).not.toHaveProperty('buttons');
      expect(task.buttons).toEqual([]);
    }

    const again = await succeed(mj.imagine({ prompt: 'a lighthouse at dusk --seed 42' }));
    expect(Buffer.compare(await download(again.imageUrl!), grid)).toBe(0);
    const wide = await succeed(mj.imagine({ prompt: 'a lighthouse --ar 16:9' }));
    expect(await sharp(await download(wide.imageUrl!)).metadata()).toMatchObject({ width: 1024, height: 576 });
  });

  it('upscale U2: one quadrant of the grid, larger; novicezk answers a repeat with code 21 (existing)', async () => {
    const grid = await succeed(mj.imagine({ prompt: 'a red fox in snow --seed 7' }));
    const upscale = await succeed(mj.act(grid, 'upscale:2'));
    expect(upscale.action).toBe('UPSCALE');
    const image = await download(upscale.imageUrl!);
    expect(await sharp(image).metadata()).toMatchObject({ width: 1024, height: 1024 });
    // It shows quadrant 2 (top right), not the others.
    const mine = await sharp(image).resize(32, 32, { fit: 'fill' }).greyscale().raw().toBuffer();
    const parts = await quadrants(await download(grid.imageUrl!));
    const distances = parts.map((part) => difference(part, mine));
    expect(distances[1]).toBeLessThan(2);
    for (const other of [0, 2, 3]) expect(distances[other]).toBeGreaterThan(10);
    if (flavor === 'trueai') {
      expect(upscale.raw.parentId).toBe(grid.id);
      expect(actionKeysOf(upscale.buttons)).toEqual([
        'upscale:subtle', 'upscale:creative', 'vary:subtle', 'vary:strong', 'vary:region', 'zoom:2', 'zoom:1.5', 'zoom:custom', 'pan:left', 'pan:right', 'pan:up', 'pan:down',
      ]);
    } else {
      expect(await mj.act(grid, 'upscale:2')).toMatchObject({ code: 21, outcome: 'existing', taskId: upscale.id, properties: { status: 'SUCCESS' } });
      await expect(mj.act(upscale, 'zoom:2')).rejects.toMatchObject({ kind: 'unsupported' });
    }
    const variation = await succeed(mj.act(grid, 'vary:3'));
    expect(variation.action).toBe('VARIATION');
    if (flavor === 'novicezk') expect(await mj.act(grid, 'vary:3')).toMatchObject({ code: 21, outcome: 'existing', taskId: variation.id });
    expect((await succeed(mj.act(grid, 'reroll'))).action).toBe('REROLL');
  });

  it('refuses actions on unknown or unfinished parents (code 3, code 4)', async () => {
    const unknown = { id: '1000000000000000', buttons: [{ customId: 'MJ::JOB::upsample::1::x' }] } as MjTask;
    // trueai answers it with HTTP 404, novicezk with 200: the code decides.
    await expect(mj.act(unknown, 'upscale:1')).rejects.toMatchObject({ kind: 'not_found', details: { code: 3, status: flavor === 'trueai' ? 404 : 200 } });
    const running = await mj.imagine({ prompt: 'sandbox:slow cat' });
    const parent = (await mj.fetchTask(running.taskId))!;
    const press = flavor === 'trueai' ? mj.action({ taskId: parent.id, customId: 'MJ::JOB::upsample::1::x' }) : mj.change({ taskId: parent.id, action: 'UPSCALE', index: 1 });
    await expect(press).rejects.toMatchObject({ kind: 'validation', details: { code: 4 } });
  });

  it('blend: 2–5 images to a grid of the chosen dimensions', async () => {
    const images = [await png(64, 64, '#ff0000'), await png(80, 40, '#0000ff')];
    const task = await succeed(mj.blend({ base64Array: images, dimensions: 'PORTRAIT' }));
    expect(task.action).toBe('BLEND');
    expect(await sharp(await download(task.imageUrl!)).metadata()).toMatchObject({ width: 688, height: 1024 });
    await expect(mj.blend({ base64Array: [images[0]] })).rejects.toMatchObject({ kind: 'validation' });
    // Not a picture: refused by the proxy with code 4.
    await expect(mj.blend({ base64Array: [images[0], 'data:image/png;base64,aGVsbG8='] })).rejects.toMatchObject({ kind: 'validation', details: { code: 4 } });
  });

  it('describe: four prompts in properties.finalPrompt', async () => {
    const task = await succeed(mj.describe({ base64: await png(300, 200, '#336699') }));
    expect(task.action).toBe('DESCRIBE');
    const prompts = parseDescribePrompts(task.finalPrompt);
    expect(prompts).toHaveLength(4);
    for (const prompt of prompts) expect(prompt).toMatch(/ --ar 3:2$/);
    expect(await sharp(await download(task.imageUrl!)).metadata()).toMatchObject({ width: 300, height: 200 });
    await expect(mj.describe({ base64: 'data:image/png;base64,aGVsbG8=' })).rejects.toMatchObject({ kind: 'validation', details: { code: 4 } });
  });

  it('list-by-condition answers the known ids in one call; fetch of an unknown id is an empty body', async () => {
    const a = await mj.imagine({ prompt: 'a' });
    const b = await mj.imagine({ prompt: 'b' });
    const tasks = await mj.listByCondition([a.taskId, '1234567890123456', b.taskId]);
    expect(tasks.map((t) => t.id).sort()).toEqual([a.taskId, b.taskId].sort());
    expect(await mj.fetchTask('1234567890123456')).toBeNull();
    const raw = await fetch(`${base()}/mj/task/1234567890123456/fetch`, { headers: { Authorization: SECRET, 'mj-api-secret': SECRET } });
    expect([raw.status, await raw.text()]).toEqual([flavor === 'trueai' ? 204 : 200, '']);
  });

  it.each([
    ['sandbox:banned', 'banned', 24],
    ['sandbox:queue-full', 'busy', 23],
    ['', 'validation', 4],
  ])('answers a prompt with %j with code %s', async (prompt, kind, code) => {
    const error: MidjourneyError = await mj.imagine({ prompt: `a cat ${prompt}`.replace(/^a cat $/, '') }).catch((e) => e);
    expect(error).toMatchObject({ kind, details: { code } });
    if (kind === 'banned') expect(error.details.bannedWord).toBe('sandbox:banned');
  });

  it('fails a task whose prompt has sandbox:fail (FAILURE with failReason, progress "")', async () => {
    const task = await finished((await mj.imagine({ prompt: 'a cat sandbox:fail' })).taskId);
    expect(task).toMatchObject({ status: 'FAILURE', phase: 'failed', progress: null, failReason: expect.stringContaining('sandbox:fail') });
    expect(task.raw.progress).toBe('');
    expect(task.finishTime).toEqual(expect.any(Number));
  });

  it('answers code 22 with the queue position when others wait, and 23 when the queue is full', async () => {
    const answers: Array<MjSubmitted | MidjourneyError> = [];
    for (let i = 0; i < 16; i++) answers.push(await mj.imagine({ prompt: `sandbox:slow queue ${i}` }).catch((e: MidjourneyError) => e));
    const outcomes = answers.map((a) => ('outcome' in a ? a.outcome : a.kind));
    // Three run, the fourth waits with nobody ahead (code 1), the next 1..9 ahead (22); ten wait, so the queue is full (23).
    expect(outcomes).toEqual([...Array(4).fill('submitted'), ...Array(9).fill('queued'), 'busy', 'busy', 'busy']);
    expect(answers.slice(4, 13).map((a) => (a as MjSubmitted).queuePosition)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(answers[4]).toMatchObject({ code: 22, description: '排队中，前面还有1个任务' });
    const states = await mj.listByCondition(answers.slice(0, 5).map((a) => (a as MjSubmitted).taskId));
    await waitFor(async () => ((await mj.fetchTask((answers[0] as MjSubmitted).taskId))?.status === 'IN_PROGRESS' ? true : undefined));
    expect(states.find((t) => t.id === (answers[4] as MjSubmitted).taskId)?.status).toBe('NOT_START');
  });

  it('refuses a wrong secret as the proxy does', async () => {
    const wrong = new MidjourneyClient({ baseUrl: base(), secret: 'nope', flavor });
    await expect(wrong.imagine({ prompt: 'x' })).rejects.toMatchObject({ kind: 'auth', details: { status: 401 } });
    const raw = await fetch(`${base()}/mj/submit/imagine`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"prompt":"x"}' });
    expect([raw.status, await raw.text()]).toEqual([401, flavor === 'trueai' ? 'Authorization header missing.' : '']);
  });

  it('serves result URLs only until they expire, like Discord’s CDN', async () => {
    await setTiming({ outputTtlSeconds: 3 });
    try {
      const task = await succeed(mj.imagine({ prompt: 'ephemeral' }));
      await download(task.imageUrl!);
      const tampered = task.imageUrl!.replace(/ex=[0-9a-f]+/, 'ex=ffffffff');
      expect((await fetch(tampered)).status).toBe(404);
      // `ex` is the expiry in hex seconds, as on Discord's CDN.
      const expiresAt = Number.parseInt(new URL(task.imageUrl!).searchParams.get('ex')!, 16) * 1000;
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(4000);
      await sleep(expiresAt - Date.now() + 200);
      const gone = await fetch(task.imageUrl!);
      expect([gone.status, await gone.text()]).toEqual([404, 'This content is no longer available.']);
    } finally {
      await setTiming({ outputTtlSeconds: 3600 });
    }
  });

  describe('notifyHook', () => {
    let server: Server;
    let received: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }>;
    let hook: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push({ headers: req.headers, body: JSON.parse(body) });
          // Our endpoint failing changes nothing: the proxy does not retry.
          res.writeHead(received.length === 1 ? 500 : 200).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      hook = `http://127.0.0.1:${(server.address() as { port: number }).port}/mj-hook?token=t0k`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));
    beforeEach(() => {
      received = [];
    });

    it('posts the whole task, unsigned, on every change, with a preview while running', async () => {
      const { taskId } = await mj.imagine({ prompt: 'hooked', notifyHook: hook });
      await finished(taskId);
      await waitFor(() => (received.some((r) => r.body.status === 'SUCCESS') ? true : undefined));
      await sleep(100);
      const bodies = received.map((r) => r.body);
      expect(new Set(bodies.map((b) => b.id))).toEqual(new Set([taskId]));
      const statuses = new Set(bodies.map((b) => b.status));
      expect([...statuses].sort()).toEqual(['IN_PROGRESS', 'SUBMITTED', 'SUCCESS']);
      const previews = bodies.filter((b) => b.status === 'IN_PROGRESS' && b.imageUrl);
      expect(previews.map((b) => b.progress).sort()).toEqual(['25%', '50%', '75%']);
      expect(await sharp(await download(previews[0].imageUrl as string)).metadata()).toMatchObject({ format: 'webp', width: 256 });
      expect(bodies.find((b) => b.status === 'SUCCESS')).toMatchObject({ progress: '100%', properties: expect.objectContaining({ notifyHook: hook }) });
      expect(received[0].headers['content-type']).toBe('application/json');
      expect(Object.keys(received[0].headers).filter((h) => /sign|auth/i.test(h))).toEqual([]);
      // One delivery per change; with no retries the failed first one is not sent again.
      expect(bodies).toHaveLength(1 + 1 + 3 + 1);
    });

    it('delivers reports out of order (always with sandbox:hook-reorder): a stale report may come after SUCCESS', async () => {
      const { taskId } = await mj.imagine({ prompt: 'sandbox:hook-reorder late', notifyHook: hook });
      await finished(taskId);
      await waitFor(() => (received.length === 6 ? true : undefined));
      const order = received.map((r) => `${r.body.status} ${r.body.progress}`);
      expect(order).toEqual(['IN_PROGRESS 0%', 'SUBMITTED 0%', 'IN_PROGRESS 50%', 'IN_PROGRESS 25%', 'SUCCESS 100%', 'IN_PROGRESS 75%']);
      // So a consumer re-fetches rather than trust the last report.
      expect((await mj.fetchTask(taskId))?.status).toBe('SUCCESS');
    });
  });

  if (flavor === 'trueai') {
    it('modal actions: vary region with a mask and custom zoom with a prompt, through code 21 and /modal', async () => {
      const grid = await succeed(mj.imagine({ prompt: 'a paper crane --seed 3' }));
      const upscale = await succeed(mj.act(grid, 'upscale:1'));

      const region = await mj.act(upscale, 'vary:region');
      expect(region).toMatchObject({ code: 21, outcome: 'modal', properties: { finalPrompt: 'a paper crane --seed 3', remix: true } });
      expect(await mj.fetchTask(region.taskId)).toMatchObject({ status: 'MODAL', phase: 'modal', action: 'INPAINT' });
      await expect(mj.modal({ taskId: region.taskId, prompt: '' })).rejects.toMatchObject({ kind: 'validation', message: '参数错误' });
      await expect(mj.modal({ taskId: region.taskId, prompt: 'a paper crane, golden' })).rejects.toMatchObject({ kind: 'validation' });
      const mask = await png(1024, 1024, '#ffffff');
      expect(await mj.modal({ taskId: region.taskId, prompt: 'a paper crane, golden', maskBase64: mask })).toMatchObject({ code: 1, taskId: region.taskId });
      const varied = await finished(region.taskId);
      expect(varied).toMatchObject({ status: 'SUCCESS', prompt: 'a paper crane, golden' });
      expect(await sharp(await download(varied.imageUrl!)).metadata()).toMatchObject({ width: 1024, height: 1024 });
      await expect(mj.modal({ taskId: region.taskId, prompt: 'again', maskBase64: mask })).rejects.toMatchObject({ kind: 'validation' });

      const zoom = await mj.act(upscale, 'zoom:custom');
      expect(zoom.outcome).toBe('modal');
      await expect(mj.modal({ taskId: zoom.taskId, prompt: 'crane --zoom 3' })).rejects.toMatchObject({ kind: 'validation' });
      await mj.modal({ taskId: zoom.taskId, prompt: 'a paper crane --zoom 1.5 --ar 16:9' });
      const zoomed = await finished(zoom.taskId);
      expect([zoomed.status, zoomed.action]).toEqual(['SUCCESS', 'ACTION']);
      expect(await sharp(await download(zoomed.imageUrl!)).metadata()).toMatchObject({ width: 1024, height: 576 });
      await expect(mj.modal({ taskId: '1234567890123456', prompt: 'x' })).rejects.toMatchObject({ kind: 'not_found', details: { status: 404 } });
    });

    it('zoom, pan and upscale (subtle) give the right new sizes', async () => {
      const grid = await succeed(mj.imagine({ prompt: 'a tram --ar 3:2' }));
      const upscale = await succeed(mj.act(grid, 'upscale:4'));
      const size = async (task: MjTask) => sharp(await download(task.imageUrl!)).metadata();
      expect(await size(upscale)).toMatchObject({ width: 1024, height: 688 });
      const [zoom, left, up, hd, strong] = await Promise.all([
        succeed(mj.act(upscale, 'zoom:2')),
        succeed(mj.act(upscale, 'pan:left')),
        succeed(mj.act(upscale, 'pan:up')),
        succeed(mj.act(upscale, 'upscale:subtle')),
        succeed(mj.act(upscale, 'vary:strong')),
      ]);
      expect(await size(zoom)).toMatchObject({ width: 1024, height: 688 });
      expect(await size(left)).toMatchObject({ width: 1536, height: 688 });
      expect(await size(up)).toMatchObject({ width: 1024, height: 1032 });
      expect(await size(hd)).toMatchObject({ width: 2048, height: 1376 });
      expect(await size(strong)).toMatchObject({ width: 1024, height: 688 });
      expect([zoom.action, left.action, hd.action, strong.action]).toEqual(['ACTION', 'PAN', 'ACTION', 'VARIATION']);
      expect(actionKeysOf(zoom.buttons)).toContain('upscale:1');
    });

    it('cancels in every state: the task shows as FAILURE "取消任务"', async () => {
      await setTiming({ queueMs: 3000 });
      try {
        const submitted = await mj.imagine({ prompt: 'wait' });
        await waitFor(async () => ((await mj.fetchTask(submitted.taskId))?.status === 'SUBMITTED' ? true : undefined));
        await mj.cancel(submitted.taskId);
        expect(await mj.fetchTask(submitted.taskId)).toMatchObject({ status: 'FAILURE', failReason: '取消任务', phase: 'canceled', terminal: true });
      } finally {
        await setTiming(FAST);
      }
      // Three slow jobs fill the slots; the fourth waits as NOT_START.
      const slow: MjSubmitted[] = [];
      for (let i = 0; i < 4; i++) slow.push(await mj.imagine({ prompt: `sandbox:slow ${i}` }));
      await waitFor(async () => ((await mj.fetchTask(slow[0].taskId))?.status === 'IN_PROGRESS' ? true : undefined));
      expect((await mj.fetchTask(slow[3].taskId))?.status).toBe('NOT_START');
      await mj.cancel(slow[3].taskId);
      await mj.cancel(slow[0].taskId);
      const [waiting, running] = await mj.listByCondition([slow[3].taskId, slow[0].taskId]);
      expect([waiting.phase, running.phase, running.failReason]).toEqual(['canceled', 'canceled', '取消任务']);

      const grid = await succeed(mj.imagine({ prompt: 'done' }));
      const upscale = await succeed(mj.act(grid, 'upscale:1'));
      const modal = await mj.act(upscale, 'zoom:custom');
      await mj.cancel(modal.taskId);
      expect(await mj.fetchTask(modal.taskId)).toMatchObject({ phase: 'canceled' });
      // A finished task stays as it was; an unknown id gets the same empty 200.
      await mj.cancel(grid.id);
      expect((await mj.fetchTask(grid.id))?.status).toBe('SUCCESS');
      await expect(mj.cancel('1234567890123456')).resolves.toBeUndefined();
      expect((await mj.listByCondition(slow.map((t) => t.taskId))).map((t) => t.status)).toEqual(['FAILURE', 'IN_PROGRESS', 'IN_PROGRESS', 'FAILURE']);
    });

    it('speed modes through the path prefix', async () => {
      const relax = new MidjourneyClient({ baseUrl: base(), secret: SECRET, flavor, mode: 'relax' });
      const { taskId } = await relax.imagine({ prompt: 'slowly' });
      expect((await relax.fetchTask(taskId))?.raw.mode).toBe('RELAX');
      const calls = await (await fetch(`${s.base}/_control/requests?provider=midjourney`)).json();
      expect(calls).toContainEqual(expect.objectContaining({ method: 'POST', path: '/sandbox/mj/trueai/mj-relax/mj/submit/imagine' }));
    });
  } else {
    it('has no action, modal or cancel routes (Spring 404), and change/simple-change do U/V/R', async () => {
      const headers = { 'Content-Type': 'application/json', 'mj-api-secret': SECRET };
      for (const path of ['/mj/submit/action', '/mj/submit/modal', '/mj/task/1/cancel']) {
        const response = await fetch(`${base()}${path}`, { method: 'POST', headers, body: '{}' });
        expect([path, response.status, ((await response.json()) as { error: string }).error]).toEqual([path, 404, 'Not Found']);
      }
      await expect(mj.cancel('1')).rejects.toMatchObject({ kind: 'unsupported' });
      const grid = await succeed(mj.imagine({ prompt: 'legacy' }));
      const simple = await fetch(`${base()}/mj/submit/simple-change`, { method: 'POST', headers, body: JSON.stringify({ content: `${grid.id} V1` }) });
      const { code, result } = (await simple.json()) as { code: number; result: string };
      expect(code).toBe(1);
      expect((await finished(result)).action).toBe('VARIATION');
    });
  }

  it('applies injected faults and records the calls', async () => {
    const setFaults = (faults: object) =>
      fetch(`${s.base}/_control/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ provider: 'midjourney', ...faults }) });
    await setFaults({ http500: 1 });
    await expect(mj.imagine({ prompt: 'x' })).rejects.toMatchObject({ kind: 'retryable', details: { status: 500 } });
    await setFaults({ malformedJson: 1 });
    await expect(mj.imagine({ prompt: 'x' })).rejects.toMatchObject({ kind: 'retryable' });
    await setFaults({});
    expect((await mj.imagine({ prompt: 'x' })).code).toBe(1);
    const calls = await (await fetch(`${s.base}/_control/requests?provider=midjourney`)).json();
    expect(calls).toHaveLength(3);
  });
});
