import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeProvider, startFakeProvider } from './fixtures/fake-provider.mjs';
import { createTestDatabase, TEST_APP_SECRET, type TestDatabase, queryDatabase } from './test-app.js';

const TASKS = 300;
const INSTANCE_SCRIPT = fileURLToPath(new URL('./fixtures/engine-instance.mjs', import.meta.url));

/**
 * Three app processes on one database share 300 tasks while one of them is killed with SIGKILL
 * mid-run: every task must end exactly once, every output be stored once, the ledger balance to
 * the credit, and nothing stay unfinished.
 */
describe('task engine across instances', () => {
  let database: TestDatabase;
  let provider: FakeProvider;
  let dataDir: string;
  const instances: Array<{ child: ChildProcess; url: string }> = [];

  const sql = (query: string, params: unknown[] = []) => queryDatabase(database, query, params);

  const startInstance = async () => {
    const child = fork(INSTANCE_SCRIPT, [], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        NODE_ENV: 'test',
        DATABASE_URL: database.url,
        DATA_DIR: dataDir,
        APP_SECRET: TEST_APP_SECRET,
        LOG_LEVEL: 'silent',
        SANDBOX: 'false',
        FAKE_PROVIDER_URL: provider.url,
        FETCH_ALLOWLIST: `${provider.url}/`,
        TASK_TICK_MS: '50',
        TASK_POLL_MIN_MS: '50',
        TASK_POLL_MAX_MS: '300',
        TASK_LEASE_SECONDS: '2',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: { port: number }) => resolve(message.port));
      child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
    });
    instances.push({ child, url: `http://127.0.0.1:${port}` });
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'atelier-multi-'));
    // Long enough that all 300 are in flight before the kill; slow downloads keep leases held.
    provider = await startFakeProvider({ queueMs: 1500, runMs: 500, fileDelayMs: 150 });
    // Records every move into or out of a terminal status, whoever makes it.
    await sql(`
      CREATE TABLE test_task_endings (task_id uuid, from_status text, to_status text, at timestamptz DEFAULT clock_timestamp());
      CREATE FUNCTION test_record_ending() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IN ('succeeded', 'failed', 'canceled') OR OLD.status IN ('succeeded', 'failed', 'canceled') THEN
          INSERT INTO test_task_endings (task_id, from_status, to_status) VALUES (NEW.id, OLD.status, NEW.status);
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_record_ending AFTER UPDATE OF status ON generation_tasks
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION test_record_ending();
    `);
    await Promise.all([startInstance(), startInstance(), startInstance()]);
  }, 120_000);

  afterAll(async () => {
    for (const { child } of instances) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(instances.map(({ child }) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null)));
    await provider?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs 300 tasks to one end each while an instance is killed', async () => {
    const [first] = instances;
    const signUp = async (email: string) => {
      const response = await fetch(`${first.url}/api/v1/auths/signup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: email, email, password: 'password-123' }),
      });
      return (await response.json()) as { token: string; user: { id: string } };
    };
    const admin = await signUp('admin@example.com');
    const user = await signUp('user@example.com');
    // 300 tasks at 10 credits: 3,000 credits, of which the sign-up grant gave 100.
    const grant = await fetch(`${first.url}/api/v1/admin/credits/grant`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ userId: user.user.id, amount: 2900, reason: 'load test' }),
    });
    expect(grant.status).toBe(200);

    const submit = async (index: number) => {
      const instance = instances[index % instances.length];
      const response = await fetch(`${instance.url}/test/submit`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId: user.user.id, prompt: `task ${index}` }),
      });
      return response.status;
    };
    const statuses: number[] = [];
    for (let batch = 0; batch < TASKS; batch += 30) {
      statuses.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => submit(batch + i)))));
    }
    expect(statuses.filter((status) => status !== 201)).toEqual([]);

    // Kill one instance in the middle of the run, with work leased and in flight.
    let leased = 0;
    for (;;) {
      const [{ done }] = await sql(`SELECT count(*)::int AS done FROM generation_tasks WHERE status = 'succeeded'`);
      const [{ held }] = await sql(`SELECT count(*)::int AS held FROM generation_tasks WHERE lease_owner LIKE $1 AND lease_until > now()`, [`%:${instances[0].child.pid}:%`]);
      if (done >= TASKS / 4 && held > 0) {
        leased = held;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    instances[0].child.kill('SIGKILL');

    // Wait until nothing is left unfinished.
    const started = Date.now();
    for (;;) {
      const [{ active }] = await sql(`SELECT count(*)::int AS active FROM generation_tasks WHERE status IN ('pending', 'submitted', 'queued', 'running')`);
      if (active === 0) break;
      if (Date.now() - started > 120_000) throw new Error(`${active} tasks still unfinished`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const tasks = await sql(`SELECT id, status, cost, error FROM generation_tasks`);
    expect(tasks).toHaveLength(TASKS);
    // The fake provider never fails: every task, including the killed instance's, succeeds.
    expect(tasks.filter((task) => task.status !== 'succeeded')).toEqual([]);

    // Each task ended exactly once and never left its end.
    const endings = await sql(`SELECT task_id, from_status, to_status FROM test_task_endings`);
    expect(endings.filter((ending) => ['succeeded', 'failed', 'canceled'].includes(ending.from_status))).toEqual([]);
    const endingsPerTask = new Map<string, number>();
    for (const ending of endings) endingsPerTask.set(ending.task_id, (endingsPerTask.get(ending.task_id) ?? 0) + 1);
    expect(endingsPerTask.size).toBe(tasks.length);
    expect([...endingsPerTask.values()].every((count) => count === 1)).toBe(true);

    // Each output stored once: one stored file per task, no leftovers.
    const files = await sql(`SELECT source_task_id, output_index, status, key FROM media_files WHERE source_task_id IS NOT NULL`);
    expect(files.filter((file) => file.status !== 'stored')).toEqual([]);
    expect(files).toHaveLength(tasks.length);
    expect(new Set(files.map((file) => file.source_task_id)).size).toBe(tasks.length);

    // The ledger balances to the credit: one charge per task, no refunds, and the account agrees.
    const [ledger] = await sql(
      `SELECT count(*) FILTER (WHERE kind = 'charge')::int AS charges, count(*) FILTER (WHERE kind = 'refund')::int AS refunds, sum(delta)::int AS total
         FROM credit_ledger WHERE user_id = $1`,
      [user.user.id],
    );
    const [{ balance }] = await sql(`SELECT balance FROM credit_accounts WHERE user_id = $1`, [user.user.id]);
    expect(ledger).toEqual({ charges: tasks.length, refunds: 0, total: 3000 - 10 * tasks.length });
    expect(balance).toBe(3000 - 10 * tasks.length);

    // The killed instance had work in hand, which the others took over.
    expect(leased).toBeGreaterThan(0);
    console.log(JSON.stringify({ tasks: tasks.length, leasedByKilledInstance: leased, providerJobs: provider.jobs.size }));
  }, 240_000);
});
