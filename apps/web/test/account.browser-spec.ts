import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

describe('web app: accounts, API keys and admin', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const toastWith = (p: Page, text: string) => p.waitForSelector(`[data-testid=toast]:has-text(${JSON.stringify(text)})`);

  it('signs up the first user as admin, creates an API key that works, signs out and in again', async () => {
    const base = t.baseUrl!;
    await page.goto(base + '/');
    await page.waitForURL('**/signin');
    // Chinese by default, and the sandbox is announced.
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.waitForSelector('[data-testid=sandbox-badge]');

    await page.click('a[href="/signup"]');
    await page.fill('input[name=name]', 'Ada Admin');
    await page.fill('input[name=identifier]', 'ada@example.com');
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');

    await page.waitForSelector('[data-testid=nav-admin]');
    expect(await page.textContent('[data-testid=current-user]')).toContain('Ada Admin');
    // Home is the image studio.
    await page.waitForSelector('[data-testid=studio-model]');
    // Every new account starts with 100 credits, shown in the layout.
    await page.waitForSelector('[data-testid=credit-balance][data-balance="100"]');

    await page.click('[data-testid=nav-settings]');
    // A form's own checks speak the page's language, even after a switch.
    await page.fill('input[name=profileName]', '   ');
    await page.locator('form:has(input[name=profileName]) button[type=submit]').click();
    await page.waitForSelector('[data-testid=field-error-profileName]:text-is("请输入名称")');
    await page.click('[data-testid=language-toggle]');
    await page.waitForSelector('[data-testid=field-error-profileName]:text-is("Enter a name")');
    await page.click('[data-testid=language-toggle]');
    // Fixed, it says nothing more.
    await page.fill('input[name=profileName]', 'Ada');
    await page.waitForSelector('[data-testid=field-error-profileName]', { state: 'detached' });
    await page.fill('input[name=apiKeyName]', 'browser test');
    await page.click('[data-testid=create-api-key]');
    const secret = (await page.textContent('[data-testid=api-key-secret]'))!.trim();
    expect(secret).toMatch(/^atl_[\w-]{43}$/);
    await page.waitForSelector('[data-testid=api-key-row]');

    const me = await fetch(`${base}/api/v1/users/me`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'ada@example.com', role: 'admin' });

    await page.click('[data-testid=sign-out]');
    await page.waitForURL('**/signin');
    expect(await page.evaluate(() => localStorage.getItem('atelier.token'))).toBeNull();

    await page.fill('input[name=identifier]', 'ada@example.com');
    await page.fill('input[name=password]', 'wrong password!');
    await page.click('button[type=submit]');
    // The API words it in the page's language, on the form.
    await page.waitForSelector('[data-testid=signin-error]:text-is("邮箱或密码不正确")');

    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=nav-admin]');
    expect(await page.textContent('[data-testid=current-user]')).toContain('Ada Admin');

    // The key still works after signing in again, until it is deleted from the settings page.
    await page.click('[data-testid=nav-settings]');
    await page.click('[data-testid=api-key-row] [data-testid=delete-api-key]');
    await page.waitForSelector('[data-testid=api-key-row]', { state: 'detached' });
    expect((await fetch(`${base}/api/v1/users/me`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(401);
  });

  it('lets the admin find and disable another user (after asking), who is then signed out and told why', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(t.baseUrl + '/signup');
      await other.fill('input[name=name]', 'Bob Member');
      await other.fill('input[name=identifier]', 'bob@example.com');
      await other.fill('input[name=password]', 'another password');
      await other.click('button[type=submit]');
      await other.waitForSelector('[data-testid=current-user]');
      expect(await other.$('[data-testid=nav-admin]')).toBeNull();

      await page.click('[data-testid=nav-admin]');
      await page.fill('input[name=userSearch]', 'bob');
      const row = page.locator('[data-testid=user-row]', { hasText: 'bob@example.com' });
      // The search is debounced: wait for the list to narrow to Bob.
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=user-row]').length === 1);
      await row.waitFor();
      await row.locator('[data-testid=toggle-status]').click();
      // Nothing happens before the admin confirms what it means for Bob.
      const dialog = page.locator('[data-testid=confirm-dialog]');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Bob Member 将立即退出登录，并且无法再登录');
      expect((await fetch(`${t.baseUrl}/api/v1/users/me`, { headers: { Authorization: `Bearer ${await other.evaluate(() => localStorage.getItem('atelier.token'))}` } })).status).toBe(200);
      await page.click('[data-testid=confirm-user-change]');
      await row.locator('[data-testid=toggle-status][data-status=disabled]').waitFor();
      // The API disables Bob at once: his next call fails and the app returns to sign-in.
      await waitUntil(async () => {
        const users = await fetch(`${t.baseUrl}/api/v1/users/me`, { headers: { Authorization: `Bearer ${await other.evaluate(() => localStorage.getItem('atelier.token'))}` } });
        return users.status === 401;
      });
      await other.click('[data-testid=nav-settings]');
      await other.waitForURL('**/signin');
      // Not just dropped at the sign-in page: told that the account was disabled.
      const notice = other.locator('[data-testid=account-disabled-notice]');
      await notice.waitFor();
      expect(await notice.textContent()).toContain('你的账户已被管理员停用');
      // Signing in again is refused with the same words, on the form (as any refused sign-in).
      await other.fill('input[name=identifier]', 'bob@example.com');
      await other.waitForSelector('input[name=password]');
      await other.fill('input[name=password]', 'another password');
      await other.click('button[type=submit]');
      await other.waitForSelector('[data-testid=signin-error]:has-text("该账户已被停用")');
    } finally {
      await other.close();
    }
  });

  it('shows the API’s refusal of a duplicate email', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(t.baseUrl + '/signup');
      await other.fill('input[name=name]', 'Dup');
      await other.fill('input[name=identifier]', 'ada@example.com');
      await other.fill('input[name=password]', 'another password');
      await other.click('button[type=submit]');
      await toastWith(other, '该邮箱已注册');
    } finally {
      await other.close();
    }
  });

  it('switches to English and to the dark theme, and remembers both', async () => {
    await page.click('[data-testid=language-toggle]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.click('[data-testid=theme-toggle]');
    const theme = await page.getAttribute('html', 'data-theme');
    await page.reload();
    await page.waitForSelector('[data-testid=current-user]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getAttribute('html', 'data-theme')).toBe(theme);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
