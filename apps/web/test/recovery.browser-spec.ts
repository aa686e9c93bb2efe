import type { Browser, Page } from 'playwright-core';
import { bearer, queryDatabase, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

/** Getting into an account: the first-admin notice, inline sign-in errors, password reset by SMS, admin-set passwords. */
describe('web app: account recovery', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const newPage = async (): Promise<Page> => (await browser.newContext()).newPage();

  const codeFromOutbox = async (phone: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const messages = (await (await fetch(`${t.baseUrl}/sandbox/_control/sms?phone=${phone}`)).json()) as Array<{ content: string }>;
      const code = /(\d{6})/.exec(messages.at(-1)?.content ?? '')?.[1];
      if (code) return code;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no SMS reached ${phone}`);
  };

  const signIn = async (page: Page, identifier: string, password: string) => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('input[name=identifier]', identifier);
    if (/^\d+$/.test(identifier)) await page.click('[data-testid=phone-method-password]');
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
  };

  it('says on the sign-up page of a fresh install that the first account becomes the administrator', async () => {
    const page = await newPage();
    await page.goto(`${t.baseUrl}/signup`);
    await page.waitForSelector('[data-testid=first-account-admin]:has-text("第一个注册的账户将成为管理员")');
    await t.http.post('/api/v1/auths/signup').send({ name: 'Ada Admin', email: 'ada@example.com', password: 'admin-password' }).expect(201);
    await page.reload();
    await page.waitForSelector('input[name=identifier]');
    await page.waitForFunction(() => !!document.querySelector('[data-testid=sandbox-badge]'));
    expect(await page.locator('[data-testid=first-account-admin]').count()).toBe(0);
    await page.context().close();
  });

  it('shows a wrong password on the sign-in form itself, not only as a toast', async () => {
    const page = await newPage();
    await signIn(page, 'ada@example.com', 'not-the-password');
    await page.waitForSelector('[data-testid=signin-error]:text-is("邮箱或密码不正确")');
    expect(await page.locator('[data-testid=toast]:has-text("邮箱或密码不正确")').count()).toBe(0);
    expect(page.url()).toMatch(/\/signin$/);
    await page.fill('input[name=password]', 'admin-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=nav-admin]');
    expect(await page.locator('[data-testid=signin-error]').count()).toBe(0);
    await page.context().close();
  });

  it('resets a forgotten password with an SMS code from the sign-in page, ending the old sessions', async () => {
    const phone = '13912340001';
    await t.http.post('/api/v1/auths/send-sms-code').send({ phone, purpose: 'register' }).expect(200);
    const signedUp = await t.http
      .post('/api/v1/auths/signup-phone')
      .send({ phone, code: await codeFromOutbox(phone), name: 'Forgetful', password: 'forgotten-password' })
      .expect(201);
    // As if the one-code-per-minute cooldown of that sign-up code had passed.
    await queryDatabase(t.database, `UPDATE sms_sends SET sent_at = sent_at - interval '1 hour'`);

    const page = await newPage();
    await page.goto(`${t.baseUrl}/signin`);
    await page.click('[data-testid=forgot-password]:text-is("忘记密码？")');
    await page.waitForURL('**/forgot-password');
    await page.fill('input[name=phone]', phone);
    await page.click('[data-testid=send-code]');
    await page.waitForSelector('[data-testid=send-code]:disabled');
    await page.fill('input[name=code]', await codeFromOutbox(phone));
    await page.fill('input[name=newPassword]', 'short');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=field-error-newPassword]');
    await page.fill('input[name=newPassword]', 'remembered-password');
    await page.click('button[type=submit]');
    await page.waitForURL('**/images');
    expect(await page.textContent('[data-testid=current-user]')).toContain('Forgetful');

    await t.http.get('/api/v1/users/me').set(bearer(signedUp.body.token)).expect(401);
    await t.http.post('/api/v1/auths/signin-phone-password').send({ phone, password: 'remembered-password' }).expect(200);
    await page.context().close();
  });

  it('lets an admin set a password from Admin › Users; the user is asked to change it, and keeps their session when they do', async () => {
    await t.http.post('/api/v1/auths/signup').send({ name: 'Bob', email: 'bob@example.com', password: 'bob-password' }).expect(201);
    const admin = await newPage();
    await signIn(admin, 'ada@example.com', 'admin-password');
    await admin.waitForSelector('[data-testid=nav-admin]');
    await admin.goto(`${t.baseUrl}/admin/users`);
    const row = admin.locator('[data-testid=user-row]', { hasText: 'bob@example.com' });
    await row.locator('[data-testid=set-password]').click();
    await admin.waitForSelector('[data-testid=set-password-dialog]');
    await admin.fill('[data-testid=set-password-dialog] input[name=newPassword]', 'temporary-password');
    await admin.click('[data-testid=confirm-set-password]');
    await admin.waitForSelector('[data-testid=toast]:has-text("已为 Bob 设置新密码")');
    await admin.waitForSelector('[data-testid=set-password-dialog]', { state: 'detached' });

    const bob = await newPage();
    await signIn(bob, 'bob@example.com', 'temporary-password');
    await bob.waitForSelector('[data-testid=must-change-password]');
    await bob.click('[data-testid=must-change-password] a');
    await bob.waitForURL('**/settings');
    await bob.fill('input[name=currentPassword]', 'temporary-password');
    await bob.fill('input[name=newPassword]', 'temporary-password');
    await bob.locator('form:has(input[name=currentPassword]) button[type=submit]').click();
    // The same password again is refused, on the field.
    await bob.waitForSelector('[data-testid=field-error-newPassword]:has-text("新密码不能与当前密码相同")');
    await bob.fill('input[name=newPassword]', 'bobs-own-password');
    await bob.locator('form:has(input[name=currentPassword]) button[type=submit]').click();
    await bob.waitForSelector('[data-testid=must-change-password]', { state: 'detached' });
    // The password change ended the old token, but this tab got the new one: still signed in after a reload.
    await bob.reload();
    await bob.waitForSelector('[data-testid=current-user]:has-text("Bob")');
    expect(bob.url()).toMatch(/\/settings$/);
    await admin.context().close();
    await bob.context().close();
  });
});
