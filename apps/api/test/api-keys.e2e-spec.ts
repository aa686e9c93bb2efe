import { createHash } from 'node:crypto';
import pg from 'pg';
import { bearer, signUp, startTestApp, type TestApp } from './test-app.js';

describe('API keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await signUp(t.http); // the admin
  });
  afterAll(() => t.close());

  it('returns the secret once, lists keys without it, and stores only a hash', async () => {
    const user = await signUp(t.http);
    const created = await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: ' CI ' }).expect(201);
    expect(created.body).toMatchObject({ name: 'CI', lastUsedAt: null });
    expect(created.body.secret).toMatch(/^atl_[\w-]{43}$/);
    expect(created.body.secret.startsWith(created.body.prefix)).toBe(true);

    const list = await t.http.get('/api/v1/api-keys').set(bearer(user.token)).expect(200);
    expect(list.body).toEqual([
      { id: created.body.id, name: 'CI', prefix: created.body.prefix, createdAt: created.body.createdAt, lastUsedAt: null },
    ]);

    const client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
    try {
      const rows = await client.query('SELECT * FROM api_keys WHERE id = $1', [created.body.id]);
      expect(JSON.stringify(rows.rows)).not.toContain(created.body.secret);
      expect(rows.rows[0].key_hash).toBe(createHash('sha256').update(created.body.secret).digest('hex'));
    } finally {
      await client.end();
    }
  });

  it('authenticates as its owner on JWT routes and records its last use', async () => {
    const user = await signUp(t.http);
    const created = await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: 'script' }).expect(201);
    const me = await t.http.get('/api/v1/users/me').set(bearer(created.body.secret)).expect(200);
    expect(me.body.id).toBe(user.id);
    // Keys can manage keys too: the same routes accept either credential.
    const list = await t.http.get('/api/v1/api-keys').set(bearer(created.body.secret)).expect(200);
    expect(list.body[0].lastUsedAt).not.toBeNull();
  });

  it('stops working once deleted', async () => {
    const user = await signUp(t.http);
    const created = await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: 'temp' }).expect(201);
    await t.http.delete(`/api/v1/api-keys/${created.body.id}`).set(bearer(user.token)).expect(204);
    await t.http.get('/api/v1/users/me').set(bearer(created.body.secret)).expect(401);
    await t.http.delete(`/api/v1/api-keys/${created.body.id}`).set(bearer(user.token)).expect(404);
  });

  it('keeps users apart: nobody lists or deletes another user’s keys', async () => {
    const alice = await signUp(t.http);
    const bob = await signUp(t.http);
    const key = await t.http.post('/api/v1/api-keys').set(bearer(alice.token)).send({ name: 'alice' }).expect(201);
    const bobs = await t.http.get('/api/v1/api-keys').set(bearer(bob.token)).expect(200);
    expect(bobs.body).toEqual([]);
    await t.http.delete(`/api/v1/api-keys/${key.body.id}`).set(bearer(bob.token)).expect(404);
    await t.http.get('/api/v1/users/me').set(bearer(key.body.secret)).expect(200);
  });

  it('rejects unknown keys and bad input', async () => {
    const user = await signUp(t.http);
    await t.http.get('/api/v1/users/me').set(bearer('atl_' + 'x'.repeat(43))).expect(401);
    const empty = await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: '  ' }).expect(400);
    expect(empty.body.details[0].field).toBe('name');
    const long = await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: 'x'.repeat(101) }).expect(400);
    expect(long.body.details[0].field).toBe('name');
    const badId = await t.http.delete('/api/v1/api-keys/123').set(bearer(user.token)).expect(400);
    expect(badId.body.details[0].field).toBe('id');
    await t.http.post('/api/v1/api-keys').send({ name: 'anonymous' }).expect(401);
  });
});
