import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { CreditsService } from '../src/modules/credits/credits.service.js';
import { makeVideo } from './video-fixtures.js';
import { bearer, queryDatabase, signUp, type SignedUpUser, startTestApp, type TestApp } from './test-app.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];

/**
 * An outside audit of the Jimeng API (issue #18): what an integrator with a fuzzer or an attacker
 * sends, and what the sandbox's faults do to tasks. Every answer is checked against the OpenAPI
 * document by the test agent.
 */
describe('jimeng audit', () => {
  let t: TestApp;
  let admin: SignedUpUser;

  const image = (width = 640, height = 360, color = '#3070c0', format: 'png' | 'webp' | 'jpeg' = 'png') => sharp({ create: { width, height, channels: 3, background: color } })[format]().toBuffer();
  const upload = async (token: string, bytes: Buffer, name = 'input.png') => (await t.http.post('/api/v1/files/upload').set(bearer(token)).attach('file', bytes, name).expect(201)).body;
  const post = (token: string, route: string, body: object) => t.http.post(`/api/v1/jimeng/${route}`).set(bearer(token)).send(body);
  const control = (path: string, body: object) => t.http.post(`/sandbox/_control/${path}`).send(body).expect(200);
  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;
  const waitForTask = async (token: string, id: string, until: (task: any) => boolean = (task) => TERMINAL.includes(task.status), timeoutMs = 30_000) => {
    const started = Date.now();
    for (;;) {
      const { body } = await t.http.get(`/api/v1/jimeng/task/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > timeoutMs) throw new Error(`task ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  };
  const richUser = async () => {
    const user = await signUp(t.http);
    await t.app.get(CreditsService).grant({ id: admin.id } as any, { userId: user.id, amount: 1000, reason: 'audit' });
    return user;
  };

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    admin = await signUp(t.http);
    await control('timing', { queueMs: 20, runMinMs: 50, runMaxMs: 100 });
  });
  afterAll(() => t?.close());
  afterEach(async () => {
    await control('faults', { provider: 'volcengine' });
    await control('timing', { queueMs: 20, runMinMs: 50, runMaxMs: 100 });
  });

  it('counts the 800 prompt characters as the document does (code points): 800 emoji pass, 801 are refused', async () => {
    const user = await signUp(t.http);
    const fits = await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: '😀'.repeat(800) }).expect(201);
    expect(fits.body.prompt).toBe('😀'.repeat(800));
    const over = await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: '😀'.repeat(801) }).expect(400);
    expect(over.body.details[0].field).toBe('prompt');
  });

  it('refuses a corrupt mask of another size with a 400 naming it, as a data URL or as a file', async () => {
    const user = await richUser();
    const original = await upload(user.token, await image(640, 360));
    // A PNG whose header says 300×200 but whose pixels are cut off: its metadata reads, its pixels do not.
    const corrupt = (await sharp({ create: { width: 300, height: 200, channels: 3, background: '#fff', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer()).subarray(0, 400);
    const asDataUrl = await post(user.token, 'inpaint', { prompt: '删除', image: { fileId: original.id }, maskDataUrl: `data:image/png;base64,${corrupt.toString('base64')}` }).expect(400);
    expect(asDataUrl.body.details[0].field).toBe('maskDataUrl');
    // Nothing of the refused request stays behind: the user has only the original.
    expect(await queryDatabase(t.database, 'SELECT id FROM media_files WHERE user_id = $1', [user.id])).toEqual([{ id: original.id }]);
    const file = await upload(user.token, corrupt, 'mask.png');
    const asFile = await post(user.token, 'inpaint', { prompt: '删除', image: { fileId: original.id }, maskFileId: file.id }).expect(400);
    expect(asFile.body.details[0].field).toBe('maskFileId');
    expect(await balance(user.token)).toBe(1100);
  });
  it.each([
    ['HTTP 500', { http500: 1 }],
    ['HTTP 429', { http429: 1 }],
    ['a cut-off JSON body', { malformedJson: 1 }],
    ['a plain-text 200', { plainText: 1 }],
    ['a reset connection', { reset: 1 }],
  ])('keeps a task going through %s at submission and while polling, then finishes it or refunds it (never a 5xx)', async (_name, fault) => {
    const user = await signUp(t.http);
    await control('faults', { provider: 'volcengine', ...fault });
    const created = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'through the storm' }).expect(201)).body;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await t.http.get(`/api/v1/jimeng/task/${created.id}`).set(bearer(user.token)).expect(200)).body.status).toBe('pending');
    await control('faults', { provider: 'volcengine' });
    await control('timing', { queueMs: 800 });
    await waitForTask(user.token, created.id, (task) => ['submitted', 'queued', 'running'].includes(task.status));
    await control('faults', { provider: 'volcengine', ...fault });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await control('faults', { provider: 'volcengine' });
    const done = await waitForTask(user.token, created.id);
    // 50500 on three polls in a row is the table's "failed inside Volcengine" (refunded); anything else passes.
    if (done.status === 'failed') expect([done.refunded, await balance(user.token)]).toEqual([true, 100]);
    else expect([done.status, done.refunded, await balance(user.token)]).toEqual(['succeeded', false, 96]);
  });

  it('refunds once when the same task is cancelled several times at once', async () => {
    const user = await richUser();
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 1 }).expect(200);
    await control('timing', { queueMs: 60_000 });
    try {
      const first = (await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt: 'holds the slot' }).expect(201)).body;
      await waitForTask(user.token, first.id, (task) => task.status !== 'pending');
      for (let round = 0; round < 3; round++) {
        const waiting = (await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'waits', duration: 10 }).expect(201)).body;
        const before = await balance(user.token);
        const answers = await Promise.all([1, 2, 3, 4].map(() => t.http.delete(`/api/v1/jimeng/task/${waiting.id}`).set(bearer(user.token))));
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409]);
        expect(await balance(user.token)).toBe(before + 60);
      }
    } finally {
      await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ maxConcurrentTasks: 2 }).expect(200);
    }
  });
  it('ends a task refunded at once when its one resend after output moderation cannot be sent (its input image was deleted)', async () => {
    const user = await signUp(t.http);
    const input = await upload(user.token, await image(640, 480, '#405060'));
    await control('timing', { queueMs: 700 });
    const created = (await post(user.token, 'image-to-image', { prompt: 'sandbox:post-risk a lighthouse', image: { fileId: input.id } }).expect(201)).body;
    await waitForTask(user.token, created.id, (task) => task.status !== 'pending');
    // 50511 is answered once the job ran; the resend needs the input image, which is gone by then.
    await t.http.delete(`/api/v1/files/generated/${input.id}`).set(bearer(user.token)).expect(204);
    const done = await waitForTask(user.token, created.id, undefined, 8000);
    expect(done).toMatchObject({ status: 'failed', refunded: true });
    expect(done.error).toMatch(/deleted|no longer available/);
    expect(await balance(user.token)).toBe(100);
  });
  it('holds Seedream 4.0 sides to 4096 before charging: 4097 is a 400 naming width, 4096 × 256 is taken', async () => {
    const user = await richUser();
    const over = await post(user.token, 'text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'a long scroll', width: 4097, height: 1024 }).expect(400);
    expect(over.body.details[0]).toEqual({ field: 'width', messages: [expect.stringMatching(/4096/)] });
    await post(user.token, 'text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'a long scroll', width: 8192, height: 2048 }).expect(400);
    expect((await t.http.get('/api/v1/jimeng/history').set(bearer(user.token)).expect(200)).body.items).toEqual([]);
    const { body: catalogue } = await t.http.get('/api/v1/jimeng/models').set(bearer(user.token)).expect(200);
    expect(catalogue.models.find((model: any) => model.id === 'jimeng-image-seedream-4.0').size).toMatchObject({ minSide: 256, maxSide: 4096, maxRatio: 16 });
    const widest = (await post(user.token, 'text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'a long scroll', width: 4096, height: 256 }).expect(201)).body;
    expect(await waitForTask(user.token, widest.id)).toMatchObject({ status: 'succeeded' });
  });
  it("refuses input images that are not the caller's usable images, and URLs to private places, naming the field, charging nothing and sending nothing", async () => {
    const user = await signUp(t.http);
    const other = await signUp(t.http);
    const mine = await upload(user.token, await image(640, 480));
    const theirs = await upload(other.token, await image(640, 480, '#a02020'));
    const video = await upload(user.token, await makeVideo('mp4-faststart', { seconds: 1, width: 640, height: 360 }), 'clip.mp4');
    const gone = await upload(user.token, await image(640, 480, '#102030'));
    await t.http.delete(`/api/v1/files/generated/${gone.id}`).set(bearer(user.token)).expect(204);
    const submits = async () => ((await t.http.get('/sandbox/_control/requests?provider=volcengine').expect(200)).body as Array<{ path: string }>).filter((r) => r.path.includes('CVSync2AsyncSubmitTask')).length;
    const before = await submits();
    const i2v = (firstFrame: object) => ['image-to-video', { model: 'jimeng-video-3.0-720p-i2v', firstFrame }] as const;
    const cases: Array<[string, object, string, RegExp]> = [
      [...i2v({ fileId: theirs.id }), 'firstFrame.fileId', /not one of your stored images/],
      [...i2v({ fileId: gone.id }), 'firstFrame.fileId', /not one of your stored images/],
      [...i2v({ fileId: video.id }), 'firstFrame', /JPG or PNG/],
      [...i2v({ url: `${t.baseUrl}${theirs.url}` }), 'firstFrame.url', /could not be fetched/],
      [...i2v({ url: 'http://127.0.0.1:1/a.png' }), 'firstFrame.url', /could not be fetched/],
      [...i2v({ url: 'http://169.254.169.254/latest/meta-data/' }), 'firstFrame.url', /could not be fetched/],
      [...i2v({ url: 'http://[::1]/a.png' }), 'firstFrame.url', /could not be fetched/],
      [...i2v({ url: 'file:///etc/passwd' }), 'firstFrame.url', /http\(s\) URL/],
      [...i2v({ fileId: mine.id, url: mine.url }), 'firstFrame', /exactly one of fileId or url/],
      ['text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'x', referenceImages: [{ fileId: mine.id }, { fileId: theirs.id }] }, 'referenceImages[1].fileId', /not one of your stored images/],
      ['text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'x', referenceImages: Array(11).fill({ fileId: mine.id }) }, 'referenceImages', /at most 10/],
      ['inpaint', { prompt: 'x', image: { fileId: mine.id }, maskFileId: video.id }, 'maskFileId', /PNG, JPEG or WebP/],
      ['inpaint', { prompt: 'x', image: { fileId: mine.id }, maskFileId: theirs.id }, 'maskFileId', /not one of your stored images/],
      ['inpaint', { prompt: 'x', image: { fileId: mine.id }, maskDataUrl: 'data:image/png;base64,####' }, 'maskDataUrl', /data URL/],
    ];
    for (const [route, body, field, message] of cases) {
      const response = await post(user.token, route, body).expect(400);
      const detail = response.body.details?.find((d: any) => d.field === field);
      expect([route, JSON.stringify(body).slice(0, 60), field, detail?.messages.join(' ')]).toEqual([route, JSON.stringify(body).slice(0, 60), field, expect.stringMatching(message)]);
    }
    // Ten references of the same image are ten references.
    await post(user.token, 'text-to-image', { model: 'jimeng-image-seedream-4.0', prompt: 'x', referenceImages: Array(10).fill({ fileId: mine.id }) }).expect(201);
    expect(await submits()).toBe(before + 1);
    expect(await balance(user.token)).toBe(100 - 6);
  });
  it('documents the req_key override rules it applies: a body the document allows is saved, one it refuses is a 400', async () => {
    const { body: document } = await t.http.get('/api/docs/openapi.json').expect(200);
    const allows = new Ajv.default({ strict: false }).compile(document.components.schemas.SaveJimengConfigDto.properties.reqKeyOverrides);
    const bodies: unknown[] = [
      {},
      { 'jimeng-image-t2i-3.0': '' },
      { 'jimeng-image-t2i-3.0': 'jimeng_t2i_v30' },
      { 'jimeng-image-t2i-3.0': 'Bad Key!' },
      { 'jimeng-image-t2i-3.0': 'x'.repeat(101) },
      { 'jimeng-nope': 'jimeng_t2i_v30' },
      { toString: 'x' },
      { hasOwnProperty: 'jimeng_t2i_v30' },
      { constructor: 'jimeng_t2i_v30' },
      { 'jimeng-image-t2i-3.0': 5 },
    ];
    try {
      for (const overrides of bodies) {
        const answer = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: overrides });
        expect([overrides, answer.status]).toEqual([overrides, allows(overrides) ? 200 : 400]);
      }
      // Prototype keys, which the framework would drop unseen, are refused by name; nothing is polluted.
      for (const raw of ['{"reqKeyOverrides":{"__proto__":{"jimeng-image-t2i-3.0":"x"}}}', '{"reqKeyOverrides":{"constructor":"y"}}', '{"__proto__":{"enabled":false}}']) {
        const refused = await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).set('Content-Type', 'application/json').send(raw).expect(400);
        expect(refused.body.details[0].field).toMatch(/__proto__|constructor/);
      }
      expect(({} as Record<string, unknown>)['jimeng-image-t2i-3.0']).toBeUndefined();
      expect((await t.http.get('/api/v1/jimeng/config').set(bearer(admin.token)).expect(200)).body).toMatchObject({ enabled: true, reqKeyOverrides: {} });
    } finally {
      await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ reqKeyOverrides: {} }).expect(200);
    }
  });
  it('refuses every submission body the document refuses (a fuzz of wrong types, nulls, extra fields, edge numbers)', async () => {
    const user = await richUser();
    const { body: document } = await t.http.get('/api/docs/openapi.json').expect(200);
    const ajv = new Ajv.default({ strict: false, allErrors: false });
    addFormats.default(ajv);
    ajv.addSchema(document, 'doc');
    const image = await upload(user.token, await sharp({ create: { width: 640, height: 480, channels: 3, background: '#506070' } }).png().toBuffer());
    const routes: Record<string, [string, Record<string, unknown>]> = {
      'text-to-video': ['JimengTextToVideoDto', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'p' }],
      'image-to-video': ['JimengImageToVideoDto', { model: 'jimeng-video-3.0-720p-i2v', firstFrame: { fileId: image.id } }],
      'text-to-image': ['JimengTextToImageDto', { model: 'jimeng-image-seedream-4.0', prompt: 'p' }],
      'image-to-image': ['JimengImageToImageDto', { prompt: 'p', image: { fileId: image.id } }],
      inpaint: ['JimengInpaintDto', { prompt: 'p', image: { fileId: image.id }, maskFileId: image.id }],
    };
    const values: unknown[] = [null, true, 0, -1, -2, 0.5, 1.5, 2 ** 31, 4097, 1e308, 'NaN', '', ' ', '5', [], {}, [{}], { fileId: image.id, url: image.url }, 'x'.repeat(801), '😀'.repeat(800), { url: 'ftp://example.com/a.png' }, { url: 'file:///etc/passwd' }, { url: ' http://example.com/a.png' }, [{ url: 'javascript:alert(1)' }]];
    const fields = ['model', 'prompt', 'seed', 'duration', 'aspectRatio', 'firstFrame', 'lastFrame', 'width', 'height', 'promptExpansion', 'referenceImages', 'strength', 'forceSingle', 'image', 'maskFileId', 'maskDataUrl', 'extra', 'toString'];
    // The URL rules the server applies are the document's too.
    const i2v = ajv.getSchema('doc#/components/schemas/JimengImageToVideoDto')!;
    for (const url of ['ftp://example.com/a.png', 'file:///etc/passwd', 'javascript:alert(1)', ' http://example.com/a.png']) expect([url, i2v({ model: 'jimeng-video-3.0-720p-i2v', firstFrame: { url } })]).toEqual([url, false]);
    for (const url of ['https://example.com/a.png', 'HTTP://EXAMPLE.COM/A.PNG', '/media/a.png']) expect([url, i2v({ model: 'jimeng-video-3.0-720p-i2v', firstFrame: { url } })]).toEqual([url, true]);
    await control('timing', { queueMs: 60_000 });
    const accepted: string[] = [];
    for (const [route, [schema, base]] of Object.entries(routes)) {
      const allows = ajv.getSchema(`doc#/components/schemas/${schema}`)!;
      for (const field of fields) {
        for (const value of values) {
          const body = { ...base, [field]: value };
          if (allows(body)) continue;
          const answer = await post(user.token, route, body);
          if (answer.status !== 400) accepted.push(`${route} ${field}=${JSON.stringify(value).slice(0, 40)}: ${answer.status}`);
        }
      }
    }
    expect(accepted).toEqual([]);
  }, 120_000);
  it('a cancel while the submission is on its way ends in one state with one refund at most', async () => {
    const user = await richUser();
    await control('faults', { provider: 'volcengine', latencyMs: 1200 });
    const created = (await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'in flight', duration: 10 }).expect(201)).body;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancel = await t.http.delete(`/api/v1/jimeng/task/${created.id}`).set(bearer(user.token));
    await control('faults', { provider: 'volcengine' });
    const task = await waitForTask(user.token, created.id);
    const outcome = [cancel.status, task.status, task.refunded, await balance(user.token)];
    // Either it was not sent yet (canceled, refunded) or it was (409: Volcengine cannot stop it; it finishes, paid).
    if (cancel.status === 200) expect(outcome).toEqual([200, 'canceled', true, 1100]);
    else expect(outcome).toEqual([409, 'succeeded', false, 1040]);
  });
  it('answers 401 before 403 before 400, and 404 for what is not mine; history pages by cursor and filters by kind, mine only', async () => {
    const user = await richUser();
    const other = await signUp(t.http);
    const routes = ['text-to-video', 'image-to-video', 'text-to-image', 'image-to-image', 'inpaint'];
    for (const route of routes) await t.http.post(`/api/v1/jimeng/${route}`).send({ model: 42, junk: true }).expect(401);
    await t.http.get('/api/v1/jimeng/task/not-a-uuid').expect(401);
    await t.http.delete('/api/v1/jimeng/task/not-a-uuid').expect(401);
    await t.http.get('/api/v1/jimeng/history?kind=audio').expect(401);
    await t.http.get('/api/v1/jimeng/models').expect(401);
    await t.http.get('/api/v1/jimeng/config/user').expect(401);
    await t.http.post('/api/v1/jimeng/config').set(bearer(user.token)).send({ timeout: 'soon', junk: 1 }).expect(403);
    await t.http.post('/api/v1/jimeng/config/check').set(bearer(user.token)).send({ baseUrl: 'file:///etc/passwd' }).expect(403);
    await t.http.get('/api/v1/jimeng/task/not-a-uuid').set(bearer(user.token)).expect(400);

    const created = [];
    for (const prompt of ['first', 'second']) created.push((await post(user.token, 'text-to-image', { model: 'jimeng-image-t2i-3.1', prompt }).expect(201)).body);
    created.push((await post(user.token, 'text-to-video', { model: 'jimeng-video-3.0-720p-t2v', prompt: 'third' }).expect(201)).body);
    await t.http.get(`/api/v1/jimeng/task/${created[0].id}`).set(bearer(other.token)).expect(404);
    await t.http.delete(`/api/v1/jimeng/task/${created[0].id}`).set(bearer(other.token)).expect(404);
    await t.http.get('/api/v1/jimeng/task/00000000-0000-4000-8000-000000000000').set(bearer(user.token)).expect(404);
    expect((await t.http.get('/api/v1/jimeng/history').set(bearer(other.token)).expect(200)).body).toEqual({ items: [], nextCursor: null });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const { body: page }: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t.http
        .get('/api/v1/jimeng/history')
        .query({ limit: 1, ...(cursor ? { cursor } : {}) })
        .set(bearer(user.token))
        .expect(200);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(created.map((task) => task.id).reverse());
    const videos = (await t.http.get('/api/v1/jimeng/history?kind=video').set(bearer(user.token)).expect(200)).body.items;
    expect(videos.map((item: any) => item.id)).toEqual([created[2].id]);
    await t.http.get('/api/v1/jimeng/history?source=flux').set(bearer(user.token)).expect(400);
  });
  it('checks a base URL that is unreachable, answers garbage or redirects: 200 with ok false and a reason, nothing saved', async () => {
    const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
      '/html': (res) => void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>captive portal</html>'),
      '/json': (res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"hello":"world"}'),
      '/cut': (res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":10000,"data":{"sta'),
      '/empty': (res) => void res.writeHead(204).end(),
      '/redirect': (res) => void res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end(),
      '/reset': (res) => res.socket?.destroy(),
    };
    const server = createServer((req, res) => {
      const answer = answers[(req.url ?? '').split('/?')[0]];
      if (answer) answer(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of [...Object.keys(answers), '/nothing']) {
        const { body } = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({ accessKeyId: 'AK', secretAccessKey: 'SK', baseUrl: `${base}${path}` }).expect(200);
        expect([path, body.ok, body.reason]).toEqual([path, false, 'unreachable']);
      }
      const { body } = await t.http.post('/api/v1/jimeng/config/check').set(bearer(admin.token)).send({ accessKeyId: 'AK', secretAccessKey: 'SK', baseUrl: 'http://127.0.0.1:1' }).expect(200);
      expect(body).toMatchObject({ ok: false, reason: 'unreachable', usesSandbox: false });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect((await t.http.get('/api/v1/jimeng/config').set(bearer(admin.token)).expect(200)).body.accessKeyId).not.toBe('AK');
  });
  it('refuses every settings body the document refuses', async () => {
    const { body: document } = await t.http.get('/api/docs/openapi.json').expect(200);
    const ajv = new Ajv.default({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema(document, 'doc');
    const values: unknown[] = [null, true, 0, -1, 0.5, 1.5, 299, 86401, 101, 1e308, 'NaN', '', ' ', 'x'.repeat(301), [], {}, { position: 4 }, { opacity: 2 }, { language: 0.5 }, { text: 'x'.repeat(51) }, { enabled: 'yes' }, { extra: 1 }, { producerId: 'x'.repeat(201) }, 'ftp://x', 'http://x/?q=1', 'http://x/#f'];
    const fields = ['accessKeyId', 'secretAccessKey', 'baseUrl', 'enabled', 'timeout', 'maxConcurrentTasks', 'reqKeyOverrides', 'watermark', 'aigcMeta', 'extra'];
    const save = ajv.getSchema('doc#/components/schemas/SaveJimengConfigDto')!;
    for (const baseUrl of ['ftp://x', 'http://x/?q=1', 'http://x/#f', 'x']) expect([baseUrl, save({ baseUrl })]).toEqual([baseUrl, false]);
    for (const baseUrl of ['', 'https://visual.volcengineapi.com', 'HTTP://relay.example.com/volc']) expect([baseUrl, save({ baseUrl })]).toEqual([baseUrl, true]);
    const accepted: string[] = [];
    for (const [route, schema] of [['config', 'SaveJimengConfigDto'], ['config/check', 'CheckJimengConfigDto']]) {
      const allows = ajv.getSchema(`doc#/components/schemas/${schema}`)!;
      for (const field of fields) {
        for (const value of values) {
          const body = { [field]: value };
          if (allows(body)) continue;
          const answer = await t.http.post(`/api/v1/jimeng/${route}`).set(bearer(admin.token)).send(body);
          if (answer.status !== 400) accepted.push(`${route} ${field}=${JSON.stringify(value).slice(0, 40)}: ${answer.status}`);
        }
      }
    }
    expect(accepted).toEqual([]);
  }, 120_000);
  it('refuses keys pasted with spaces or line breaks, naming the field, instead of saving keys no request can carry', async () => {
    for (const [field, value] of [['accessKeyId', 'AKLTabc\n'], ['secretAccessKey', ' c2VjcmV0'], ['accessKeyId', 'AK LT'], ['secretAccessKey', 'sec\tret']]) {
      for (const route of ['config', 'config/check']) {
        const refused = await t.http.post(`/api/v1/jimeng/${route}`).set(bearer(admin.token)).send({ [field]: value }).expect(400);
        expect(refused.body.details[0]).toEqual({ field, messages: [expect.stringMatching(/without spaces or line breaks/)] });
      }
    }
    expect((await t.http.get('/api/v1/jimeng/config').set(bearer(admin.token)).expect(200)).body.accessKeyId).not.toMatch(/AKLTabc|AK LT/);
  });
});
