import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/** A newcomer's walk through the admin pages, in Chinese (the default), on a desktop and a phone. */
describe('web app: admin pages', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let admin: User;
  let members: User[];

  const userRow = (user: User) => page.locator(`[data-testid=user-row][data-user-id="${user.id}"]`);
  const roleOf = async (user: User) => (await t.http.get('/api/v1/admin/users').query({ search: user.email }).set(bearer(admin.token)).expect(200)).body.items[0];

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    admin = await signUp(t.http, { name: 'Ada Admin' });
    members = [];
    for (const name of ['Bo Member', 'Chen Member', 'Dai Member']) members.push(await signUp(t.http, { name }));
    // A ledger with a few rows for the phone's settings page.
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: admin.id, amount: 5, reason: 'a reason long enough to need the room' }).expect(200);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), admin.token);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  describe('users: changes that take something away are asked about first', () => {
    beforeAll(async () => {
      await page.setViewportSize(DESKTOP);
      await page.goto(`${t.baseUrl}/admin/users`);
      await userRow(members[2]).waitFor();
    });

    it('offers an admin no control that would demote or disable their own account', async () => {
      const own = userRow(admin);
      expect(await own.locator('select[name=role]').count()).toBe(0);
      expect(await own.locator('[data-testid=toggle-status]').count()).toBe(0);
      expect(await own.locator('[data-testid=user-role]').textContent()).toBe('管理员');
      // The others' controls are there.
      expect(await userRow(members[0]).locator('select[name=role]').count()).toBe(1);
      expect(await userRow(members[0]).locator('[data-testid=toggle-status]').count()).toBe(1);
    });

    it('says what promoting means, changes nothing when canceled, and applies on confirm', async () => {
      const row = userRow(members[0]);
      await row.locator('select[name=role]').selectOption('admin');
      const dialog = page.locator('[data-testid=confirm-dialog]');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Bo Member 将成为管理员');
      await dialog.getByRole('button', { name: '取消' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(await row.locator('select[name=role]').inputValue()).toBe('user');
      expect((await roleOf(members[0])).role).toBe('user');

      await row.locator('select[name=role]').selectOption('admin');
      await page.click('[data-testid=confirm-user-change]');
      await dialog.waitFor({ state: 'detached' });
      await page.locator('[data-testid=toast]', { hasText: '已将 Bo Member 的角色改为管理员' }).waitFor();
      expect(await row.locator('select[name=role]').inputValue()).toBe('admin');
      expect((await roleOf(members[0])).role).toBe('admin');

      // Demoting says the admin rights go.
      await row.locator('select[name=role]').selectOption('user');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Bo Member 将失去管理员权限');
      await page.click('[data-testid=confirm-user-change]');
      await dialog.waitFor({ state: 'detached' });
      await page.waitForFunction((id) => (document.querySelector(`[data-user-id="${id}"] select[name=role]`) as HTMLSelectElement)?.value === 'user', members[0].id);
      expect((await roleOf(members[0])).role).toBe('user');
    });

    it('says that disabling signs the user out for good, and only then disables', async () => {
      const row = userRow(members[1]);
      await row.locator('[data-testid=toggle-status]').click();
      const dialog = page.locator('[data-testid=confirm-dialog]');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Chen Member 将立即退出登录，并且无法再登录');
      expect((await roleOf(members[1])).status).toBe('active');
      await page.click('[data-testid=confirm-user-change]');
      await row.locator('[data-testid=toggle-status][data-status=disabled]').waitFor();
      expect((await roleOf(members[1])).status).toBe('disabled');
      // Enabling again takes nothing away: applied at once.
      await row.locator('[data-testid=toggle-status]').click();
      await row.locator('[data-testid=toggle-status][data-status=active]').waitFor();
      expect(await page.locator('[data-testid=confirm-dialog]').count()).toBe(0);
    });

    it('keeps toasts off the action buttons the user is about to click', async () => {
      // A toast is showing (from enabling Chen): every row's buttons can still be clicked.
      const toast = page.locator('[data-testid=toast]').first();
      await toast.waitFor();
      const box = (await toast.boundingBox())!;
      expect(box.y).toBeLessThan(DESKTOP.height / 4);
      for (const button of await page.locator('[data-testid=toggle-status], [data-testid=grant-credits]').all()) {
        const target = (await button.boundingBox())!;
        const hit = await page.evaluate(
          ({ x, y }) => document.elementFromPoint(x, y)?.closest('[data-testid]')?.getAttribute('data-testid'),
          { x: target.x + target.width / 2, y: target.y + target.height / 2 },
        );
        expect(['toggle-status', 'grant-credits']).toContain(hit);
      }
    });
  });

  it('tests the storage form’s unsaved connection values and words the answer in Chinese', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${t.baseUrl}/admin/storage`);
    await page.locator('[data-testid=storage-config-form]').waitFor();
    await page.selectOption('select[name=storageProvider]', 'cos');
    const sandbox = page.locator('input[name=storageSandbox]');
    if (await sandbox.isChecked()) await sandbox.uncheck();
    await page.fill('input[name=secretId]', 'AKIDsandboxAtelier0000000000000000000');
    await page.fill('input[name=secretKey]', 'not-the-secret-key');
    await page.fill('input[name=region]', 'ap-guangzhou');
    await page.fill('input[name=bucket]', 'atelier-1250000000');
    await page.fill('input[name=domain]', `127.0.0.1:${new URL(t.baseUrl!).port}/sandbox/cos/{Bucket}`);
    await page.selectOption('select[name=protocol]', 'http:');

    await page.click('[data-testid=test-storage]');
    const result = page.locator('[data-testid=storage-test-result]');
    await page.locator('[data-testid=storage-test-result][data-reason=credentials]').waitFor();
    expect(await result.getAttribute('data-state')).toBe('failed');
    expect(await result.locator('[data-testid=check-detail]').textContent()).toMatch(/^详情：COS 拒绝了密钥（SignatureDoesNotMatch）/);

    await page.fill('input[name=secretKey]', 'sandboxAtelierSecretKey0000000000');
    await page.click('[data-testid=test-storage]');
    await page.locator('[data-testid=storage-test-result][data-state=ok]').waitFor();
    expect(await result.locator('[data-testid=check-detail]').textContent()).toBe('详情：COS 可用：存储桶已响应，测试文件已写入并删除');
    // Tested, not saved.
    const config = (await t.http.get('/api/v1/storage/config').set(bearer(admin.token)).expect(200)).body;
    expect(config).toMatchObject({ provider: 'local', saved: false, secretIdSet: false });
  });

  it('shows the storage figures in one row at 1366 px and paints the sidebar to the bottom of a long page', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${t.baseUrl}/admin/storage`);
    await page.locator('[data-testid=stat-successRate]').waitFor();
    const tops = await page.$$eval('[data-testid^=stat-]', (cells) => cells.map((cell) => Math.round(cell.getBoundingClientRect().top)));
    expect(tops).toHaveLength(7);
    expect(new Set(tops).size).toBe(1);

    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeGreaterThan(DESKTOP.height);
    const shot = await page.screenshot({ fullPage: true });
    const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const sidebar = await page.evaluate(() => getComputedStyle(document.querySelector('.sidebar')!).backgroundColor);
    const [r, g, b] = sidebar.match(/\d+/g)!.map(Number);
    // Near the bottom of the page, left of the sidebar's border: the sidebar's colour, not the page's.
    expect(pixel(20, info.height - 10)).toEqual([r, g, b]);
  });

  it('links Flux to the price table instead of repeating it, under the heading every admin tab has, with the check in Chinese', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${t.baseUrl}/admin/users`);
    await userRow(admin).waitFor();
    const heading = await page.locator('h1').textContent();
    await page.click('[data-testid=admin-tab-flux]');
    await page.locator('[data-testid=flux-config-form]').waitFor();
    expect(await page.locator('h1').textContent()).toBe(heading);
    expect(await page.locator('[data-testid=price-row]').count()).toBe(0);
    await page.click('[data-testid=flux-check]');
    await page.locator('[data-testid=flux-health-message][data-state=ok]').waitFor();
    expect(await page.locator('[data-testid=flux-health-message] [data-testid=check-detail]').textContent()).toMatch(/^详情：已连接 http:\/\/\S+，密钥有效$/);
    await page.click('[data-testid=flux-prices-link]');
    await page.waitForURL('**/admin/prices');
    await page.locator('[data-testid=price-row][data-provider=flux]').first().waitFor();
    expect(await page.locator('h1').textContent()).toBe(heading);
  });

  describe('on a phone (390 × 844)', () => {
    beforeAll(() => page.setViewportSize(PHONE));

    /** Whether an element is wholly on screen sideways and its text is not cut. */
    const whole = (selector: string) =>
      page.$$eval(selector, (elements) =>
        elements.map((element) => {
          const box = element.getBoundingClientRect();
          return { text: element.textContent?.trim(), inside: box.left >= 0 && box.right <= window.innerWidth, cut: element.scrollWidth > element.clientWidth + 1 };
        }),
      );

    it('has a compact top bar whose section links and admin tabs show whole words', async () => {
      await page.goto(`${t.baseUrl}/admin/users`);
      await userRow(admin).waitFor();
      const bar = (await page.locator('.sidebar').boundingBox())!;
      expect(bar.height).toBeLessThanOrEqual(120);
      for (const link of [...(await whole('.nav-link')), ...(await whole('.admin-tab'))]) {
        expect(link).toEqual({ text: link.text, inside: true, cut: false });
      }
      expect(await page.textContent('[data-testid=nav-files]')).toContain('我的文件');
    });

    it.each([
      ['/admin/users', '[data-testid=user-row]', ['[data-testid=toggle-status]', '[data-testid=grant-credits]', 'select[name=role]']],
      ['/admin/prices', '[data-testid=price-row]', ['[data-testid=price-input]', '[data-testid=price-reset]']],
      ['/settings', '[data-testid=ledger-row]', ['[data-testid=ledger-delta]']],
    ])('shows %s as stacked cards with every column and button on screen', async (path, rowSelector, controls) => {
      await page.goto(`${t.baseUrl}${path}`);
      await page.locator(rowSelector).first().waitFor();
      const overflow = await page.$$eval('.table-wrap', (wraps) => wraps.map((wrap) => wrap.scrollWidth - wrap.clientWidth));
      expect(Math.max(...overflow)).toBeLessThanOrEqual(0);
      for (const control of controls) {
        const box = (await page.locator(`${rowSelector} ${control}`).first().boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
      }
      // Each value carries its column's name.
      const labels = await page
        .locator(rowSelector)
        .first()
        .evaluate((row) => [...row.querySelectorAll('td[data-label]')].map((cell) => getComputedStyle(cell, '::before').content));
      expect(labels.length).toBeGreaterThan(0);
      for (const label of labels) expect(label).not.toBe('none');
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBe(0);
    });
  });
});
