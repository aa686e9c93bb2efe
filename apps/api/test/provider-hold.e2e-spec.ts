import { MediaKind, MediaSource } from '../src/modules/storage/media-file.entity.js';
import { type AdapterTask, type ProviderAdapter, ProviderError } from '../src/modules/scheduler/provider-adapter.js';
import { ProviderRegistry } from '../src/modules/scheduler/provider-registry.js';
import { TaskEngine } from '../src/modules/scheduler/task-engine.service.js';
import { TasksService } from '../src/modules/scheduler/tasks.service.js';
import { bearer, signUp, startTestApp, type TestApp } from './test-app.js';

const HOLD_MS = 1500;

/** A provider that refuses its first submission with "hold me" (as Volcengine's 50430), then takes everything. */
function holdingAdapter() {
  const submits: Array<{ prompt: string; at: number }> = [];
  let refused = false;
  const adapter: ProviderAdapter = {
    provider: 'holding',
    displayName: 'Holding',
    mediaSource: MediaSource.Upload,
    models: () => [{ model: 'm', kind: MediaKind.Image, defaultPrice: 1, name: { en: 'M', zhCN: 'M' } }],
    limits: async () => ({ enabled: true, maxConcurrentTasks: 100 }),
    submit: async (task: AdapterTask) => {
      submits.push({ prompt: String(task.input.prompt), at: Date.now() });
      if (!refused) {
        refused = true;
        throw new ProviderError('transient', 'concurrency used up', { retryAfterMs: HOLD_MS, holdProviderMs: HOLD_MS });
      }
      return { status: 'succeeded', outputs: [], result: { ok: true } };
    },
    poll: async () => ({ status: 'running' }),
  };
  return { adapter, submits };
}

describe('a provider hold (holdProviderMs)', () => {
  let t: TestApp;
  const holding = holdingAdapter();

  beforeAll(async () => {
    t = await startTestApp({
      env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '5000' },
      beforeInit: (app) => app.get(ProviderRegistry).register(holding.adapter),
    });
  });
  afterAll(() => t?.close());

  const submit = (userId: string, prompt: string) => t.app.get(TasksService).submit(userId, { provider: 'holding', model: 'm', kind: MediaKind.Image, action: 'text-to-image', prompt, input: { prompt } });
  const query = (sql: string, parameters: unknown[] = []) => t.app.get(TaskEngine)['dataSource'].query(sql, parameters);

  it('keeps the refused task and every new one pending until the hold (kept in the database, where every instance looks) ends, then submits them', async () => {
    const user = await signUp(t.http);
    const first = await submit(user.id, 'first');
    expect(first.status).toBe('pending');
    const [hold] = await query(`SELECT held_until FROM provider_holds WHERE provider = 'holding'`);
    expect(hold).toBeDefined();
    const heldUntil = new Date(hold.held_until).getTime();
    // A submission during the hold is not sent: it waits, pending, due when the hold ends.
    const second = await submit(user.id, 'second');
    expect(second.status).toBe('pending');
    const [row] = await query(`SELECT next_poll_at, lease_owner FROM generation_tasks WHERE id = $1`, [second.id]);
    expect([new Date(row.next_poll_at).getTime() >= heldUntil - 5, row.lease_owner]).toEqual([true, null]);
    for (const id of [first.id, second.id]) {
      const started = Date.now();
      for (;;) {
        const { body } = await t.http.get(`/api/v1/tasks/${id}`).set(bearer(user.token)).expect(200);
        if (body.status === 'succeeded') break;
        expect(body.status).toBe('pending');
        if (Date.now() - started > 10_000) throw new Error(`task ${id} still ${body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    }
    // One refused call, then nothing before the hold ended; the refusal failed nothing and charged nothing back.
    expect(holding.submits.map((call) => call.prompt).sort()).toEqual(['first', 'first', 'second']);
    for (const call of holding.submits.slice(1)) expect(call.at).toBeGreaterThanOrEqual(heldUntil - 50);
  });
});
