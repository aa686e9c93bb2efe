import http from 'node:http';
import { MediaKind } from '../src/modules/storage/media-file.entity.js';
import { ProviderError } from '../src/modules/scheduler/provider-adapter.js';
import { ProviderRegistry } from '../src/modules/scheduler/provider-registry.js';
import { TaskEngine } from '../src/modules/scheduler/task-engine.service.js';
import { TaskTransitions } from '../src/modules/scheduler/task-transitions.service.js';
import { DataSource } from 'typeorm';
import { GenerationTask, TaskStatus } from '../src/modules/scheduler/generation-task.entity.js';
import { TasksService } from '../src/modules/scheduler/tasks.service.js';
import { createFakeAdapter, type FakeAdapter, type FakeProvider, startFakeProvider } from './fixtures/fake-provider.mjs';
import { bearer, signUp, queryDatabase, startTestApp, type TestApp } from './test-app.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];

describe('task engine', () => {
  let t: TestApp;
  let provider: FakeProvider;
  let adapter: FakeAdapter;
  let admin: Awaited<ReturnType<typeof signUp>>;

  const sql = (query: string, params: unknown[] = []) => queryDatabase(t.database, query, params);

  const submit = (userId: string, prompt: string, model = 'fake-1') =>
    t.app.get(TasksService).submit(userId, { provider: 'fake', model, kind: MediaKind.Image, action: 'text-to-image', prompt, input: { prompt } });

  /** Calls submit like a controller would, giving the HTTP status it would answer with. */
  const submitStatus = async (userId: string, prompt: string) => {
    try {
      return { status: 201, task: await submit(userId, prompt) };
    } catch (error) {
      return { status: (error as { getStatus?: () => number }).getStatus?.() ?? 500, error: error as Error & { getResponse(): any } };
    }
  };

  const waitForTask = async (token: string, id: string, until: (task: any) => boolean = (task) => TERMINAL.includes(task.status), timeoutMs = 15_000) => {
    const started = Date.now();
    for (;;) {
      const { body } = await t.http.get(`/api/v1/tasks/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > timeoutMs) throw new Error(`task ${id} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;

  const ledgerFor = (taskId: string) => sql(`SELECT kind, delta FROM credit_ledger WHERE task_id = $1 ORDER BY created_at`, [taskId]);

  beforeAll(async () => {
    provider = await startFakeProvider({ queueMs: 40, runMs: 80 });
    adapter = createFakeAdapter(provider.url, { ProviderError, timeoutMs: 300 });
    t = await startTestApp({
      env: {
        TASK_TICK_MS: '30',
        TASK_POLL_MIN_MS: '20',
        TASK_POLL_MAX_MS: '150',
        TASK_LEASE_SECONDS: '2',
        FETCH_ALLOWLIST: `${provider.url}/`,
        PUBLIC_URL: 'https://atelier.example.com',
      },
      beforeInit: (app) => app.get(ProviderRegistry).register(adapter),
    });
    admin = await signUp(t.http);
  });
  afterEach(() => {
    adapter.settings = { enabled: true, maxConcurrentTasks: 1000, deadlineSeconds: 900 };
    for (const kind of Object.keys(provider.faults) as Array<keyof FakeProvider['faults']>) provider.faults[kind].length = 0;
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it('reserves the price, runs the task to the end and stores its outputs with thumbnails', async () => {
    const user = await signUp(t.http);
    const task = await submit(user.id, 'a lighthouse fake:images=2');
    expect(task).toMatchObject({ provider: 'fake', model: 'fake-1', kind: 'image', action: 'text-to-image', status: 'submitted', cost: 10, prompt: 'a lighthouse fake:images=2', outputs: [] });
    expect(task).not.toHaveProperty('providerState');
    expect(await balance(user.token)).toBe(90);

    const done = await waitForTask(user.token, task.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, error: null, queuePosition: null });
    expect(done.outputs).toHaveLength(2);
    for (const [index, output] of done.outputs.entries()) {
      expect(output).toMatchObject({ kind: 'image', mimeType: 'image/png', width: 16, height: 16, metadata: { seed: 1000 + index } });
      expect(output.url).toMatch(/^\/media\/generated\/images\//);
      // A 16 px image is its own thumbnail.
      expect(output.thumbnailUrl).toBe(output.url);
      expect(output.url).not.toContain(provider.url);
      await t.http.get(output.url).expect(200).expect('Content-Type', 'image/png');
    }
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    expect(await balance(user.token)).toBe(90);
    expect(await ledgerFor(task.id)).toEqual([{ kind: 'charge', delta: -10 }]);
    // The user's files list them too, labelled with the provider's source.
    const files = await t.http.get('/api/v1/files/generated').set(bearer(user.token)).expect(200);
    expect(files.body.items.map((file: any) => file.sourceTaskId)).toEqual([task.id, task.id]);
  });

  it('answers 402 before anything is sent when the balance is too low', async () => {
    const user = await signUp(t.http);
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: -95, reason: 'test' }).expect(200);
    const before = provider.counts.submit;
    const result = await submitStatus(user.id, 'too expensive');
    expect(result.status).toBe(402);
    expect(result.error!.message).toBe('Not enough credits: this costs 10, your balance is 5');
    expect(provider.counts.submit).toBe(before);
    expect(await sql(`SELECT id FROM generation_tasks WHERE user_id = $1`, [user.id])).toEqual([]);
    expect(await balance(user.token)).toBe(5);
  });

  it('fails and refunds a refused submission, answering 400 naming the field or 502', async () => {
    const user = await signUp(t.http);
    const rejected = await submitStatus(user.id, 'fake:reject');
    expect(rejected.status).toBe(400);
    expect(rejected.error!.getResponse()).toBeDefined();
    expect((rejected.error as any).details).toEqual([{ field: 'prompt', messages: ['The prompt was flagged by the safety filter (the 10 credits were refunded)'] }]);

    const refused = await submitStatus(user.id, 'fake:refuse');
    expect(refused.status).toBe(502);
    expect(refused.error!.message).toBe('Fake provider refused the request: Invalid API key (the 10 credits were refunded)');

    expect(await balance(user.token)).toBe(100);
    const tasks = await sql(`SELECT id, status, error, error_code FROM generation_tasks WHERE user_id = $1 ORDER BY created_at`, [user.id]);
    expect(tasks.map((row) => row.status)).toEqual(['failed', 'failed']);
    expect(tasks.map((row) => row.error_code)).toEqual(['rejected', 'refused']);
    expect(tasks[1].error).toBe('Fake provider: Invalid API key');
    for (const row of tasks) expect(await ledgerFor(row.id)).toEqual([{ kind: 'charge', delta: -10 }, { kind: 'refund', delta: 10 }]);
  });

  it("fails and refunds once when the provider's job fails, or finishes without results", async () => {
    const user = await signUp(t.http);
    const failed = await submit(user.id, 'fake:fail');
    const empty = await submit(user.id, 'fake:empty');
    expect(await waitForTask(user.token, failed.id)).toMatchObject({ status: 'failed', error: 'Fake provider: The model could not draw this', errorCode: 'failed' });
    expect(await waitForTask(user.token, empty.id)).toMatchObject({ status: 'failed', error: 'Fake provider finished without returning any result', errorCode: 'no_output' });
    expect(await balance(user.token)).toBe(100);
    expect(await ledgerFor(failed.id)).toEqual([{ kind: 'charge', delta: -10 }, { kind: 'refund', delta: 10 }]);
  });

  it('keeps polling through 429, 5xx, garbage and timeouts, never failing for them', async () => {
    const user = await signUp(t.http);
    provider.faults.poll.push('429', '500', 'garbage', 'hang', '429', 'garbage');
    const task = await submit(user.id, 'hiccups');
    const done = await waitForTask(user.token, task.id);
    expect(done.status).toBe('succeeded');
    expect(provider.faults.poll).toEqual([]);
    const [row] = await sql(`SELECT attempts, provider_state FROM generation_tasks WHERE id = $1`, [task.id]);
    expect(row.attempts).toBeGreaterThanOrEqual(7);
  });

  it('retries a transient submission failure in the background', async () => {
    const user = await signUp(t.http);
    provider.faults.submit.push('500', '429');
    const task = await submit(user.id, 'second time lucky');
    expect(task.status).toBe('pending');
    expect(await waitForTask(user.token, task.id)).toMatchObject({ status: 'succeeded' });
  });

  it('retries storing results until the deadline, then fails with the storage error and refunds', async () => {
    const user = await signUp(t.http);
    adapter.settings.deadlineSeconds = 2;
    const task = await submit(user.id, 'fake:broken-image');
    const fileRequests = provider.counts.file;
    const done = await waitForTask(user.token, task.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^Storing the results failed: /);
    expect(done.errorCode).toBe('storage');
    expect(provider.counts.file - fileRequests).toBeGreaterThanOrEqual(2);
    expect(await balance(user.token)).toBe(100);
    expect(await ledgerFor(task.id)).toEqual([{ kind: 'charge', delta: -10 }, { kind: 'refund', delta: 10 }]);
  });

  it('stores a result that failed to store once when it is retried', async () => {
    const user = await signUp(t.http);
    provider.faults.file.push('500');
    const task = await submit(user.id, 'flaky cdn');
    const done = await waitForTask(user.token, task.id);
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toHaveLength(1);
    expect(await sql(`SELECT status FROM media_files WHERE source_task_id = $1`, [task.id])).toEqual([{ status: 'stored' }]);
  });

  it('keeps the results when an instance whose lease ran out finishes storing after the one that took over', async () => {
    const user = await signUp(t.http);
    const task = await submit(user.id, 'handed over');
    const done = await waitForTask(user.token, task.id);
    expect(done.status).toBe('succeeded');
    // The slow instance's view: still running, its outputs fetched but (it believes) not yet stored.
    const stale = await t.app.get(DataSource).getRepository(GenerationTask).findOneByOrFail({ id: task.id });
    Object.assign(stale, { status: TaskStatus.Running, finishedAt: null, providerState: { ...stale.providerState, pendingOutputs: { outputs: [{ url: `${provider.url}/gone.png` }] } } });
    await t.app.get(TaskEngine).process(stale);
    // It lost the race to the end, but the records it shares with the winner are the task's results.
    expect(await sql(`SELECT status FROM media_files WHERE source_task_id = $1`, [task.id])).toEqual([{ status: 'stored' }]);
    const after = await waitForTask(user.token, task.id);
    expect(after.outputs).toHaveLength(1);
    await t.http.get(after.outputs[0].url).expect(200);
  });

  it('fails, refunds and cancels at the provider a task past its deadline', async () => {
    const user = await signUp(t.http);
    adapter.settings.deadlineSeconds = 1;
    const cancels = provider.counts.cancel;
    const task = await submit(user.id, 'fake:slow');
    const done = await waitForTask(user.token, task.id);
    expect(done).toMatchObject({ status: 'failed', error: 'Fake provider did not finish within 1 second', errorCode: 'timed_out' });
    expect(await balance(user.token)).toBe(100);
    expect(provider.counts.cancel).toBe(cancels + 1);
  });

  it('keeps to the provider concurrency limit; waiting tasks start as slots free up', async () => {
    const user = await signUp(t.http);
    adapter.settings.maxConcurrentTasks = 2;
    provider.stats.maxActive = 0;
    // Jobs of 4 s: the first two are still running when the last of the five is submitted, even on
    // a loaded machine (with the default 60 ms, a freed slot could go to a later submission).
    const tasks = await Promise.all([1, 2, 3, 4, 5].map((n) => submit(user.id, `limited ${n} fake:run=4000`)));
    expect(tasks.filter((task) => task.status === 'pending')).toHaveLength(3);
    for (const task of tasks) expect((await waitForTask(user.token, task.id)).status).toBe('succeeded');
    expect(provider.stats.maxActive).toBe(2);
  });

  describe('cancel', () => {
    it('cancels a task that never reached the provider and refunds it in full', async () => {
      const user = await signUp(t.http);
      adapter.settings.maxConcurrentTasks = 0;
      const task = await submit(user.id, 'waiting');
      expect(task.status).toBe('pending');
      const response = await t.http.post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(user.token)).expect(200);
      expect(response.body).toMatchObject({ refunded: 10, message: 'Canceled before it started; 10 credits were refunded', task: { status: 'canceled' } });
      expect(await balance(user.token)).toBe(100);
      const again = await t.http.post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(user.token)).expect(409);
      expect(again.body.message).toBe('The task has already been canceled');
    });

    it('cancels a queued task at the provider and refunds it; a running one is canceled without refund', async () => {
      const user = await signUp(t.http);
      const slow = await submit(user.id, 'fake:slow');
      await waitForTask(user.token, slow.id, (task) => task.status === 'running');
      // Started: the provider bills it, so the cancel asks first and the job keeps running.
      const cancels = provider.counts.cancel;
      const asked = await t.http.post(`/api/v1/tasks/${slow.id}/cancel`).set(bearer(user.token)).expect(409);
      expect(asked.body).toMatchObject({ errorCode: 'cancel_not_refunded', message: expect.stringMatching(/will not refund its 10 credits/) });
      expect(provider.counts.cancel).toBe(cancels);
      expect((await t.http.get(`/api/v1/tasks/${slow.id}`).set(bearer(user.token)).expect(200)).body.status).toBe('running');
      await t.http.post(`/api/v1/tasks/${slow.id}/cancel`).set(bearer(user.token)).send({ acceptLoss: 'yes' }).expect(400);
      const running = await t.http.post(`/api/v1/tasks/${slow.id}/cancel`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);
      expect(running.body).toMatchObject({ refunded: 0, task: { status: 'canceled', error: 'Canceled while running' } });
      expect(running.body.message).toBe('Canceled at Fake provider; it had already started, so the 10 credits are not refunded');
      expect([...provider.jobs.values()].filter((job) => job.prompt === 'fake:slow').at(-1)!.canceled).toBe(true);

      const queued = await submit(user.id, 'fake:queued');
      await waitForTask(user.token, queued.id, (task) => task.status === 'queued');
      const early = await t.http.post(`/api/v1/tasks/${queued.id}/cancel`).set(bearer(user.token)).expect(200);
      expect(early.body).toMatchObject({ refunded: 10, task: { status: 'canceled' } });
      expect(await balance(user.token)).toBe(90);
      expect(await ledgerFor(queued.id)).toEqual([{ kind: 'charge', delta: -10 }, { kind: 'refund', delta: 10 }]);
    });

    it('answers 409 for a finished task and 404 for somebody else’s', async () => {
      const user = await signUp(t.http);
      const other = await signUp(t.http);
      const task = await submit(user.id, 'quick');
      await waitForTask(user.token, task.id);
      const finished = await t.http.post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(user.token)).expect(409);
      expect(finished.body.message).toBe('The task has already succeeded');
      await t.http.post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(other.token)).expect(404);
      await t.http.get(`/api/v1/tasks/${task.id}`).set(bearer(other.token)).expect(404);
      const bad = await t.http.get('/api/v1/tasks/not-a-uuid').set(bearer(user.token)).expect(400);
      expect(bad.body.details[0].field).toBe('id');
    });
  });

  it('leases a slot in one database call: counts jobs at the provider and tasks being submitted, never takes another instance’s lease', async () => {
    const user = await signUp(t.http);
    // A provider no module registers: the engine leaves these rows alone.
    const insert = async (status: string, owner: string | null = null, leaseSeconds: number | null = null): Promise<string> => {
      const [row] = await sql(
        `INSERT INTO generation_tasks (id, user_id, provider, model, kind, action, status, input, cost, deadline_at, next_poll_at, lease_owner, lease_until)
         VALUES (gen_random_uuid(), $1, 'slot-test', 'm', 'image', 'text-to-image', $2::task_status, '{}', 0, now() + interval '1 hour', now() + interval '1 hour',
                 $3, CASE WHEN $4::int IS NULL THEN NULL ELSE now() + make_interval(secs => $4::int) END)
         RETURNING id`,
        [user.id, status, owner, leaseSeconds],
      );
      return row.id;
    };
    const lease = async (id: string, owner: string, slots: number): Promise<boolean> => (await sql('SELECT lease_task_slot($1, $2, 60, $3) AS leased', [id, owner, slots]))[0].leased;
    const state = async (id: string) => (await sql('SELECT lease_owner, lease_until IS NOT NULL AS leased, next_poll_at <= now() AS due, attempts FROM generation_tasks WHERE id = $1', [id]))[0];
    try {
      await insert('running');
      await insert('queued');
      await insert('pending'); // waiting for a slot: holds none
      await insert('pending', 'other-instance', 60); // being submitted by another instance: holds one
      await insert('pending', 'dead-instance', -5); // its instance died mid-submission: holds none
      const mine = await insert('pending', 'me', 60);
      expect(await lease(mine, 'me', 4)).toBe(true);
      expect(await state(mine)).toEqual({ lease_owner: 'me', leased: true, due: false, attempts: 1 });

      // Four slots are taken now: the next one gives its lease up and is due for the engine.
      const next = await insert('pending', 'me', 60);
      expect(await lease(next, 'me', 4)).toBe(false);
      expect(await state(next)).toEqual({ lease_owner: null, leased: false, due: true, attempts: 0 });

      // Taken over meanwhile (its lease ran out and the engine claimed it): left as it is.
      const taken = await insert('pending', 'engine-instance', 60);
      expect(await lease(taken, 'me', 100)).toBe(false);
      expect(await state(taken)).toMatchObject({ lease_owner: 'engine-instance', leased: true });
    } finally {
      await sql(`DELETE FROM generation_tasks WHERE provider = 'slot-test'`);
    }
  });

  it('moves a task into a terminal status once, however many try at the same time', async () => {
    const user = await signUp(t.http);
    adapter.settings.maxConcurrentTasks = 0;
    const task = await submit(user.id, 'raced');
    const transitions = t.app.get(TaskTransitions);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => transitions.finish(task.id, i % 2 ? TaskStatus.Failed : TaskStatus.Canceled, { refund: true, error: `attempt ${i}` })),
    );
    expect(outcomes.filter((outcome) => outcome.won)).toHaveLength(1);
    expect(outcomes.reduce((sum, outcome) => sum + outcome.refunded, 0)).toBe(10);
    expect(await balance(user.token)).toBe(100);
    // A finished task never changes again, and a second refund is refused by the database itself.
    expect((await transitions.finish(task.id, TaskStatus.Succeeded, { refund: false })).won).toBe(false);
    await expect(sql(`INSERT INTO credit_ledger (user_id, delta, balance_after, kind, task_id, reason) VALUES ($1, 10, 110, 'refund', $2, 'again')`, [user.id, task.id])).rejects.toThrow(/UQ_credit_ledger_task_refund/);
  });

  it('accepts exactly as many of 200 parallel submissions as the balance pays for', async () => {
    const user = await signUp(t.http);
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: 900, reason: 'for 100 tasks' }).expect(200);
    adapter.settings.maxConcurrentTasks = 0;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => submitStatus(user.id, `parallel ${i}`)));
    expect(results.filter((result) => result.status === 201)).toHaveLength(100);
    expect(results.filter((result) => result.status === 402)).toHaveLength(100);
    expect(await balance(user.token)).toBe(0);
    const [{ count }] = await sql(`SELECT count(*)::int AS count FROM generation_tasks WHERE user_id = $1`, [user.id]);
    expect(count).toBe(100);
    const [{ sum }] = await sql(`SELECT sum(delta)::int AS sum FROM credit_ledger WHERE user_id = $1`, [user.id]);
    expect(sum).toBe(0);
    await sql(`UPDATE generation_tasks SET status = 'canceled' WHERE user_id = $1`, [user.id]);
  });

  describe('webhooks', () => {
    it('makes a task due now with the right token, and is 404 otherwise without changing anything', async () => {
      const user = await signUp(t.http);
      const task = await submit(user.id, 'called back');
      // Parks the task as if the provider were slow, at a moment no instance is polling it.
      while ((await sql(`UPDATE generation_tasks SET next_poll_at = now() + interval '1 hour' WHERE id = $1 AND lease_owner IS NULL RETURNING id`, [task.id])).length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await waitForTask(user.token, task.id, () => true)).status).not.toBe('succeeded');
      const token = t.app.get(TaskEngine).webhookToken(task.id);
      await t.http.post(`/api/v1/webhooks/fake/${task.id}?token=${token.slice(0, -2)}xx`).send({}).expect(404);
      await t.http.post(`/api/v1/webhooks/fake/${task.id}`).send({}).expect(400);
      await t.http.post(`/api/v1/webhooks/other/${task.id}?token=${token}`).send({}).expect(404);
      await t.http.post(`/api/v1/webhooks/fake/not-a-task?token=${token}`).send({}).expect(404);
      const [untouched] = await sql(`SELECT next_poll_at > now() + interval '50 minutes' AS later FROM generation_tasks WHERE id = $1`, [task.id]);
      expect(untouched.later).toBe(true);

      const accepted = await t.http.post(`/api/v1/webhooks/fake/${task.id}?token=${token}`).send({ status: 'OK' }).expect(200);
      expect(accepted.body).toEqual({ accepted: true });
      expect((await waitForTask(user.token, task.id, undefined, 5000)).status).toBe('succeeded');
      const late = await t.http.post(`/api/v1/webhooks/fake/${task.id}?token=${token}`).send({}).expect(200);
      expect(late.body).toEqual({ accepted: false });
    });

    it('gives providers a tokened callback URL under PUBLIC_URL', () => {
      const engine = t.app.get(TaskEngine);
      const id = '5d0c2f8e-6a43-4d3c-9a43-2c3f5a3f1e11';
      expect(engine.webhookUrl('fake', id)).toBe(`https://atelier.example.com/api/v1/webhooks/fake/${id}?token=${engine.webhookToken(id)}`);
    });
  });

  describe('live events', () => {
    /** Opens the stream and collects its events until `stop` says so. */
    const stream = (path: string, headers: Record<string, string> = {}) => {
      const events: Array<{ id: string; data: any }> = [];
      let resolveStatus: (status: number) => void;
      const status = new Promise<number>((resolve) => (resolveStatus = resolve));
      const request = http.get(`${t.baseUrl}${path}`, { headers }, (response) => {
        resolveStatus(response.statusCode!);
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (id && data) events.push({ id, data: JSON.parse(data) });
          }
        });
      });
      request.on('error', () => undefined);
      return { events, status, close: () => request.destroy() };
    };

    const waitForEvent = async (events: Array<{ data: any }>, match: (data: any) => boolean) => {
      const started = Date.now();
      while (!events.some((event) => match(event.data))) {
        if (Date.now() - started > 10_000) throw new Error(`no matching event among ${JSON.stringify(events.map((e) => e.data.status))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return events.find((event) => match(event.data))!;
    };

    let listening: TestApp;
    beforeAll(async () => {
      // The stream needs a real port; the same database and engine, the same fake provider.
      listening = await startTestApp({
        database: t.database,
        listen: true,
        env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150', FETCH_ALLOWLIST: `${provider.url}/` },
        beforeInit: (app) => app.get(ProviderRegistry).register(createFakeAdapter(provider.url, { ProviderError })),
      });
      t.baseUrl = listening.baseUrl;
    });
    afterAll(() => listening?.close());

    it('streams my task changes up to the final state, and resumes after a reconnect', async () => {
      const user = await signUp(t.http);
      const other = await signUp(t.http);
      const { body: token } = await t.http.post('/api/v1/tasks/events/token').set(bearer(user.token)).expect(200);
      expect(token.expiresIn).toBe(60);
      const { body: otherToken } = await t.http.post('/api/v1/tasks/events/token').set(bearer(other.token)).expect(200);
      const mine = stream(`/api/v1/tasks/events?token=${encodeURIComponent(token.token)}`);
      const theirs = stream(`/api/v1/tasks/events?token=${encodeURIComponent(otherToken.token)}`);
      expect(await mine.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));

      const task = await submit(user.id, 'watched fake:images=1');
      const final = await waitForEvent(mine.events, (data) => data.id === task.id && data.status === 'succeeded');
      expect(final.data.outputs).toHaveLength(1);
      expect(mine.events.length).toBeGreaterThanOrEqual(2);
      // Progress only moves forward through the stream's ids.
      const ids = mine.events.map((event) => Number(event.id));
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      mine.close();
      expect(theirs.events).toEqual([]);
      theirs.close();

      // While disconnected, another task finishes; resuming from the last id delivers it.
      const lastId = mine.events.at(-1)!.id;
      const missed = await submit(user.id, 'missed');
      await waitForTask(user.token, missed.id);
      const { body: fresh } = await t.http.post('/api/v1/tasks/events/token').set(bearer(user.token)).expect(200);
      const resumed = stream(`/api/v1/tasks/events?token=${encodeURIComponent(fresh.token)}`, { 'Last-Event-ID': lastId });
      expect((await waitForEvent(resumed.events, (data) => data.id === missed.id)).data.status).toBe('succeeded');
      resumed.close();
    });

    it('starts a fresh stream with my unfinished tasks', async () => {
      const user = await signUp(t.http);
      const slow = await submit(user.id, 'fake:slow');
      const { body: token } = await t.http.post('/api/v1/tasks/events/token').set(bearer(user.token)).expect(200);
      const opened = stream(`/api/v1/tasks/events?token=${encodeURIComponent(token.token)}`);
      expect((await waitForEvent(opened.events, (data) => data.id === slow.id)).data.status).not.toBe('succeeded');
      opened.close();
      await t.http.post(`/api/v1/tasks/${slow.id}/cancel`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);
      // One that ended just before the stream opened comes too: a page may have read it still running.
      const { body: again } = await t.http.post('/api/v1/tasks/events/token').set(bearer(user.token)).expect(200);
      const reopened = stream(`/api/v1/tasks/events?token=${encodeURIComponent(again.token)}`);
      expect((await waitForEvent(reopened.events, (data) => data.id === slow.id)).data.status).toBe('canceled');
      reopened.close();
    });

    it('refuses a missing, forged or expired token', async () => {
      const user = await signUp(t.http);
      const { body: token } = await t.http.post('/api/v1/tasks/events/token').set(bearer(user.token)).expect(200);
      const [userId, expires] = token.token.split('.');
      await t.http.get('/api/v1/tasks/events').expect(400);
      const forged = await t.http.get(`/api/v1/tasks/events?token=${userId}.${Number(expires) + 60_000}.${token.token.split('.')[2]}`).expect(401);
      expect(forged.body.message).toMatch(/invalid or expired/);
      await t.http.get(`/api/v1/tasks/events?token=${userId}.${Date.now() - 1}.AAAA`).expect(401);
      await t.http.post('/api/v1/tasks/events/token').expect(401);
    });
  });

  describe('history', () => {
    it('lists my generations newest first with filters and cursor paging, and deletes finished ones with their files', async () => {
      const user = await signUp(t.http);
      const other = await signUp(t.http);
      const first = await submit(user.id, 'first');
      const second = await submit(user.id, 'fake:fail');
      const third = await submit(user.id, 'third');
      await submit(other.id, 'not mine');
      for (const task of [first, second, third]) await waitForTask(user.token, task.id);

      const page1 = await t.http.get('/api/v1/history?limit=2').set(bearer(user.token)).expect(200);
      expect(page1.body.items.map((item: any) => item.id)).toEqual([third.id, second.id]);
      const page2 = await t.http.get(`/api/v1/history?limit=2&cursor=${page1.body.nextCursor}`).set(bearer(user.token)).expect(200);
      expect(page2.body).toMatchObject({ items: [{ id: first.id, status: 'succeeded', cost: 10, parameters: { prompt: 'first' } }], nextCursor: null });
      expect(page2.body.items[0].outputs[0].url).toMatch(/^\/media\//);

      const failed = await t.http.get('/api/v1/history?status=failed&source=fake&kind=image').set(bearer(user.token)).expect(200);
      expect(failed.body.items.map((item: any) => item.id)).toEqual([second.id]);
      expect((await t.http.get('/api/v1/history?source=kling').set(bearer(user.token)).expect(200)).body.items).toEqual([]);
      const bad = await t.http.get('/api/v1/history?status=done&cursor=nope').set(bearer(user.token)).expect(400);
      expect(bad.body.details.map((detail: any) => detail.field)).toEqual(['status']);
      expect((await t.http.get('/api/v1/history?cursor=nope').set(bearer(user.token)).expect(400)).body.details[0].field).toBe('cursor');

      const output = page2.body.items[0].outputs[0];
      await t.http.delete(`/api/v1/history/${first.id}`).set(bearer(other.token)).expect(404);
      await t.http.delete(`/api/v1/history/${first.id}`).set(bearer(user.token)).expect(204);
      await t.http.get(`/api/v1/tasks/${first.id}`).set(bearer(user.token)).expect(404);
      await t.http.get(`/api/v1/files/generated/${output.id}`).set(bearer(user.token)).expect(404);
      await t.http.get(output.url).expect(404);
      expect(await ledgerFor(first.id)).toEqual([{ kind: 'charge', delta: -10 }]);
    });

    it('pages through tasks created within the same millisecond without skipping or repeating any', async () => {
      const user = await signUp(t.http);
      await sql(
        `INSERT INTO generation_tasks (id, user_id, provider, model, kind, action, status, prompt, input, cost, deadline_at, created_at)
         SELECT gen_random_uuid(), $1, 'fake', 'fake-1', 'image', 'text-to-image', 'succeeded', 'burst ' || i, '{}', 0, now(),
                '2026-01-01T00:00:00.123456Z'::timestamptz + i * interval '150 microseconds'
           FROM generate_series(1, 40) AS i`,
        [user.id],
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await t.http.get('/api/v1/history').query({ limit: 7, ...(cursor ? { cursor } : {}) }).set(bearer(user.token)).expect(200);
        seen.push(...page.body.items.map((item: any) => item.prompt));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(40);
      expect(new Set(seen).size).toBe(40);
    });

    it('refuses to delete a running task', async () => {
      const user = await signUp(t.http);
      const slow = await submit(user.id, 'fake:slow');
      const response = await t.http.delete(`/api/v1/history/${slow.id}`).set(bearer(user.token)).expect(409);
      expect(response.body.message).toBe('The task is still running: cancel it first, or wait until it finishes');
      await t.http.post(`/api/v1/tasks/${slow.id}/cancel`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);
      await t.http.delete(`/api/v1/history/${slow.id}`).set(bearer(user.token)).expect(204);
    });
  });

  describe('prices', () => {
    it('lists every model with its default, lets admins change it, and keeps a task’s price for its refund', async () => {
      const user = await signUp(t.http);
      const table = await t.http.get('/api/v1/admin/prices').set(bearer(admin.token)).expect(200);
      expect(table.body.prices.filter((row: any) => row.provider === 'flux')).toHaveLength(11);
      expect(table.body.prices.filter((row: any) => row.provider === 'fake')).toEqual([
        { provider: 'fake', providerName: 'Fake provider', model: 'fake-1', name: 'Fake One', nameZhCN: '假模型一', kind: 'image', price: 10, defaultPrice: 10, custom: false },
        { provider: 'fake', providerName: 'Fake provider', model: 'fake-free', name: 'Fake Free', nameZhCN: '免费假模型', kind: 'image', price: 0, defaultPrice: 0, custom: false },
      ]);
      await t.http.get('/api/v1/admin/prices').set(bearer(user.token)).expect(403);

      adapter.settings.maxConcurrentTasks = 0;
      const before = await submit(user.id, 'priced at 10');
      const saved = await t.http.put('/api/v1/admin/prices').set(bearer(admin.token)).send({ prices: [{ provider: 'fake', model: 'fake-1', price: 25 }] }).expect(200);
      expect(saved.body.prices[0]).toMatchObject({ model: 'fake-1', price: 25, custom: true });
      const after = await submit(user.id, 'priced at 25');
      expect([before.cost, after.cost]).toEqual([10, 25]);
      expect(await balance(user.token)).toBe(65);
      await t.http.post(`/api/v1/tasks/${before.id}/cancel`).set(bearer(user.token)).expect(200);
      expect(await balance(user.token)).toBe(75);

      const free = await submit(user.id, 'free', 'fake-free');
      expect(free.cost).toBe(0);
      await t.http.post(`/api/v1/tasks/${free.id}/cancel`).set(bearer(user.token)).expect(200);
      await t.http.post(`/api/v1/tasks/${after.id}/cancel`).set(bearer(user.token)).expect(200);
      expect(await balance(user.token)).toBe(100);

      const reset = await t.http.put('/api/v1/admin/prices').set(bearer(admin.token)).send({ prices: [{ provider: 'fake', model: 'fake-1', price: null }] }).expect(200);
      expect(reset.body.prices[0]).toMatchObject({ price: 10, custom: false });
      for (const [change, field] of [
        [{ provider: 'nope', model: 'fake-1', price: 1 }, 'prices.0.provider'],
        [{ provider: 'fake', model: 'nope', price: 1 }, 'prices.0.model'],
        [{ provider: 'fake', model: 'fake-1', price: -1 }, 'prices.0.price'],
        [{ provider: 'fake', model: 'fake-1', price: 1.5 }, 'prices.0.price'],
      ] as const) {
        const bad = await t.http.put('/api/v1/admin/prices').set(bearer(admin.token)).send({ prices: [change] }).expect(400);
        expect(bad.body.details[0].field).toBe(field);
      }
    });
  });
});
