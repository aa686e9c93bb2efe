import { MediaKind, MediaSource } from '../src/modules/storage/media-file.entity.js';
import type { AdapterTask, ProviderAdapter, ProviderUpdate } from '../src/modules/scheduler/provider-adapter.js';
import { ProviderRegistry } from '../src/modules/scheduler/provider-registry.js';
import { TaskEngine } from '../src/modules/scheduler/task-engine.service.js';
import { TasksService } from '../src/modules/scheduler/tasks.service.js';
import { bearer, signUp, startTestApp, type TestApp } from './test-app.js';

/** A provider whose answers the test decides: each poll takes the next answer of its task (or waits for one). */
function scriptedAdapter(provider: string, options: { batch?: boolean } = {}) {
  const answers = new Map<string, Array<ProviderUpdate | (() => Promise<ProviderUpdate>)>>();
  const calls = { poll: 0, pollMany: 0, pollManyTasks: 0 };
  const next = async (task: AdapterTask): Promise<ProviderUpdate> => {
    const queue = answers.get(String(task.input.prompt)) ?? [];
    const answer = queue.length > 1 ? queue.shift()! : queue[0];
    if (!answer) return { status: 'running' };
    return typeof answer === 'function' ? answer() : answer;
  };
  const adapter: ProviderAdapter = {
    provider,
    displayName: provider,
    mediaSource: MediaSource.Upload,
    models: () => [{ model: 'm', kind: MediaKind.Image, defaultPrice: 1, name: { en: 'M', zhCN: 'M' } }],
    limits: async () => ({ enabled: true, maxConcurrentTasks: 100 }),
    submit: async () => ({ status: 'running', providerState: { at: 'provider' } }),
    poll: async (task) => {
      calls.poll++;
      return next(task);
    },
    ...(options.batch
      ? {
          pollMany: async (tasks: AdapterTask[]) => {
            calls.pollMany++;
            calls.pollManyTasks += tasks.length;
            const result = new Map<string, ProviderUpdate | Error>();
            // Tasks whose prompt says "unlisted" are left out, as list-by-condition leaves out ids it does not know.
            for (const task of tasks) if (!String(task.input.prompt).startsWith('unlisted')) result.set(task.id, await next(task));
            return result;
          },
        }
      : {}),
  };
  return { adapter, answers, calls };
}

describe('task engine extensions', () => {
  let t: TestApp;
  const gated = scriptedAdapter('gated');
  const batched = scriptedAdapter('batched', { batch: true });

  beforeAll(async () => {
    t = await startTestApp({
      // With PUBLIC_URL polls are minutes apart here: only webhooks make tasks due.
      env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '60000', TASK_POLL_MAX_MS: '600000', PUBLIC_URL: 'https://atelier.example.com' },
      beforeInit: (app) => {
        app.get(ProviderRegistry).register(gated.adapter);
        app.get(ProviderRegistry).register(batched.adapter);
      },
    });
  });
  afterAll(() => t?.close());

  const submit = (userId: string, provider: string, prompt: string) =>
    t.app.get(TasksService).submit(userId, { provider, model: 'm', kind: MediaKind.Image, action: 'text-to-image', prompt, input: { prompt } });
  const poke = (provider: string, id: string) => t.http.post(`/api/v1/webhooks/${provider}/${id}?token=${t.app.get(TaskEngine).webhookToken(id)}`).send({}).expect(200);
  const waitFor = async (token: string, id: string, until: (task: any) => boolean, timeoutMs = 5000) => {
    const started = Date.now();
    for (;;) {
      const { body } = await t.http.get(`/api/v1/tasks/${id}`).set(bearer(token)).expect(200);
      if (until(body)) return body;
      if (Date.now() - started > timeoutMs) throw new Error(`task ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('does not lose a webhook that arrives while the task is being polled', async () => {
    const user = await signUp(t.http);
    let release!: () => void;
    let polling!: () => void;
    const pollStarted = new Promise<void>((resolve) => (polling = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    gated.answers.set('poked while polled', [
      async () => {
        polling();
        await gate;
        return { status: 'running', progress: 50 };
      },
      { status: 'succeeded', outputs: [], result: { note: 'done' } },
    ]);
    const task = await submit(user.id, 'gated', 'poked while polled');
    await poke('gated', task.id);
    await pollStarted;
    // The provider calls again while our poll is out; that poll's answer must not push this call back a minute.
    await poke('gated', task.id);
    release();
    const done = await waitFor(user.token, task.id, (current) => current.status === 'succeeded');
    // A text result alone is a success.
    expect(done).toMatchObject({ outputs: [], result: { note: 'done' } });
  });

  it('asks a batch-polling provider once for many tasks, and polls alone a task its answer leaves out', async () => {
    const user = await signUp(t.http);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      batched.answers.set(`listed ${i}`, [{ status: 'succeeded', outputs: [], result: { i } }]);
      ids.push((await submit(user.id, 'batched', `listed ${i}`)).id);
    }
    batched.answers.set('unlisted', [{ status: 'succeeded', outputs: [], result: { alone: true } }]);
    ids.push((await submit(user.id, 'batched', 'unlisted')).id);
    const before = { ...batched.calls };
    // Every task falls due at once (as if a tick found them all due).
    await t.app.get(TaskEngine)['dataSource'].query(`UPDATE generation_tasks SET next_poll_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
    for (const id of ids) await waitFor(user.token, id, (current) => current.status === 'succeeded');
    expect(batched.calls.pollMany - before.pollMany).toBe(1);
    expect(batched.calls.pollManyTasks - before.pollManyTasks).toBe(6);
    expect(batched.calls.poll - before.poll).toBe(1);
  });
});
