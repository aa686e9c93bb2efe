import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

describe('web app: phone accounts', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    browser = await launchBrowser();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** The code of the last SMS the sandbox "sent" to a phone. */
  const codeFromOutbox = async (phone: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const messages = (await (await fetch(`${t.baseUrl}/sandbox/_control/sms?phone=${phone}`)).json()) as Array<{ content: string }>;
      const code = /(\d{6})/.exec(messages.at(-1)?.content ?? '')?.[1];
      if (code) return code;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no SMS reached ${phone}`);
  };

  it('signs up by phone with the code from the sandbox outbox, binds an email, then signs in with it', async () => {
    await page.goto(`${t.baseUrl}/signup`);
    await page.fill('input[name=identifier]', '+86 139-1234-5678');
    // Phone mode: a code field and a "get code" button; the sandbox outbox is linked.
    await page.waitForSelector('input[name=code]');
    expect(await page.getAttribute('[data-testid=sandbox-outbox-link]', 'href')).toBe('/sandbox/_control/sms?phone=13912345678');
    await page.click('[data-testid=send-code]');
    // The button counts down and stays disabled.
    await page.waitForFunction(() => (document.querySelector('[data-testid=send-code]') as HTMLButtonElement | null)?.disabled === true);
    await page.fill('input[name=code]', await codeFromOutbox('13912345678'));
    await page.fill('input[name=name]', 'Mei Phone');
    await page.fill('input[name=password]', 'phone user password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=current-user]');
    expect(await page.textContent('[data-testid=current-user]')).toContain('Mei Phone');

    await page.click('[data-testid=nav-settings]');
    await page.waitForSelector('[data-testid=bindings-card]');
    expect(await page.textContent('[data-testid=bound-phone]')).toContain('13912345678');
    await page.click('[data-testid=bind-email]');
    await page.fill('input[name=bindEmail]', 'mei@example.com');
    await page.fill('input[name=bindPassword]', 'phone user password');
    await page.click('[data-testid=confirm-bind-email]');
    await page.waitForFunction(() => document.querySelector('[data-testid=bound-email]')?.textContent?.includes('mei@example.com'));

    await page.click('[data-testid=sign-out]');
    await page.waitForURL('**/signin');
    await page.fill('input[name=identifier]', 'mei@example.com');
    await page.waitForSelector('input[name=password]');
    await page.fill('input[name=password]', 'phone user password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=current-user]');
    expect(await page.textContent('[data-testid=current-user]')).toContain('Mei Phone');
    const me = await page.evaluate(async () => {
      const response = await fetch('/api/v1/users/me', { headers: { Authorization: `Bearer ${localStorage.getItem('atelier.token')}` } });
      return response.json();
    });
    expect(me).toMatchObject({ phone: '13912345678', email: 'mei@example.com', role: 'admin' });

    // The number with the password works too: no code needed.
    await page.click('[data-testid=sign-out]');
    await page.waitForURL('**/signin');
    await page.fill('input[name=identifier]', '139 1234 5678');
    await page.waitForSelector('input[name=code]');
    await page.click('[data-testid=phone-method-password]');
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=signin-error]:text-is("手机号或密码不正确")');
    await page.fill('input[name=password]', 'phone user password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=current-user]');
    expect(await page.textContent('[data-testid=current-user]')).toContain('Mei Phone');
  });

  it('fits a phone’s width: no sideways scrolling of the page, the current section in view', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['/images', '/history', '/files', '/settings', '/admin/flux']) {
      await page.goto(`${t.baseUrl}${path}`);
      await page.waitForSelector('[data-testid=current-user]');
      await page.waitForLoadState('networkidle');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
    }
    // The admin sections scroll sideways on their own; the current one is shown.
    const tab = await page.locator('[data-testid=admin-tab-flux]').boundingBox();
    expect(tab!.x).toBeGreaterThanOrEqual(0);
    expect(tab!.x + tab!.width).toBeLessThanOrEqual(390);
    const signOut = await page.locator('[data-testid=sign-out]').boundingBox();
    expect(signOut!.x + signOut!.width).toBeLessThanOrEqual(390);
  });
});
