import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { TaskEngine } from '../../api/src/modules/scheduler/task-engine.service.js';
import { bearer, queryDatabase, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

const SCHNELL = 'fal-ai/flux-1/schnell';

/**
 * Issue 15, "a newcomer's walkthrough": the studio, its task cards and their cancel question at
 * 1366×900, in Chinese.
 */
describe('web app: a newcomer in the image studio', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let user: User;
  let admin: User;

  const card = (id: string): Locator => page.locator(`[data-testid=task-card][data-task-id="${id}"]`).first();
  const balance = async () => (await t.http.get('/api/v1/credits').set(bearer(user.token)).expect(200)).body.balance as number;
  const task = async (id: string) => (await t.http.get(`/api/v1/tasks/${id}`).set(bearer(user.token)).expect(200)).body;
  const generate = async (body: Record<string, unknown>) =>
    (await t.http.post('/api/v1/flux/text-to-image').set(bearer(user.token)).send({ model: SCHNELL, ...body }).expect(201)).body;
  const waitFor = async (what: () => Promise<boolean>, label: string) => {
    const started = Date.now();
    while (!(await what())) {
      if (Date.now() - started > 15_000) throw new Error(`timed out waiting for ${label}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** Whether the whole element is inside the window. */
  const inWindow = (locator: Locator) =>
    locator.evaluate((element) => {
      const box = element.getBoundingClientRect();
      return box.top >= 0 && box.bottom <= window.innerHeight && box.left >= 0 && box.right <= window.innerWidth;
    });

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    admin = await signUp(t.http, { name: 'Ada Admin' });
    user = await signUp(t.http, { name: '小林' });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('keeps the price and the 生成 button in sight with its shortcut, counts a long prompt, and shows the new card', async () => {
    // Enough earlier generations to make the page scroll.
    for (let i = 0; i < 6; i++) await generate({ prompt: `earlier picture ${i}` });
    await page.goto(`${t.baseUrl}/images`);
    await page.waitForSelector('[data-testid=studio-recent-grid] [data-testid=task-card]');
    // The longest form: dev has the most parameters.
    for (const model of ['fal-ai/flux-1/dev', SCHNELL]) {
      await page.selectOption('[data-testid=studio-model]', model);
      await page.waitForSelector(`[data-testid=studio-param-numInferenceSteps][max="${model === SCHNELL ? 12 : 50}"]`);
      const button = page.locator('[data-testid=studio-submit]');
      expect(await inWindow(button)).toBe(true);
      expect(await inWindow(page.locator('[data-testid=studio-price]'))).toBe(true);
      // Not covered by the fields scrolling under it.
      expect(
        await button.evaluate((element) => {
          const box = element.getBoundingClientRect();
          return element.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
        }),
      ).toBe(true);
    }
    expect(await page.textContent('[data-testid=studio-submit-shortcut]')).toBe('Ctrl Enter');
    expect(await page.getAttribute('[data-testid=studio-submit]', 'aria-keyshortcuts')).toContain('Control+Enter');

    // The 4,000-character limit is said before it is reached, and when it is.
    const prompt = page.locator('[data-testid=studio-prompt]');
    await prompt.fill('山'.repeat(3000));
    expect(await page.locator('[data-testid=studio-prompt-count]').count()).toBe(0);
    await prompt.fill('山'.repeat(3600));
    expect(await page.textContent('[data-testid=studio-prompt-count]')).toBe('3,600 / 4,000 字');
    await prompt.fill('山'.repeat(4000));
    expect(await page.textContent('[data-testid=studio-prompt-count]')).toContain('已达到 4,000 字上限');

    // Scrolled down to the older cards, the newcomer submits with Ctrl+Enter: the new card comes into view.
    await prompt.fill('两只猫在沙发上');
    await page.click('[data-testid=studio-param-numImages] label:has(input[value="2"])');
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(100);
    await prompt.press('Control+Enter');
    const job = page.locator('[data-testid=studio-jobs] [data-testid=task-card]').first();
    await job.waitFor();
    const id = (await job.getAttribute('data-task-id'))!;
    await page.waitForFunction(
      (taskId) => {
        const box = document.querySelector(`[data-testid=studio-jobs] [data-task-id="${taskId}"]`)?.getBoundingClientRect();
        return !!box && box.top >= 0 && box.top < window.innerHeight - 100;
      },
      id,
      { timeout: 5000 },
    );

    // Two landscape images: the card takes two columns and shows them side by side, uncropped.
    await page.waitForSelector(`[data-testid=studio-jobs] [data-task-id="${id}"][data-status=succeeded]`);
    const pair = page.locator(`[data-testid=studio-jobs] [data-task-id="${id}"]`);
    expect(await pair.getAttribute('data-wide')).toBe('');
    expect(await pair.locator('[data-testid=task-outputs]').getAttribute('data-rows')).toBe('2');
    expect((await pair.boundingBox())!.width).toBeGreaterThan(450);
    for (const output of await pair.locator('[data-testid=task-output]').all()) {
      const box = (await output.boundingBox())!;
      expect(Math.abs(box.width / box.height - 4 / 3)).toBeLessThan(0.08);
    }
  });

  it('keeps the price and the 生成 button in sight on a phone too, while the form scrolls', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const small = await phone.newPage();
      await small.goto(`${t.baseUrl}/signin`);
      await small.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
      await small.goto(`${t.baseUrl}/images`);
      await small.waitForSelector('[data-testid=studio-model]');
      await small.screenshot({ path: '/tmp/ux-phone.png' });
      for (const y of [0, 400]) {
        await small.evaluate((top) => window.scrollTo(0, top), y);
        await small.waitForTimeout(100);
        const box = (await small.locator('[data-testid=studio-submit]').boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(844);
      }
    } finally {
      await phone.close();
    }
  });

  it('lays out three images in one row without an empty tile, and does not cut the model name', async () => {
    const three = await generate({ prompt: 'three pictures', numImages: 3, imageSize: 'square' });
    await waitFor(async () => (await task(three.id)).status === 'succeeded', 'three images');
    await page.goto(`${t.baseUrl}/images`);
    const tile = card(three.id);
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${three.id}"][data-status=succeeded]`);
    expect(await tile.locator('[data-testid=task-outputs]').getAttribute('data-rows')).toBe('3');
    const media = (await tile.locator('[data-testid=task-outputs]').boundingBox())!;
    let covered = 0;
    for (const output of await tile.locator('[data-testid=task-output]').all()) {
      const box = (await output.boundingBox())!;
      covered += box.width * box.height;
      expect(Math.abs(box.width / box.height - 1)).toBeLessThan(0.05);
    }
    // Everything but the 2 px gaps is picture.
    expect(covered / (media.width * media.height)).toBeGreaterThan(0.97);
    const title = tile.locator('.task-title');
    expect(await title.evaluate((element) => element.scrollHeight <= element.clientHeight + 1 && element.scrollWidth <= element.clientWidth + 1)).toBe(true);
    expect(await title.textContent()).toContain('FLUX.1 [schnell]');
  });

  it('asks before canceling a task the card still shows as queued but the provider has started, and keeps it when told to', async () => {
    const slow = await generate({ prompt: 'sandbox:slow 一只猫' });
    await waitFor(async () => (await task(slow.id)).status === 'running', 'the slow job to start');
    // Another instance holds it and has not polled since fal started it: our record still says queued.
    await t.app.get(TaskEngine).idle();
    await queryDatabase(
      t.database,
      `UPDATE generation_tasks SET status = 'queued', started_at = NULL, next_poll_at = now() + interval '1 hour', lease_owner = 'elsewhere', lease_until = now() + interval '1 hour' WHERE id = $1`,
      [slow.id],
    );
    const before = await balance();
    await page.goto(`${t.baseUrl}/images`);
    const queued = card(slow.id);
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${slow.id}"][data-status=queued]`);
    expect(await queued.locator('[data-testid=task-status]').textContent()).toBe('排队中');

    // The server knows it has started: the card asks, with buttons named by what they do.
    await queued.locator('[data-testid=task-cancel]').click();
    const dialog = page.locator('[data-testid=confirm-dialog]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('不会退还这 3 积分');
    expect(await page.textContent('[data-testid=confirm-cancel-task-keep]')).toContain('保留任务');
    expect(await page.textContent('[data-testid=confirm-cancel-task]')).toContain('取消并放弃 3 积分');
    await page.click('[data-testid=confirm-cancel-task-keep]');
    await dialog.waitFor({ state: 'detached' });
    expect((await task(slow.id)).status).toBe('queued');
    expect(await balance()).toBe(before);

    await queued.locator('[data-testid=task-cancel]').click();
    await dialog.waitFor();
    await page.click('[data-testid=confirm-cancel-task]');
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${slow.id}"][data-status=canceled]`);
    expect(await balance()).toBe(before);
    expect(await task(slow.id)).toMatchObject({ status: 'canceled', refunded: false });
  });

  it('closes the cancel question when its task finishes meanwhile', async () => {
    await t.http.post('/sandbox/_control/timing').send({ runMinMs: 2500, runMaxMs: 2500 }).expect(200);
    try {
      const ending = await generate({ prompt: 'about to finish' });
      await page.goto(`${t.baseUrl}/images`);
      await page.waitForSelector(`[data-testid=task-card][data-task-id="${ending.id}"][data-status=running]`);
      await card(ending.id).locator('[data-testid=task-cancel]').click();
      const dialog = page.locator('[data-testid=confirm-dialog]');
      await dialog.waitFor();
      await page.waitForSelector(`[data-testid=task-card][data-task-id="${ending.id}"][data-status=succeeded]`, { timeout: 10_000 });
      await dialog.waitFor({ state: 'detached', timeout: 2000 });
      await page.locator('[data-testid=toast]', { hasText: '任务已经结束，无需取消' }).first().waitFor();
      expect((await task(ending.id)).status).toBe('succeeded');
    } finally {
      await t.http.post('/sandbox/_control/timing').send({ runMinMs: 20, runMaxMs: 40 }).expect(200);
    }
  });

  it('names a generated file by its prompt and day, downloads it under that name, and offers it as an input', async () => {
    const made = await generate({ prompt: '一只猫 on a Sofa!' });
    await waitFor(async () => (await task(made.id)).status === 'succeeded', 'the picture');
    const output = (await task(made.id)).outputs[0];
    const day = new Date((await task(made.id)).createdAt);
    const date = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    const name = `一只猫-on-a-sofa-${date}.${output.url.split('.').pop()}`;

    await page.goto(`${t.baseUrl}/files`);
    const fileCard = page.locator(`[data-testid=file-card][data-file-id="${output.id}"]`);
    await fileCard.waitFor();
    expect(await fileCard.locator('.file-name').textContent()).toBe(name);
    await fileCard.locator('.file-open').click();
    const preview = page.locator('[data-testid=file-preview]');
    await preview.waitFor();
    expect(await preview.locator('[data-testid=preview-prompt]').textContent()).toBe('一只猫 on a Sofa!');
    const download = preview.locator('[data-testid=download-file]');
    expect(await download.getAttribute('download')).toBe(name);
    const href = (await download.getAttribute('href'))!;
    const answer = await fetch(new URL(href, t.baseUrl));
    expect(decodeURIComponent(answer.headers.get('content-disposition')!.split("UTF-8''")[1])).toBe(name);

    // 用作输入 opens the studio in image-to-image with this picture.
    await preview.locator('[data-testid=preview-use-input]').click();
    await page.waitForURL(`${t.baseUrl}/images`);
    await page.waitForSelector(`[data-testid=studio-input-image][data-file-id="${output.id}"]`);
    expect(await page.getAttribute('[data-testid=studio-mode-image]', 'aria-pressed')).toBe('true');
    expect(await page.locator('[data-testid=file-preview]').count()).toBe(0);
  });

  it('says in Chinese what a refund was for, and at 0 credits how to get more, with the link made safe', async () => {
    const failed = await generate({ prompt: 'sandbox:fail 一只猫' });
    await waitFor(async () => (await task(failed.id)).status === 'failed', 'the flagged task');
    await page.goto(`${t.baseUrl}/settings`);
    const refund = page.locator(`[data-testid=ledger-row][data-kind=refund]`).first();
    await refund.waitFor();
    const words = await refund.locator('[data-testid=ledger-reason]').textContent();
    expect(words).toBe('退还：FLUX.1 [schnell] 极速文生图 · 内容被安全检查拦截');
    expect(words).not.toMatch(/fal-ai|flagged/);
    const charge = await page.locator(`[data-testid=ledger-row][data-kind=charge] [data-testid=ledger-reason]`).first().textContent();
    expect(charge).toBe('生成：FLUX.1 [schnell] 极速文生图');

    // The admin says how to top up (HTML in it stays text); the user whose credits ran out reads it in the studio.
    const message = '充值请联系管理员 <b>微信</b> atelier-admin，或访问 https://example.com/top-up。';
    await t.http.put('/api/v1/admin/credits/settings').set(bearer(admin.token)).send({ signupGrant: 100, topUpMessage: message }).expect(200);
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: -(await balance()), reason: 'spent' }).expect(200);
    await page.goto(`${t.baseUrl}/images`);
    const topUp = page.locator('[data-testid=studio-top-up]');
    await topUp.waitFor();
    expect(await page.isDisabled('[data-testid=studio-submit]')).toBe(true);
    expect(await topUp.textContent()).toBe(message);
    expect(await topUp.locator('b').count()).toBe(0);
    expect(await topUp.locator('a').getAttribute('href')).toBe('https://example.com/top-up');
    expect(await topUp.locator('a').getAttribute('rel')).toContain('noopener');
    expect(await inWindow(topUp)).toBe(true);
  });
});
