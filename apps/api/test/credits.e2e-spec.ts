import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CreditsService } from '../src/modules/credits/credits.service.js';
import { bearer, signUp, queryDatabase, startTestApp, type TestApp } from './test-app.js';

describe('credits', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;

  const sql = (query: string, params: unknown[] = []) => queryDatabase(t.database, query, params);

  beforeAll(async () => {
    t = await startTestApp();
    admin = await signUp(t.http);
  });
  afterAll(() => t.close());

  it('gives a new account 100 credits with a ledger entry', async () => {
    const user = await signUp(t.http);
    const credits = await t.http.get('/api/v1/credits').set(bearer(user.token)).expect(200);
    expect(credits.body).toEqual({
      balance: 100,
      recent: [{ id: expect.any(String), delta: 100, balanceAfter: 100, kind: 'grant', taskId: null, task: null, reason: 'Credits for a new account', createdAt: expect.any(String) }],
      topUpMessage: null,
    });
    // The system's reasons come in the language asked for.
    const zh = await t.http.get('/api/v1/credits/ledger').set(bearer(user.token)).set('Accept-Language', 'zh-CN').expect(200);
    expect(zh.body.items.map((entry: { reason: string }) => entry.reason)).toEqual(['新账户赠送积分']);
  });

  it('uses the sign-up grant setting', async () => {
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 5 }).expect(200);
    const five = await signUp(t.http);
    expect((await t.http.get('/api/v1/credits').set(bearer(five.token))).body.balance).toBe(5);
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 0 }).expect(200);
    const none = await signUp(t.http);
    expect((await t.http.get('/api/v1/credits').set(bearer(none.token))).body).toEqual({ balance: 0, recent: [], topUpMessage: null });
    const bad = await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: -1 }).expect(400);
    expect(bad.body.details[0].field).toBe('signupGrant');
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 100 }).expect(200);
    expect((await t.http.get('/api/v1/admin/credits/settings').set(bearer(admin.token))).body).toEqual({ signupGrant: 100, topUpMessage: null });
  });

  it('tells users with the balance how to get credits, in the admin’s words', async () => {
    const user = await signUp(t.http);
    const message = '充值请联系管理员：微信 atelier-admin，或访问 https://example.com/top-up';
    const saved = await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 100, topUpMessage: `  ${message} ` }).expect(200);
    expect(saved.body).toEqual({ signupGrant: 100, topUpMessage: message });
    expect((await t.http.get('/api/v1/credits').set(bearer(user.token)).expect(200)).body.topUpMessage).toBe(message);
    // Left out, it stays; empty, it goes.
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 90 }).expect(200);
    expect((await t.http.get('/api/v1/admin/credits/settings').set(bearer(admin.token))).body).toEqual({ signupGrant: 90, topUpMessage: message });
    const long = await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 90, topUpMessage: 'x'.repeat(501) }).expect(400);
    expect(long.body.details[0].field).toBe('topUpMessage');
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(user.token)).send({ signupGrant: 90, topUpMessage: 'mine' }).expect(403);
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 100, topUpMessage: '' }).expect(200);
    expect((await t.http.get('/api/v1/credits').set(bearer(user.token)).expect(200)).body.topUpMessage).toBeNull();
  });

  it('lets admins grant and deduct, never below zero', async () => {
    const user = await signUp(t.http);
    const granted = await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: 50, reason: 'bonus' }).expect(200);
    expect(granted.body).toMatchObject({ balance: 150, entry: { delta: 50, balanceAfter: 150, kind: 'grant', reason: 'bonus' } });
    const deducted = await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: -30, reason: 'correction' }).expect(200);
    expect(deducted.body).toMatchObject({ balance: 120, entry: { kind: 'adjust', delta: -30 } });
    const tooMuch = await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: -121, reason: 'x' }).expect(409);
    expect(tooMuch.body.message).toBe('Cannot deduct 121: the balance is only 120');
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(user.token)).send({ userId: user.id, amount: 5, reason: 'x' }).expect(403);
    for (const [body, field] of [
      [{ userId: user.id, amount: 0, reason: 'x' }, 'amount'],
      [{ userId: user.id, amount: 1.5, reason: 'x' }, 'amount'],
      [{ userId: 'nope', amount: 1, reason: 'x' }, 'userId'],
      [{ userId: randomUUID(), amount: 1, reason: 'x' }, 'userId'],
      [{ userId: user.id, amount: 1, reason: ' ' }, 'reason'],
    ] as const) {
      const response = await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send(body).expect(400);
      expect(response.body.details[0].field).toBe(field);
    }
    const ledger = await t.http.get('/api/v1/credits/ledger').query({ limit: 2 }).set(bearer(user.token)).expect(200);
    expect(ledger.body.items.map((e: { delta: number }) => e.delta)).toEqual([-30, 50]);
    const rest = await t.http.get('/api/v1/credits/ledger').query({ limit: 2, cursor: ledger.body.nextCursor }).set(bearer(user.token)).expect(200);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ delta: 100 })], nextCursor: null });
    await t.http.get('/api/v1/credits/ledger').query({ cursor: 'bad' }).set(bearer(user.token)).expect(400);
  });

  it('charges 200 parallel tasks against a balance of 100: exactly 100 succeed and it ends at 0', async () => {
    const user = await signUp(t.http);
    const credits = t.app.get(CreditsService);
    const dataSource = t.app.get(DataSource);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, () => dataSource.transaction((manager) => credits.charge(manager, user.id, 1, randomUUID(), 'test task'))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(100);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.getStatus()).toBe(402);
    const [account] = await sql('SELECT balance FROM credit_accounts WHERE user_id = $1', [user.id]);
    expect(account.balance).toBe(0);
    const [sum] = await sql('SELECT sum(delta)::int AS total, count(*)::int AS entries FROM credit_ledger WHERE user_id = $1', [user.id]);
    expect(sum).toEqual({ total: 0, entries: 101 });
  });

  it('refunds a task at most once, even when two refunds race', async () => {
    const user = await signUp(t.http);
    const credits = t.app.get(CreditsService);
    const dataSource = t.app.get(DataSource);
    const taskId = randomUUID();
    await dataSource.transaction((manager) => credits.charge(manager, user.id, 30, taskId, 'task'));
    const refunds = await Promise.all([1, 2, 3].map(() => dataSource.transaction((manager) => credits.refund(manager, taskId, 'failed'))));
    expect(refunds.filter(Boolean)).toHaveLength(1);
    expect((await t.http.get('/api/v1/credits').set(bearer(user.token))).body.balance).toBe(100);
    // The database itself refuses a second refund or charge for the task.
    await expect(sql(`INSERT INTO credit_ledger (user_id, delta, balance_after, kind, task_id, reason) VALUES ($1, 30, 130, 'refund', $2, 'again')`, [user.id, taskId])).rejects.toThrow(/UQ_credit_ledger_task_refund/);
    await expect(sql(`INSERT INTO credit_ledger (user_id, delta, balance_after, kind, task_id, reason) VALUES ($1, -1, 99, 'charge', $2, 'again')`, [user.id, taskId])).rejects.toThrow(/UQ_credit_ledger_task_charge/);
    await expect(sql(`UPDATE credit_accounts SET balance = -1 WHERE user_id = $1`, [user.id])).rejects.toThrow(/CHK_credit_accounts_balance_not_negative/);
    expect(await dataSource.transaction((manager) => credits.refund(manager, randomUUID(), 'unknown task'))).toBe(false);
  });
});
