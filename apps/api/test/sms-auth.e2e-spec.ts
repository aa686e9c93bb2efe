import pg from 'pg';
import { SmsCodeService } from '../src/modules/auth-sms/sms-code.service.js';
import { bearer, signUp, startTestApp, type TestApp } from './test-app.js';

interface OutboxMessage {
  phone: string;
  content: string;
  sentAt: string;
}

class SmsHarness {
  constructor(readonly t: TestApp) {}

  async sql(query: string, params: unknown[] = []): Promise<any[]> {
    const client = new pg.Client({ connectionString: this.t.database.url });
    await client.connect();
    try {
      return (await client.query(query, params)).rows;
    } finally {
      await client.end();
    }
  }

  async outbox(phone: string): Promise<OutboxMessage[]> {
    return (await this.t.http.get('/sandbox/_control/sms').query({ phone }).expect(200)).body;
  }

  async lastCode(phone: string): Promise<string> {
    const messages = await this.outbox(phone);
    const code = /(\d{6})/.exec(messages.at(-1)?.content ?? '')?.[1];
    if (!code) throw new Error(`no code sent to ${phone}`);
    return code;
  }

  send(phone: string, purpose: string, token?: string) {
    const request = this.t.http.post('/api/v1/auths/send-sms-code').send({ phone, purpose });
    return token ? request.set(bearer(token)) : request;
  }

  /** Moves every recorded send back in time, as if the clock had moved forward. */
  age(seconds: number) {
    return this.sql(`UPDATE sms_sends SET sent_at = sent_at - make_interval(secs => $1)`, [seconds]);
  }

  async codeFor(phone: string, purpose: string, token?: string): Promise<string> {
    await this.age(3600);
    await this.send(phone, purpose, token).expect(200);
    return this.lastCode(phone);
  }
}

let phoneCounter = 0;
const newPhone = () => `1390${String(Date.now() % 1_000_000).padStart(6, '0')}${phoneCounter++ % 10}`.slice(0, 11);

describe('SMS codes and phone accounts', () => {
  let t: TestApp;
  let h: SmsHarness;
  let admin: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    h = new SmsHarness(t);
    admin = await signUp(t.http, { email: 'admin@example.com' });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    // Each test starts with clean counters; the limits themselves are tested explicitly.
    await h.sql('DELETE FROM sms_sends');
  });

  describe('phone numbers', () => {
    it('normalises +86, 0086, spaces and dashes to 11 digits', async () => {
      for (const typed of ['+86 138-0013-8001', '0086 13800138001']) {
        await h.age(3600);
        await h.send(typed, 'register').expect(200);
      }
      const messages = await h.outbox('13800138001');
      expect(messages).toHaveLength(2);
      expect(messages[0].content).toMatch(/^【Atelier】.*\d{6}.*5分钟/);
    });

    it.each(['12345', '+1 415 555 0100', '12800138000', '138001380001', 'phone'])('refuses %s with 400 naming phone', async (phone) => {
      const response = await h.send(phone, 'register').expect(400);
      expect(response.body.details).toEqual([{ field: 'phone', messages: [expect.stringContaining('mainland China mobile')] }]);
    });

    it('refuses an unknown purpose naming the field', async () => {
      const response = await h.send('13800138002', 'recover').expect(400);
      expect(response.body.details[0].field).toBe('purpose');
    });
  });

  describe('sign-up and sign-in by phone', () => {
    it('signs up with a code, then signs in with another, both returning a token and the user', async () => {
      const phone = newPhone();
      const sent = await h.send(phone, 'register').expect(200);
      expect(sent.body).toEqual({ expiresInSeconds: 300, cooldownSeconds: 60 });
      const code = await h.lastCode(phone);
      const signedUp = await t.http.post('/api/v1/auths/signup-phone').send({ phone, code, name: 'Phone User', password: 'password-123' }).expect(201);
      expect(signedUp.body.user).toMatchObject({ phone, email: null, role: 'user', hasPassword: true });
      await t.http.get('/api/v1/users/me').set(bearer(signedUp.body.token)).expect(200);

      const loginCode = await h.codeFor(phone, 'login');
      const signedIn = await t.http.post('/api/v1/auths/signin-phone').send({ phone: `+86 ${phone}`, code: loginCode }).expect(200);
      expect(signedIn.body.user.id).toBe(signedUp.body.user.id);

      // The password given at sign-up signs in too, with the number instead of a code.
      const withPassword = await t.http.post('/api/v1/auths/signin-phone-password').send({ phone: `0086-${phone}`, password: 'password-123' }).expect(200);
      expect(withPassword.body.user.id).toBe(signedUp.body.user.id);
      const wrong = await t.http.post('/api/v1/auths/signin-phone-password').send({ phone, password: 'not-the-password' }).expect(401);
      expect(wrong.body.message).toBe('The phone number or password is incorrect');
      // An unknown number answers the same, revealing nothing.
      const unknown = await t.http.post('/api/v1/auths/signin-phone-password').send({ phone: newPhone(), password: 'password-123' }).expect(401);
      expect(unknown.body.message).toBe('The phone number or password is incorrect');
      const bad = await t.http.post('/api/v1/auths/signin-phone-password').send({ phone: '12345', password: '' }).expect(400);
      expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['password', 'phone']);
    });

    it('resets a forgotten password with a code (purpose reset), ending every session', async () => {
      const phone = newPhone();
      const code = await h.codeFor(phone, 'register');
      const signedUp = await t.http.post('/api/v1/auths/signup-phone').send({ phone, code, name: 'Forgetful', password: 'forgotten-1' }).expect(201);
      const key = (await t.http.post('/api/v1/api-keys').set(bearer(signedUp.body.token)).send({ name: 'k' }).expect(201)).body.secret;
      const unknown = await h.send(newPhone(), 'reset').expect(404);
      expect(unknown.body.message).toMatch(/sign up first/);

      const resetCode = await h.codeFor(phone, 'reset');
      const wrong = await t.http.post('/api/v1/auths/reset-password').send({ phone, code: resetCode === '000000' ? '111111' : '000000', newPassword: 'remembered-2' }).expect(400);
      expect(wrong.body.details[0].field).toBe('code');
      const short = await t.http.post('/api/v1/auths/reset-password').send({ phone, code: resetCode, newPassword: 'short' }).expect(400);
      expect(short.body.details[0].field).toBe('newPassword');
      // A login code is no reset code.
      const loginCode = await h.codeFor(phone, 'login');
      await t.http.post('/api/v1/auths/reset-password').send({ phone, code: loginCode, newPassword: 'remembered-2' }).expect(400);

      const reset = await t.http.post('/api/v1/auths/reset-password').send({ phone: `+86 ${phone}`, code: resetCode, newPassword: 'remembered-2' }).expect(200);
      expect(reset.body.user).toMatchObject({ id: signedUp.body.user.id, mustChangePassword: false });
      await t.http.get('/api/v1/users/me').set(bearer(reset.body.token)).expect(200);
      await t.http.get('/api/v1/users/me').set(bearer(signedUp.body.token)).expect(401);
      await t.http.get('/api/v1/users/me').set(bearer(key)).expect(200);
      await t.http.post('/api/v1/auths/signin-phone-password').send({ phone, password: 'forgotten-1' }).expect(401);
      await t.http.post('/api/v1/auths/signin-phone-password').send({ phone, password: 'remembered-2' }).expect(200);
      // Used up.
      await t.http.post('/api/v1/auths/reset-password').send({ phone, code: resetCode, newPassword: 'remembered-3' }).expect(400);
    });

    it('refuses register for a taken phone (409) and login for an unknown phone (404, suggesting sign-up)', async () => {
      const phone = newPhone();
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code: await h.codeFor(phone, 'register'), name: 'A', password: 'password-123' }).expect(201);
      const taken = await h.send(phone, 'register').expect(409);
      expect(taken.body.message).toBe('This phone number is already used by another account');
      const unknown = await h.send(newPhone(), 'login').expect(404);
      expect(unknown.body.message).toBe('No account uses this phone number yet: sign up first');
    });

    it('uses a code once', async () => {
      const phone = newPhone();
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code: await h.codeFor(phone, 'register'), name: 'A', password: 'password-123' }).expect(201);
      const code = await h.codeFor(phone, 'login');
      await t.http.post('/api/v1/auths/signin-phone').send({ phone, code }).expect(200);
      const again = await t.http.post('/api/v1/auths/signin-phone').send({ phone, code }).expect(400);
      expect(again.body.details).toEqual([{ field: 'code', messages: [expect.stringContaining('request a new one')] }]);
    });

    it('keeps the code when the sign-up itself is refused', async () => {
      const phone = newPhone();
      const code = await h.codeFor(phone, 'register');
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code, name: 'A', password: 'short' }).expect(400);
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code, name: 'A', password: 'long enough 1' }).expect(201);
    });

    it('expires a code after 5 minutes', async () => {
      const phone = newPhone();
      const code = await h.codeFor(phone, 'register');
      const [row] = await h.sql(`SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM verification_codes WHERE phone = $1`, [phone]);
      expect(row.ttl).toBe(300);
      await h.sql(`UPDATE verification_codes SET expires_at = now() + interval '2 seconds' WHERE phone = $1`, [phone]);
      await t.http.post('/api/v1/auths/verify-sms-code').send({ phone, code, purpose: 'register' }).expect(200);
      await h.sql(`UPDATE verification_codes SET expires_at = now() - interval '1 second' WHERE phone = $1`, [phone]);
      const expired = await t.http.post('/api/v1/auths/verify-sms-code').send({ phone, code, purpose: 'register' }).expect(400);
      expect(expired.body.message).toMatch(/expired/);
    });

    it('kills a code after 5 wrong tries, counting down the tries left', async () => {
      const phone = newPhone();
      const code = await h.codeFor(phone, 'register');
      const wrong = code === '000000' ? '111111' : '000000';
      const messages: string[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await t.http.post('/api/v1/auths/verify-sms-code').send({ phone, code: wrong, purpose: 'register' }).expect(400);
        messages.push(response.body.details[0].messages[0]);
      }
      expect(messages.slice(0, 4)).toEqual(['4 tries left', '3 tries left', '2 tries left', '1 try left'].map((n) => `The code is wrong: ${n}`));
      expect(messages[4]).toMatch(/used up/);
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code, name: 'A', password: 'password-123' }).expect(400);
    });

    it('checks without consuming, and a code only works for its own purpose', async () => {
      const phone = newPhone();
      const code = await h.codeFor(phone, 'register');
      expect((await t.http.post('/api/v1/auths/verify-sms-code').send({ phone, code, purpose: 'register' }).expect(200)).body).toEqual({ valid: true });
      await t.http.post('/api/v1/auths/verify-sms-code').send({ phone, code, purpose: 'login' }).expect(400);
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code, name: 'A', password: 'password-123' }).expect(201);
    });

    it('invalidates the old code when a new one is sent for the same phone and purpose', async () => {
      const phone = newPhone();
      const first = await h.codeFor(phone, 'register');
      const second = await h.codeFor(phone, 'register');
      if (first !== second) {
        await t.http.post('/api/v1/auths/verify-sms-code').send({ phone, code: first, purpose: 'register' }).expect(400);
      }
      const rows = await h.sql(`SELECT status FROM verification_codes WHERE phone = $1 ORDER BY created_at`, [phone]);
      expect(rows.map((r) => r.status)).toEqual(['invalidated', 'active']);
      await t.http.post('/api/v1/auths/signup-phone').send({ phone, code: second, name: 'A', password: 'password-123' }).expect(201);
    });

    it('stores codes only as keyed hashes', async () => {
      const phone = newPhone();
      const code = await h.codeFor(phone, 'register');
      const rows = await h.sql(`SELECT * FROM verification_codes WHERE phone = $1`, [phone]);
      expect(JSON.stringify(rows)).not.toContain(code);
      expect(rows[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('makes the very first account admin when it signs up by phone', async () => {
      const fresh = await startTestApp({ listen: true });
      try {
        const fh = new SmsHarness(fresh);
        const phone = newPhone();
        await fh.send(phone, 'register').expect(200);
        const response = await fresh.http
          .post('/api/v1/auths/signup-phone')
          .send({ phone, code: await fh.lastCode(phone), name: 'First', password: 'password-123' })
          .expect(201);
        expect(response.body.user.role).toBe('admin');
      } finally {
        await fresh.close();
      }
    });
  });

  describe('sending limits', () => {
    it('allows one code per phone per 60 s, answering 429 with the seconds left', async () => {
      const phone = newPhone();
      await h.send(phone, 'register').expect(200);
      const limited = await h.send(phone, 'register').expect(429);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(55);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.body.message).toBe(`Wait ${retryAfter} seconds before requesting another code`);
      await h.age(61);
      await h.send(phone, 'register').expect(200);
    });

    it('allows 10 codes per phone per day', async () => {
      const phone = newPhone();
      for (let i = 0; i < 10; i++) {
        await h.send(phone, 'register').expect(200);
        await h.age(61);
      }
      const limited = await h.send(phone, 'register').expect(429);
      expect(limited.body.message).toMatch(/10 codes in the last 24 hours/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(80_000);
      await h.age(86_400);
      await h.send(phone, 'register').expect(200);
    });

    it('allows 20 codes per IP per hour', async () => {
      for (let i = 0; i < 20; i++) await h.send(newPhone(), 'register').expect(200);
      const limited = await h.send(newPhone(), 'register').expect(429);
      expect(limited.body.message).toMatch(/from this address/);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3500);
    });

    it('holds across two instances sharing the database', async () => {
      const other = await startTestApp({ listen: true, database: t.database });
      try {
        const phone = newPhone();
        const responses = await Promise.all([
          h.send(phone, 'register'),
          other.http.post('/api/v1/auths/send-sms-code').send({ phone, purpose: 'register' }),
          h.send(phone, 'register'),
          other.http.post('/api/v1/auths/send-sms-code').send({ phone, purpose: 'register' }),
        ]);
        expect(responses.map((r) => r.status).sort()).toEqual([200, 429, 429, 429]);
        // Each instance sends through its own mounted sandbox: together they sent one message.
        const otherOutbox = (await other.http.get('/sandbox/_control/sms').query({ phone }).expect(200)).body;
        expect([...(await h.outbox(phone)), ...otherOutbox]).toHaveLength(1);
      } finally {
        await other.close();
      }
    });

    it('uses the limits from the settings', async () => {
      await t.http
        .post('/api/v1/auths/sms/config')
        .set(bearer(admin.token))
        .send({ provider: 'sandbox', enabled: true, signature: '【Atelier】', template: '验证码{code}', cooldownSeconds: 30, maxPerPhonePerDay: 2, maxPerIpPerHour: 50 })
        .expect(200);
      try {
        const phone = newPhone();
        await h.send(phone, 'register').expect(200);
        const cooldown = await h.send(phone, 'register').expect(429);
        expect(Number(cooldown.headers['retry-after'])).toBeLessThanOrEqual(30);
        await h.age(31);
        await h.send(phone, 'register').expect(200);
        await h.age(31);
        expect((await h.send(phone, 'register').expect(429)).body.message).toMatch(/2 codes/);
      } finally {
        await h.sql('DELETE FROM sms_settings');
      }
    });

    it('does not count a message the provider refuses, and explains the refusal (502)', async () => {
      const balance = await h.send('13900000041', 'register').expect(502);
      expect(balance.body.message).toBe('The SMS provider did not send the message: smsbao refused the message: balance insufficient (code 41)');
      expect(await h.sql(`SELECT * FROM sms_sends WHERE phone = '13900000041'`)).toEqual([]);
      expect(await h.sql(`SELECT * FROM verification_codes WHERE phone = '13900000041'`)).toEqual([]);
      // Not counted: no cooldown follows a refused message. In Chinese, smsbao's own words.
      const zh = await t.http.post('/api/v1/auths/send-sms-code').set('Accept-Language', 'zh-CN').send({ phone: '13900000041', purpose: 'register' }).expect(502);
      expect(zh.body.message).toBe('短信服务商未能发送短信：余额不足（代码 41）');

      await t.http
        .post('/api/v1/auths/sms/config')
        .set(bearer(admin.token))
        .send({ provider: 'sandbox', enabled: true, signature: '【Atelier】', template: '验证码{code} sandbox:sensitive' })
        .expect(200);
      try {
        const sensitive = await h.send(newPhone(), 'register').expect(502);
        expect(sensitive.body.message).toMatch(/content contains sensitive words \(code 50\)/);
      } finally {
        await h.sql('DELETE FROM sms_settings');
      }
    });
  });

  describe('bindings', () => {
    it('lets an email account bind a phone (purpose bind), change it (purpose change) and sign in with it', async () => {
      const user = await signUp(t.http);
      await h.send(newPhone(), 'bind').expect(401);
      const phone = newPhone();
      await t.http.post('/api/v1/auths/bind-phone').set(bearer(user.token)).send({ phone, code: await h.codeFor(phone, 'bind', user.token) }).expect(200);
      expect((await t.http.get('/api/v1/auths/binding-status').set(bearer(user.token)).expect(200)).body).toEqual({
        phone,
        email: user.email,
        hasPassword: true,
        canUnbindPhone: true,
        canUnbindEmail: true,
      });
      const mine = await h.send(phone, 'bind', user.token).expect(409);
      expect(mine.body.message).toBe('This phone number is already bound to your account');

      const next = newPhone();
      const wrongPurpose = await h.codeFor(next, 'bind', user.token);
      await t.http.post('/api/v1/auths/bind-phone').set(bearer(user.token)).send({ phone: next, code: wrongPurpose }).expect(400);
      await t.http.post('/api/v1/auths/bind-phone').set(bearer(user.token)).send({ phone: next, code: await h.codeFor(next, 'change', user.token) }).expect(200);
      const signedIn = await t.http.post('/api/v1/auths/signin-phone').send({ phone: next, code: await h.codeFor(next, 'login') }).expect(200);
      expect(signedIn.body.user.id).toBe(user.id);
    });

    it('refuses binding a phone another account uses', async () => {
      const owner = newPhone();
      await t.http.post('/api/v1/auths/signup-phone').send({ phone: owner, code: await h.codeFor(owner, 'register'), name: 'Owner', password: 'password-123' }).expect(201);
      const user = await signUp(t.http);
      const response = await h.send(owner, 'bind', user.token).expect(409);
      expect(response.body.message).toBe('This phone number is already used by another account');
    });

    it('lets a phone account bind an email with a new password and sign in with it', async () => {
      const phone = newPhone();
      const signedUp = await t.http.post('/api/v1/auths/signup-phone').send({ phone, code: await h.codeFor(phone, 'register'), name: 'P', password: 'first-password' }).expect(201);
      const token = signedUp.body.token;
      const wrong = await t.http.post('/api/v1/auths/bind-email').set(bearer(token)).send({ email: 'p@example.com', password: 'not-the-password' }).expect(400);
      expect(wrong.body.details[0].field).toBe('password');
      const taken = await t.http.post('/api/v1/auths/bind-email').set(bearer(token)).send({ email: 'admin@example.com', password: 'first-password' }).expect(409);
      expect(taken.body.message).toBe('An account with this email already exists');
      const bound = await t.http.post('/api/v1/auths/bind-email').set(bearer(token)).send({ email: 'P@Example.com', password: 'first-password' }).expect(200);
      expect(bound.body).toMatchObject({ email: 'p@example.com', phone });
      await t.http.post('/api/v1/auths/signin').send({ email: 'p@example.com', password: 'first-password' }).expect(200);
    });

    it('sets the password when an account without one binds an email', async () => {
      const phone = newPhone();
      const signedUp = await t.http.post('/api/v1/auths/signup-phone').send({ phone, code: await h.codeFor(phone, 'register'), name: 'P', password: 'first-password' }).expect(201);
      await h.sql(`UPDATE users SET password_hash = NULL WHERE id = $1`, [signedUp.body.user.id]);
      const token = signedUp.body.token;
      const short = await t.http.post('/api/v1/auths/bind-email').set(bearer(token)).send({ email: 'nopw@example.com', password: 'short' }).expect(400);
      expect(short.body.details[0].field).toBe('password');
      await t.http.post('/api/v1/auths/bind-email').set(bearer(token)).send({ email: 'nopw@example.com', password: 'brand-new-password' }).expect(200);
      await t.http.post('/api/v1/auths/signin').send({ email: 'nopw@example.com', password: 'brand-new-password' }).expect(200);
    });

    it('refuses an unbind that would leave no way to sign in', async () => {
      const phone = newPhone();
      const signedUp = await t.http.post('/api/v1/auths/signup-phone').send({ phone, code: await h.codeFor(phone, 'register'), name: 'P', password: 'first-password' }).expect(201);
      const token = signedUp.body.token;
      const status = await t.http.get('/api/v1/auths/binding-status').set(bearer(token)).expect(200);
      expect(status.body).toMatchObject({ canUnbindPhone: false, canUnbindEmail: false });
      const phoneOnly = await t.http.delete('/api/v1/auths/unbind-phone').set(bearer(token)).expect(409);
      expect(phoneOnly.body.message).toMatch(/Bind an email with a password first/);
      await t.http.delete('/api/v1/auths/unbind-email').set(bearer(token)).expect(409);

      const emailUser = await signUp(t.http);
      const emailOnly = await t.http.delete('/api/v1/auths/unbind-email').set(bearer(emailUser.token)).expect(409);
      expect(emailOnly.body.message).toBe('Bind a phone number first: without the email this account could not sign in');

      await t.http.post('/api/v1/auths/bind-email').set(bearer(token)).send({ email: `both-${phone}@example.com`, password: 'first-password' }).expect(200);
      await t.http.delete('/api/v1/auths/unbind-phone').set(bearer(token)).expect(200);
      const after = await t.http.get('/api/v1/auths/binding-status').set(bearer(token)).expect(200);
      expect(after.body).toMatchObject({ phone: null, canUnbindEmail: false });
    });
  });

  describe('SMS settings (admin)', () => {
    afterEach(() => h.sql('DELETE FROM sms_settings'));

    it('shows the sandbox defaults until saved, and only to admins', async () => {
      const user = await signUp(t.http);
      await t.http.get('/api/v1/auths/sms/config').set(bearer(user.token)).expect(403);
      await t.http.post('/api/v1/auths/sms/config').set(bearer(user.token)).send({}).expect(403);
      const config = await t.http.get('/api/v1/auths/sms/config').set(bearer(admin.token)).expect(200);
      expect(config.body).toMatchObject({ provider: 'sandbox', enabled: true, passwordSet: false, sandboxAvailable: true, usesSandbox: true, saved: false, signature: '【Atelier】' });
    });

    it('refuses null for an optional settings field with a 400 naming it', async () => {
      const body = { provider: 'smsbao', enabled: true, signature: '【Atelier】', template: '您的验证码是{code}，{minutes}分钟内有效。' };
      for (const field of ['username', 'password', 'baseUrl', 'cooldownSeconds', 'maxPerPhonePerDay', 'maxPerIpPerHour']) {
        const response = await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send({ ...body, [field]: null }).expect(400);
        expect(response.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    });

    it('stores the password encrypted, never returns it, and keeps it when saved empty', async () => {
      const body = { provider: 'smsbao', enabled: true, username: 'shop', password: 'super-secret-pw', signature: '【万千购】', template: '您的验证码是{code}，{minutes}分钟内有效。' };
      const saved = await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send(body).expect(200);
      expect(saved.body).toMatchObject({ provider: 'smsbao', username: 'shop', passwordSet: true, usesSandbox: false, saved: true, baseUrl: 'https://api.smsbao.com' });
      expect(JSON.stringify(saved.body)).not.toContain('super-secret-pw');
      const [row] = await h.sql('SELECT * FROM sms_settings');
      expect(JSON.stringify(row)).not.toContain('super-secret-pw');
      expect(row.password_encrypted).toMatch(/^v1\./);

      await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send({ ...body, password: '' }).expect(200);
      const [kept] = await h.sql('SELECT password_encrypted FROM sms_settings');
      expect(kept.password_encrypted).toBe(row.password_encrypted);
      const get = await t.http.get('/api/v1/auths/sms/config').set(bearer(admin.token)).expect(200);
      expect(get.body.passwordSet).toBe(true);
      expect(JSON.stringify(get.body)).not.toContain('super-secret-pw');
    });

    it.each([
      [{ provider: 'twilio' }, 'provider'],
      [{ enabled: 'yes' }, 'enabled'],
      [{ signature: 'Atelier' }, 'signature'],
      [{ signature: '【AB】' }, 'signature'],
      [{ template: 'no code here' }, 'template'],
      [{ baseUrl: 'ftp://x' }, 'baseUrl'],
      [{ cooldownSeconds: 5 }, 'cooldownSeconds'],
      [{ provider: 'smsbao', username: '' }, 'username'],
    ])('rejects %j naming %s', async (override, field) => {
      const body = { provider: 'sandbox', enabled: true, signature: '【Atelier】', template: '验证码{code}', ...override };
      const response = await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send(body).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('sends through the real smsbao protocol to the configured base URL, reporting its refusals', async () => {
      const baseUrl = `${t.baseUrl}/sandbox/smsbao`;
      const base = { provider: 'smsbao', enabled: true, baseUrl, signature: '【Atelier】', template: '验证码{code}' };
      await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send({ ...base, username: 'sandbox', password: 'wrong' }).expect(200);
      const refused = await h.send(newPhone(), 'register').expect(502);
      expect(refused.body.message).toMatch(/wrong password or API key \(code 30\)/);
      const balanceRefused = await t.http.get('/api/v1/auths/sms/balance').set(bearer(admin.token)).expect(502);
      expect(balanceRefused.body.message).toMatch(/code 30/);
      // A failure without a result code is worded in the admin's language too (the low-level cause kept).
      await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send({ ...base, baseUrl: 'http://127.0.0.1:1', username: 'sandbox', password: 'sandbox-sms-password' }).expect(200);
      const unreachable = await t.http.post('/api/v1/auths/sms/test').set(bearer(admin.token)).set('Accept-Language', 'zh-CN').send({ phone: '13800138099' }).expect(502);
      expect(unreachable.body.message).toMatch(/^短信服务商未能发送短信：无法连接短信宝：\S/);
      expect(unreachable.body.message).not.toMatch(/could not be reached/);

      await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send({ ...base, username: 'sandbox', password: 'sandbox-sms-password' }).expect(200);
      const phone = newPhone();
      await h.send(phone, 'register').expect(200);
      expect((await h.outbox(phone))[0].content).toMatch(/^【Atelier】验证码\d{6}$/);
    });

    it('sends a test SMS and reports the balance', async () => {
      await t.http.post('/api/v1/auths/sms/test').set(bearer(admin.token)).send({ phone: '13800138099' }).expect(200);
      expect((await h.outbox('13800138099')).at(-1)?.content).toMatch(/^【Atelier】这是一条测试短信/);
      const refused = await t.http.post('/api/v1/auths/sms/test').set(bearer(admin.token)).send({ phone: '13900000042' }).expect(502);
      expect(refused.body.message).toMatch(/expired \(code 42\)/);
      const balance = await t.http.get('/api/v1/auths/sms/balance').set(bearer(admin.token)).expect(200);
      expect(balance.body).toEqual({ sent: expect.any(Number), remaining: expect.any(Number) });
      expect(balance.body.sent + balance.body.remaining).toBe(1000);
    });

    it('answers 503 when SMS is disabled, and refuses the sandbox provider outside sandbox mode', async () => {
      await t.http.post('/api/v1/auths/sms/config').set(bearer(admin.token)).send({ provider: 'sandbox', enabled: false, signature: '【Atelier】', template: '{code}' }).expect(200);
      const disabled = await h.send(newPhone(), 'register').expect(503);
      expect(disabled.body.message).toMatch(/not configured/);

      const production = await startTestApp({ env: { SANDBOX: 'false' } });
      try {
        const first = await signUp(production.http);
        const config = await production.http.get('/api/v1/auths/sms/config').set(bearer(first.token)).expect(200);
        expect(config.body).toMatchObject({ provider: 'smsbao', enabled: false, sandboxAvailable: false, usesSandbox: false });
        const refused = await production.http
          .post('/api/v1/auths/sms/config')
          .set(bearer(first.token))
          .send({ provider: 'sandbox', enabled: true, signature: '【Atelier】', template: '{code}' })
          .expect(400);
        expect(refused.body.details[0].field).toBe('provider');
        await production.http.post('/api/v1/auths/send-sms-code').send({ phone: '13800138000', purpose: 'register' }).expect(503);
      } finally {
        await production.close();
      }
    });
  });

  it('purges codes that can no longer be used, on a schedule', async () => {
    const phone = newPhone();
    await h.codeFor(phone, 'register');
    const expired = newPhone();
    await h.codeFor(expired, 'register');
    await h.sql(`UPDATE verification_codes SET expires_at = now() - interval '1 minute' WHERE phone = $1`, [expired]);
    await h.sql(`INSERT INTO sms_sends (phone, ip, kind, sent_at) VALUES ('13800000000', '1.2.3.4', 'register', now() - interval '3 days')`);
    const purged = await t.app.get(SmsCodeService).purgeExpired();
    expect(purged.codes).toBeGreaterThanOrEqual(1);
    expect(purged.sends).toBe(1);
    expect(await h.sql(`SELECT * FROM verification_codes WHERE phone = $1`, [expired])).toEqual([]);
    expect(await h.sql(`SELECT status FROM verification_codes WHERE phone = $1`, [phone])).toEqual([{ status: 'active' }]);
  });
});
