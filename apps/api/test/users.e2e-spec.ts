import { get } from 'node:http';
import pg from 'pg';
import { bearer, signUp, startTestApp, type TestApp } from './test-app.js';

describe('users', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    admin = await signUp(t.http, { name: 'Admin', email: 'admin@example.com' });
  });
  afterAll(() => t.close());

  describe('/users/me', () => {
    it('needs authentication', async () => {
      const response = await t.http.get('/api/v1/users/me').expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      await t.http.get('/api/v1/users/me').set('Authorization', 'Bearer not-a-token').expect(401);
      await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${admin.token}x`).expect(401);
    });

    it('renames the user', async () => {
      const user = await signUp(t.http);
      const response = await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ name: '  New Name ' }).expect(200);
      expect(response.body.name).toBe('New Name');
      const me = await t.http.get('/api/v1/users/me').set(bearer(user.token)).expect(200);
      expect(me.body.name).toBe('New Name');
    });

    it('changes the password only with the current one', async () => {
      const user = await signUp(t.http);
      const missing = await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ newPassword: 'new-password-1' }).expect(400);
      expect(missing.body.details).toEqual([{ field: 'currentPassword', messages: [expect.stringContaining('required')] }]);
      const wrong = await t.http
        .patch('/api/v1/users/me')
        .set(bearer(user.token))
        .send({ currentPassword: 'not-it-at-all', newPassword: 'new-password-1' })
        .expect(400);
      expect(wrong.body.details[0].field).toBe('currentPassword');
      const short = await t.http
        .patch('/api/v1/users/me')
        .set(bearer(user.token))
        .send({ currentPassword: user.password, newPassword: 'short' })
        .expect(400);
      expect(short.body.details[0].field).toBe('newPassword');

      await t.http
        .patch('/api/v1/users/me')
        .set(bearer(user.token))
        .send({ currentPassword: user.password, newPassword: 'new-password-1' })
        .expect(200);
      await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: user.password }).expect(401);
      await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: 'new-password-1' }).expect(200);
    });

    it('refuses a new password equal to the current one, naming newPassword in either language', async () => {
      const user = await signUp(t.http);
      const same = await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ currentPassword: user.password, newPassword: user.password }).expect(400);
      expect(same.body.details).toEqual([{ field: 'newPassword', messages: ['newPassword must differ from the current password'] }]);
      const chinese = await t.http
        .patch('/api/v1/users/me')
        .set(bearer(user.token))
        .set('Accept-Language', 'zh-CN')
        .send({ currentPassword: user.password, newPassword: user.password })
        .expect(400);
      expect(chinese.body.details).toEqual([{ field: 'newPassword', messages: ['新密码不能与当前密码相同'] }]);
      // Nothing changed: the session still works.
      await t.http.get('/api/v1/users/me').set(bearer(user.token)).expect(200);
    });

    it('ends every other session when the password changes, re-issuing this one; API keys keep working', async () => {
      const user = await signUp(t.http);
      const otherDevice = (await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: user.password }).expect(200)).body.token;
      const key = (await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: 'script' }).expect(201)).body.secret;

      const changed = await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ currentPassword: user.password, newPassword: 'new-password-2' }).expect(200);
      expect(changed.body).toMatchObject({ id: user.id, token: expect.any(String), expiresIn: 604800 });
      for (const ended of [user.token, otherDevice]) {
        const refused = await t.http.get('/api/v1/users/me').set(bearer(ended)).expect(401);
        expect(refused.body.message).toBe('This session has ended (the password was changed): sign in again');
      }
      await t.http.get('/api/v1/users/me').set(bearer(changed.body.token)).expect(200);
      await t.http.get('/api/v1/users/me').set(bearer(key)).expect(200);
      // A rename is no password change: no new token, nothing ends.
      const renamed = await t.http.patch('/api/v1/users/me').set(bearer(changed.body.token)).send({ name: 'Renamed' }).expect(200);
      expect(renamed.body).not.toHaveProperty('token');
      await t.http.get('/api/v1/users/me').set(bearer(changed.body.token)).expect(200);
    });

    it('refuses fields it does not know, such as role', async () => {
      const user = await signUp(t.http);
      const response = await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ role: 'admin' }).expect(400);
      expect(response.body.details[0].field).toBe('role');
    });
  });

  describe('admin users', () => {
    it('is refused to non-admins with 403', async () => {
      const user = await signUp(t.http);
      const response = await t.http.get('/api/v1/admin/users').set(bearer(user.token)).expect(403);
      expect(response.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'This action needs an admin account' });
      await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(user.token)).send({ role: 'admin' }).expect(403);
      await t.http.get('/api/v1/admin/users').expect(401);
    });

    it('pages and searches by name, email and phone', async () => {
      const tag = `zq${Date.now()}`;
      for (let i = 0; i < 5; i++) await signUp(t.http, { name: `${tag} member ${i}` });
      await signUp(t.http, { name: 'Someone', email: `${tag}@example.com` });
      const page1 = await t.http.get('/api/v1/admin/users').query({ search: tag.toUpperCase(), pageSize: 4 }).set(bearer(admin.token)).expect(200);
      expect(page1.body).toMatchObject({ total: 6, page: 1, pageSize: 4 });
      expect(page1.body.items).toHaveLength(4);
      // Each with the credits they hold now.
      expect(page1.body.items.map((u: { creditBalance: number }) => u.creditBalance)).toEqual([100, 100, 100, 100]);
      const page2 = await t.http.get('/api/v1/admin/users').query({ search: tag, pageSize: 4, page: 2 }).set(bearer(admin.token)).expect(200);
      expect(page2.body.items).toHaveLength(2);
      const ids = [...page1.body.items, ...page2.body.items].map((u: { id: string }) => u.id);
      expect(new Set(ids).size).toBe(6);

      const all = await t.http.get('/api/v1/admin/users').set(bearer(admin.token)).expect(200);
      expect(all.body.total).toBeGreaterThanOrEqual(7);
      expect(all.body.pageSize).toBe(20);
    });

    it('finds a user by part of the phone number', async () => {
      const user = await signUp(t.http);
      const client = new pg.Client({ connectionString: t.database.url });
      await client.connect();
      await client.query(`UPDATE users SET phone = '13912345678' WHERE id = $1`, [user.id]);
      await client.end();
      const response = await t.http.get('/api/v1/admin/users').query({ search: '912345' }).set(bearer(admin.token)).expect(200);
      expect(response.body.items.map((u: { id: string; phone: string }) => [u.id, u.phone])).toEqual([[user.id, '13912345678']]);
    });

    it('treats LIKE wildcards in the search literally', async () => {
      const response = await t.http.get('/api/v1/admin/users').query({ search: '%' }).set(bearer(admin.token)).expect(200);
      expect(response.body.total).toBe(0);
    });

    it.each([
      [{ page: 0 }, 'page'],
      [{ page: 'x' }, 'page'],
      [{ pageSize: 101 }, 'pageSize'],
      [{ sort: 'name' }, 'sort'],
    ])('rejects the bad query %j naming %s', async (query, field) => {
      const response = await t.http.get('/api/v1/admin/users').query(query).set(bearer(admin.token)).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('changes role and status, and validates them', async () => {
      const user = await signUp(t.http);
      const promoted = await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ role: 'admin' }).expect(200);
      expect(promoted.body.role).toBe('admin');
      await t.http.get('/api/v1/admin/users').set(bearer(user.token)).expect(200);
      await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ role: 'user' }).expect(200);

      const badRole = await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ role: 'owner' }).expect(400);
      expect(badRole.body.message).toBe('role must be one of: admin, user');
      const badStatus = await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ status: 'gone' }).expect(400);
      expect(badStatus.body.details[0].field).toBe('status');
      const badId = await t.http.patch('/api/v1/admin/users/not-a-uuid').set(bearer(admin.token)).send({ role: 'user' }).expect(400);
      expect(badId.body.details[0].field).toBe('id');
      await t.http
        .patch('/api/v1/admin/users/00000000-0000-4000-8000-000000000000')
        .set(bearer(admin.token))
        .send({ role: 'user' })
        .expect(404);
    });

    it('makes a disabled user’s tokens and API keys fail at once; re-enabling restores the keys, not the sessions', async () => {
      const user = await signUp(t.http);
      const key = await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
      await t.http.get('/api/v1/users/me').set(bearer(key.body.secret)).expect(200);

      await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ status: 'disabled' }).expect(200);
      // Told apart from an expired token by errorCode, so the web app can say why the session ended.
      const viaToken = await t.http.get('/api/v1/users/me').set(bearer(user.token)).expect(401);
      expect(viaToken.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'This account is disabled', errorCode: 'account_disabled' });
      const viaKey = await t.http.get('/api/v1/users/me').set(bearer(key.body.secret)).set('Accept-Language', 'zh-CN').expect(401);
      expect(viaKey.body).toMatchObject({ message: '该账户已被停用', errorCode: 'account_disabled' });
      const signIn = await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: user.password }).expect(401);
      expect(signIn.body.errorCode).toBe('account_disabled');
      // Other 401s carry no errorCode.
      const expired = await t.http.get('/api/v1/users/me').set('Authorization', 'Bearer not-a-token').expect(401);
      expect(expired.body.errorCode).toBeUndefined();

      await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ status: 'active' }).expect(200);
      // Disabling ended the sessions: the user signs in again. Keys are not sessions.
      await t.http.get('/api/v1/users/me').set(bearer(user.token)).expect(401);
      await t.http.get('/api/v1/users/me').set(bearer(key.body.secret)).expect(200);
      const again = await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: user.password }).expect(200);
      await t.http.get('/api/v1/users/me').set(bearer(again.body.token)).expect(200);
    });

    it('closes a disabled user’s open task event stream at once', async () => {
      const user = await signUp(t.http);
      const { body: eventsToken } = await t.http.post('/api/v1/tasks/events/token').set(bearer(user.token)).expect(200);
      const ended = new Promise<number>((resolve, reject) => {
        const request = get(`${t.baseUrl}/api/v1/tasks/events?token=${eventsToken.token}`, (response) => {
          expect(response.statusCode).toBe(200);
          response.resume();
          response.on('end', () => resolve(Date.now()));
        });
        request.on('error', reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const disabledAt = Date.now();
      await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ status: 'disabled' }).expect(200);
      // Heartbeats come every 15 s: the stream must end well before anything else would notice.
      expect((await ended) - disabledAt).toBeLessThan(3000);
      // Its token cannot open another one.
      const reopened = await fetch(`${t.baseUrl}/api/v1/tasks/events?token=${eventsToken.token}`);
      expect(reopened.status).toBe(401);
    });

    it('lets an admin set a password: sessions end, keys keep working, and the user is asked to change it', async () => {
      const user = await signUp(t.http);
      const key = (await t.http.post('/api/v1/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201)).body.secret;
      await t.http.post(`/api/v1/admin/users/${user.id}/password`).set(bearer(user.token)).send({ newPassword: 'chosen-by-admin' }).expect(403);
      const short = await t.http.post(`/api/v1/admin/users/${user.id}/password`).set(bearer(admin.token)).send({ newPassword: 'short' }).expect(400);
      expect(short.body.details[0].field).toBe('newPassword');
      await t.http.post('/api/v1/admin/users/00000000-0000-4000-8000-000000000000/password').set(bearer(admin.token)).send({ newPassword: 'chosen-by-admin' }).expect(404);

      const set = await t.http.post(`/api/v1/admin/users/${user.id}/password`).set(bearer(admin.token)).send({ newPassword: 'chosen-by-admin' }).expect(200);
      expect(set.body).toMatchObject({ id: user.id, mustChangePassword: true });
      await t.http.get('/api/v1/users/me').set(bearer(user.token)).expect(401);
      await t.http.get('/api/v1/users/me').set(bearer(key)).expect(200);
      await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: user.password }).expect(401);
      const signedIn = await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: 'chosen-by-admin' }).expect(200);
      expect(signedIn.body.user.mustChangePassword).toBe(true);

      const changed = await t.http.patch('/api/v1/users/me').set(bearer(signedIn.body.token)).send({ currentPassword: 'chosen-by-admin', newPassword: 'my-own-password' }).expect(200);
      expect(changed.body.mustChangePassword).toBe(false);
    });

    it('refuses an admin demoting or disabling their own account, even with another admin left', async () => {
      const demote = await t.http.patch(`/api/v1/admin/users/${admin.id}`).set(bearer(admin.token)).send({ role: 'user' }).expect(409);
      expect(demote.body.message).toBe('You cannot remove your own admin rights: ask another admin');
      const disable = await t.http.patch(`/api/v1/admin/users/${admin.id}`).set(bearer(admin.token)).send({ status: 'disabled' }).expect(409);
      expect(disable.body.message).toBe('You cannot disable your own account: ask another admin');

      const other = await signUp(t.http);
      await t.http.patch(`/api/v1/admin/users/${other.id}`).set(bearer(admin.token)).send({ role: 'admin' }).expect(200);
      const zh = await t.http
        .patch(`/api/v1/admin/users/${admin.id}`)
        .set(bearer(admin.token))
        .set('Accept-Language', 'zh-CN')
        .send({ role: 'user' })
        .expect(409);
      expect(zh.body.message).toBe('不能取消自己的管理员权限：请让其他管理员操作');
      // Another admin may do it; the demoted admin may not undo it.
      await t.http.patch(`/api/v1/admin/users/${admin.id}`).set(bearer(other.token)).send({ role: 'user' }).expect(200);
      await t.http.patch(`/api/v1/admin/users/${admin.id}`).set(bearer(admin.token)).send({ role: 'admin' }).expect(403);
      await t.http.patch(`/api/v1/admin/users/${admin.id}`).set(bearer(other.token)).send({ role: 'admin' }).expect(200);
      await t.http.patch(`/api/v1/admin/users/${other.id}`).set(bearer(admin.token)).send({ role: 'user' }).expect(200);
    });
  });

  describe('paging and null fields', () => {
    it.each(['1e18', '1e308', '100001'])('refuses page=%s with a 400 naming page (it once reached PostgreSQL as an out-of-range offset)', async (page) => {
      const response = await t.http.get('/api/v1/admin/users').query({ page }).set(bearer(admin.token)).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toEqual(['page']);
    });

    it('refuses paging values past their documented maximum everywhere, and documents them as integers with a maximum', async () => {
      await t.http.get('/api/v1/admin/users').query({ page: 100000, pageSize: 100 }).set(bearer(admin.token)).expect(200);
      expect((await t.http.get('/api/v1/admin/users').query({ pageSize: '1e18' }).set(bearer(admin.token)).expect(400)).body.details[0].field).toBe('pageSize');
      for (const path of ['/api/v1/files/generated', '/api/v1/history', '/api/v1/credits/ledger', '/api/v1/flux/history']) {
        const response = await t.http.get(path).query({ limit: '1e18' }).set(bearer(admin.token)).expect(400);
        expect(response.body.details[0].field).toBe('limit');
      }
      const document = (await t.http.get('/api/docs/openapi.json').expect(200)).body;
      const parameters = Object.values(document.paths as Record<string, any>)
        .flatMap((path) => Object.values(path as Record<string, any>))
        .flatMap((operation) => operation.parameters ?? [])
        .filter((parameter: any) => ['page', 'pageSize', 'limit'].includes(parameter.name));
      expect(parameters.length).toBeGreaterThanOrEqual(6);
      for (const parameter of parameters) expect(parameter.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: expect.any(Number) });
    });

    it('refuses null for a field of /users/me and /admin/users/{id} with a 400 naming it', async () => {
      const user = await signUp(t.http);
      expect((await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ name: null }).expect(400)).body.details[0].field).toBe('name');
      for (const field of ['role', 'status']) {
        const response = await t.http.patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.token)).send({ [field]: null }).expect(400);
        expect(response.body.details[0].field).toBe(field);
      }
    });
  });
});
