import { startTestApp, signUp, type TestApp } from './test-app.js';

describe('email sign-up and sign-in', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SIGNIN_MAX_ATTEMPTS_PER_IP: '1000', SIGNIN_MAX_FAILURES_PER_ACCOUNT: '3', TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  it('makes the first account admin and later ones users', async () => {
    const first = await signUp(t.http, { email: 'First@Example.com' });
    expect(first.user).toMatchObject({ role: 'admin', status: 'active', email: 'first@example.com', phone: null, hasPassword: true });
    expect(first.user).not.toHaveProperty('passwordHash');
    const second = await signUp(t.http);
    expect(second.user.role).toBe('user');
  });

  it('returns a JWT that authenticates /users/me', async () => {
    const { token, id } = await signUp(t.http);
    expect(token.split('.')).toHaveLength(3);
    const me = await t.http.get('/api/v1/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body.id).toBe(id);
  });

  it('refuses a duplicate email with 409, whatever its case', async () => {
    await signUp(t.http, { email: 'dup@example.com' });
    const response = await t.http
      .post('/api/v1/auths/signup')
      .send({ name: 'Again', email: '  DUP@example.com ', password: 'password-123' })
      .expect(409);
    expect(response.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'An account with this email already exists' });
  });

  it.each([
    [{ email: 'a@example.com', password: 'password-123' }, 'name'],
    [{ name: '   ', email: 'a@example.com', password: 'password-123' }, 'name'],
    [{ name: 'x'.repeat(101), email: 'a@example.com', password: 'password-123' }, 'name'],
    [{ name: 'A', password: 'password-123' }, 'email'],
    [{ name: 'A', email: 'not-an-email', password: 'password-123' }, 'email'],
    [{ name: 'A', email: 42, password: 'password-123' }, 'email'],
    [{ name: 'A', email: 'a@example.com' }, 'password'],
    [{ name: 'A', email: 'a@example.com', password: 'short' }, 'password'],
    [{ name: 'A', email: 'a@example.com', password: 'x'.repeat(129) }, 'password'],
    [{ name: 'A', email: 'a@example.com', password: 12345678 }, 'password'],
    [{ name: 'A', email: 'a@example.com', password: 'password-123', role: 'admin' }, 'role'],
  ])('rejects bad sign-up input %j naming %s', async (body, field) => {
    const response = await t.http.post('/api/v1/auths/signup').send(body).expect(400);
    expect(response.body.statusCode).toBe(400);
    expect(response.body.error).toBe('Bad Request');
    expect(response.body.message).toContain(field);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('accepts passwords of exactly 8 and 128 characters', async () => {
    await signUp(t.http, { password: 'x'.repeat(8) });
    await signUp(t.http, { password: 'y'.repeat(128) });
  });

  it('signs in with the right password, case-insensitively on the email', async () => {
    const user = await signUp(t.http, { email: 'case@example.com' });
    const response = await t.http.post('/api/v1/auths/signin').send({ email: 'CASE@example.com', password: user.password }).expect(200);
    expect(response.body.user.id).toBe(user.id);
    expect(response.body.expiresIn).toBeGreaterThan(0);
  });

  it('answers a wrong password and an unknown email with one identical 401', async () => {
    const user = await signUp(t.http);
    const wrongPassword = await t.http.post('/api/v1/auths/signin').send({ email: user.email, password: 'wrong-password' }).expect(401);
    const unknownEmail = await t.http.post('/api/v1/auths/signin').send({ email: 'nobody@example.com', password: 'wrong-password' }).expect(401);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect(wrongPassword.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'The email or password is incorrect' });
  });

  it('rejects bad sign-in input with 400 naming the field', async () => {
    const response = await t.http.post('/api/v1/auths/signin').send({ email: 'x@example.com' }).expect(400);
    expect(response.body.details).toEqual([{ field: 'password', messages: expect.any(Array) }]);
  });

  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  it('locks an account for the address its failures come from, even for the right password, with Retry-After', async () => {
    const user = await signUp(t.http);
    for (let i = 0; i < 3; i++) {
      await t.http.post('/api/v1/auths/signin').set(from('203.0.113.7')).send({ email: user.email, password: 'wrong-password' }).expect(401);
    }
    const locked = await t.http.post('/api/v1/auths/signin').set(from('203.0.113.7')).send({ email: user.email, password: user.password }).expect(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(locked.body.message).toMatch(/for this account from this address\. Try again in \d+ seconds/);
  });

  it('does not lock the owner out when a stranger fails from elsewhere: it only slows sign-ins down', async () => {
    const user = await signUp(t.http);
    for (let i = 0; i < 4; i++) {
      await t.http.post('/api/v1/auths/signin').set(from(`198.51.100.${i}`)).send({ email: user.email, password: 'wrong-password' }).expect(401);
    }
    await t.http.post('/api/v1/auths/signin').set(from('198.51.100.1')).send({ email: user.email, password: 'wrong-password' }).expect(401);
    const started = Date.now();
    const owner = await t.http.post('/api/v1/auths/signin').set(from('192.0.2.10')).send({ email: user.email, password: user.password }).expect(200);
    expect(owner.body.user.id).toBe(user.id);
    // 5 failures against a threshold of 3: the owner waited (3 × 0.5 s), but got in.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('limits an unknown email exactly like a known one (no enumeration through the limit)', async () => {
    for (let i = 0; i < 3; i++) {
      await t.http.post('/api/v1/auths/signin').set(from('203.0.113.8')).send({ email: 'ghost@example.com', password: 'wrong-password' }).expect(401);
    }
    await t.http.post('/api/v1/auths/signin').set(from('203.0.113.8')).send({ email: 'ghost@example.com', password: 'wrong-password' }).expect(429);
    await t.http.post('/api/v1/auths/signin').set(from('203.0.113.9')).send({ email: 'ghost@example.com', password: 'wrong-password' }).expect(401);
  });

  it('refuses a disabled account even with the right password', async () => {
    const admin = await startTestApp();
    try {
      const first = await signUp(admin.http);
      const other = await signUp(admin.http);
      await admin.http
        .patch(`/api/v1/admin/users/${other.id}`)
        .set('Authorization', `Bearer ${first.token}`)
        .send({ status: 'disabled' })
        .expect(200);
      const response = await admin.http.post('/api/v1/auths/signin').send({ email: other.email, password: other.password }).expect(401);
      expect(response.body.message).toBe('This account is disabled');
    } finally {
      await admin.close();
    }
  });
});

describe('sign-in rate limit per IP', () => {
  it('answers 429 with Retry-After once an address exceeds its attempts, across two instances', async () => {
    const env = { SIGNIN_MAX_ATTEMPTS_PER_IP: '4', SIGNIN_MAX_FAILURES_PER_ACCOUNT: '1000' };
    const a = await startTestApp({ env });
    const b = await startTestApp({ env, database: a.database });
    try {
      const user = await signUp(a.http);
      for (let i = 0; i < 2; i++) {
        await a.http.post('/api/v1/auths/signin').send({ email: `x${i}@example.com`, password: 'wrong-password' }).expect(401);
        await b.http.post('/api/v1/auths/signin').send({ email: `y${i}@example.com`, password: 'wrong-password' }).expect(401);
      }
      const limited = await b.http.post('/api/v1/auths/signin').send({ email: user.email, password: user.password }).expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.body.message).toMatch(/this address/);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('first account race', () => {
  it('makes exactly one admin when several accounts are created at once', async () => {
    const t = await startTestApp();
    try {
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          t.http.post('/api/v1/auths/signup').send({ name: `R${i}`, email: `race${i}@example.com`, password: 'password-123' }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(6).fill(201));
      expect(responses.filter((r) => r.body.user.role === 'admin')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
