import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ProviderError } from '../../api/src/modules/scheduler/provider-adapter.js';
import { ProviderRegistry } from '../../api/src/modules/scheduler/provider-registry.js';
import { TaskEventsService } from '../../api/src/modules/scheduler/task-events.service.js';
import { TasksService } from '../../api/src/modules/scheduler/tasks.service.js';
import { MediaKind } from '../../api/src/modules/storage/media-file.entity.js';
import { createFakeAdapter, type FakeProvider, startFakeProvider } from '../../api/test/fixtures/fake-provider.mjs';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

describe('web app: history, live tasks and prices', () => {
  let t: TestApp;
  let provider: FakeProvider;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: User;
  let user: User;

  const submit = (userId: string, prompt: string) =>
    t.app.get(TasksService).submit(userId, { provider: 'fake', model: 'fake-1', kind: MediaKind.Image, action: 'text-to-image', prompt, input: { prompt } });

  const balance = async (token: string) => (await t.http.get('/api/v1/credits').set(bearer(token)).expect(200)).body.balance as number;

  const card = (id: string): Locator => page.locator(`[data-testid=task-card][data-task-id="${id}"]`);

  /** The balance shown in the sidebar. */
  const shownBalance = () => page.locator('[data-testid=credit-balance]').getAttribute('data-balance');

  const signInAs = async (who: User, path: string) => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), who.token);
    await page.goto(`${t.baseUrl}${path}`);
  };

  beforeAll(async () => {
    // Long enough to see a task queued, then running, then done.
    provider = await startFakeProvider({ queueMs: 300, runMs: 1500 });
    t = await startTestApp({
      listen: true,
      env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150', FETCH_ALLOWLIST: `${provider.url}/` },
      // A generous timeout: under a loaded CI machine a 1 s call to the in-process fake provider
      // can time out, and a cancel then (rightly) answers 502 and leaves the task running.
      beforeInit: (app) => app.get(ProviderRegistry).register(createFakeAdapter(provider.url, { ProviderError, timeoutMs: 10_000 })),
    });
    // The first account is the admin.
    admin = await signUp(t.http, { name: 'Ada Admin' });
    user = await signUp(t.http, { name: 'Hana' });
    browser = await launchBrowser();
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await provider?.close();
  });

  it('shows a task submitted while the page is open, live, until it succeeds with its output', async () => {
    await signInAs(user, '/history');
    await page.waitForSelector('[data-testid=history-empty]');
    await page.waitForSelector('[data-testid=task-events-state][data-state=live]');
    await page.waitForSelector('[data-testid=credit-balance][data-balance="100"]');
    // Proves nothing below reloads the page.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

    const task = await submit(user.id, 'a lighthouse at dusk');
    const live = card(task.id);
    await live.waitFor();
    expect(await live.locator('.task-prompt').textContent()).toContain('a lighthouse at dusk');
    // The charge shows in the sidebar at once.
    await page.waitForSelector('[data-testid=credit-balance][data-balance="90"]');
    // Running: a progress bar that moves.
    await live.locator('[data-testid=task-progress]').waitFor();
    await page.waitForFunction(
      (id) => Number(document.querySelector(`[data-task-id="${id}"] [data-testid=task-progress]`)?.getAttribute('aria-valuenow') ?? 0) > 0,
      task.id,
    );
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${task.id}"][data-status=succeeded]`);
    expect(await live.locator('[data-testid=task-cancel]').count()).toBe(0);
    await live.locator('[data-testid=task-output] img[data-testid=task-thumbnail]').waitFor();
    await page.waitForFunction(
      (id) => (document.querySelector(`[data-task-id="${id}"] img[data-testid=task-thumbnail]`) as HTMLImageElement | null)?.naturalWidth === 16,
      task.id,
    );
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  });

  it('shows why a task failed, and gives the credits back', async () => {
    const task = await submit(user.id, 'a cat fake:fail');
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${task.id}"][data-status=failed]`);
    expect(await card(task.id).locator('[data-testid=task-error]').textContent()).toContain('The model could not draw this');
    // Said in the page's language first, then in the provider's words.
    expect(await card(task.id).locator('[data-testid=task-error]').getAttribute('data-error-code')).toBe('failed');
    expect(await card(task.id).locator('[data-testid=task-error] strong').textContent()).toBe('服务商生成失败');
    // The card says the cost came back.
    await card(task.id).locator('[data-testid=task-cost][data-refunded=true]').waitFor();
    expect(await card(task.id).locator('[data-testid=task-cost]').textContent()).toContain('已退还');
    // New tasks go on top.
    expect(await page.locator('[data-testid=task-card]').first().getAttribute('data-task-id')).toBe(task.id);
    expect(await balance(user.token)).toBe(90);
    await page.waitForSelector('[data-testid=credit-balance][data-balance="90"]');
  });

  it('cancels a queued task from its card with a refund, and a running one without', async () => {
    const queued = await submit(user.id, 'waits fake:queued');
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${queued.id}"][data-status=queued]`);
    await card(queued.id).locator('[data-testid=task-queue]').waitFor();
    await page.waitForSelector('[data-testid=credit-balance][data-balance="80"]');
    await card(queued.id).locator('[data-testid=task-cancel]').click();
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${queued.id}"][data-status=canceled]`);
    // The refund shows in the sidebar and in a toast, in the page's language.
    await page.waitForSelector('[data-testid=credit-balance][data-balance="90"]');
    await page.locator('[data-testid=toast]', { hasText: '任务已取消，已退还 10 积分' }).first().waitFor();
    expect(await balance(user.token)).toBe(90);

    const slow = await submit(user.id, 'takes forever fake:slow');
    const running = card(slow.id);
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${slow.id}"][data-status=running]`);
    // The elapsed time ticks.
    const before = await running.locator('[data-testid=task-elapsed]').textContent();
    await page.waitForFunction(
      ({ id, text }) => document.querySelector(`[data-task-id="${id}"] [data-testid=task-elapsed]`)?.textContent !== text,
      { id: slow.id, text: before },
      { timeout: 5000 },
    );
    // It has started, so the provider's work is paid for: the card asks first.
    await running.locator('[data-testid=task-cancel]').click();
    const dialog = page.locator('[data-testid=confirm-dialog]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('取消后不会退还这 10 积分');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await running.getAttribute('data-status')).toBe('running');
    await running.locator('[data-testid=task-cancel]').click();
    await page.click('[data-testid=confirm-cancel-task]');
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${slow.id}"][data-status=canceled]`);
    await page.locator('[data-testid=toast]', { hasText: '已开始的任务不退还积分' }).first().waitFor();
    expect(await balance(user.token)).toBe(80);
    await page.waitForSelector('[data-testid=credit-balance][data-balance="80"]');
    expect(await shownBalance()).toBe('80');
  });

  it('filters by status', async () => {
    await page.selectOption('[data-testid=history-filter-status]', 'succeeded');
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('[data-testid=task-card]')];
      return cards.length === 1 && cards[0].getAttribute('data-status') === 'succeeded';
    });
    await page.selectOption('[data-testid=history-filter-status]', 'canceled');
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('[data-testid=task-card]')];
      return cards.length === 2 && cards.every((item) => item.getAttribute('data-status') === 'canceled');
    });
    // A task finishing meanwhile joins the filtered list when it reaches the status.
    await page.selectOption('[data-testid=history-filter-status]', 'succeeded');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-card]').length === 1);
    const next = await submit(user.id, 'a second lighthouse');
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${next.id}"][data-status=succeeded]`);
    expect(await page.locator('[data-testid=task-card]').first().getAttribute('data-task-id')).toBe(next.id);
    await page.selectOption('[data-testid=history-filter-status]', '');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-card]').length === 5);
  });

  it('reopens a lost event stream and catches up on what changed meanwhile', async () => {
    const task = await submit(user.id, 'waits again fake:queued');
    await page.waitForSelector(`[data-testid=task-card][data-task-id="${task.id}"][data-status=queued]`);
    await page.waitForSelector('[data-testid=task-events-state][data-state=live]');
    const charged = await balance(user.token);
    await page.waitForSelector(`[data-testid=credit-balance][data-balance="${charged}"]`);

    // Every stream's connection drops (as a restart or a proxy would); the task is canceled before the page reconnects.
    const streams = (t.app.get(TaskEventsService) as unknown as { subscribers: Map<string, Set<{ response: { destroy(): void } }>> }).subscribers;
    for (const set of streams.values()) for (const subscriber of set) subscriber.response.destroy();
    await t.http.post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(user.token)).send({ acceptLoss: true }).expect(200);

    await page.waitForSelector(`[data-testid=task-card][data-task-id="${task.id}"][data-status=canceled]`);
    await page.waitForSelector('[data-testid=task-events-state][data-state=live]');
    await page.waitForSelector(`[data-testid=credit-balance][data-balance="${charged + 10}"]`);
  });

  it('opens an output in the viewer: zoom, download, copy the prompt, reuse the settings', async () => {
    const { body } = await t.http.get('/api/v1/history?status=succeeded').set(bearer(user.token)).expect(200);
    const task = body.items.find((item: { prompt: string }) => item.prompt === 'a lighthouse at dusk');
    const output = task.outputs[0];

    await card(task.id).locator('[data-testid=task-output]').first().click();
    const viewer = page.locator('[data-testid=task-viewer]');
    await viewer.waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid=viewer-image]') as HTMLImageElement | null)?.naturalWidth === 16);
    expect(await viewer.locator('[data-testid=viewer-image]').getAttribute('src')).toBe(output.url);

    await viewer.locator('[data-testid=viewer-zoom]').click();
    expect(await viewer.locator('[data-testid=viewer-zoom]').getAttribute('aria-pressed')).toBe('true');

    const download = viewer.locator('[data-testid=task-download]');
    // Named from the prompt and day, not the stored hash; the server is asked to send that name.
    const name = (await download.getAttribute('download'))!;
    expect(name).toMatch(/^a-lighthouse-at-dusk-\d{4}-\d{2}-\d{2}\.png$/);
    expect(await download.getAttribute('href')).toBe(`${output.url}?download=${encodeURIComponent(name)}`);

    await viewer.locator('[data-testid=copy-prompt]').click();
    await page.waitForFunction(async () => (await navigator.clipboard.readText()) === 'a lighthouse at dusk');

    expect(await viewer.locator('[data-testid=task-reuse]').getAttribute('href')).toBe(`/images?reuse=${task.id}`);
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  });

  it('deletes a finished task after confirming', async () => {
    const { body } = await t.http.get('/api/v1/history?status=failed').set(bearer(user.token)).expect(200);
    const failed = body.items[0];
    await card(failed.id).locator('[data-testid=task-delete]').click();
    await page.click('[data-testid=confirm-delete-task]');
    await card(failed.id).waitFor({ state: 'detached' });
    await t.http.get(`/api/v1/tasks/${failed.id}`).set(bearer(user.token)).expect(404);
    const listed = await t.http.get('/api/v1/history').set(bearer(user.token)).expect(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).not.toContain(failed.id);
  });

  it('reuses a task’s settings in its studio', async () => {
    // The card by its id: live updates may reorder the list meanwhile.
    const id = await page.locator('[data-testid=task-card]').first().getAttribute('data-task-id');
    const reuse = page.locator(`[data-testid=task-card][data-task-id="${id}"] [data-testid=task-reuse]`);
    expect(await reuse.getAttribute('href')).toBe(`/images?reuse=${id}`);
    await reuse.click();
    // The studio reads `?reuse=` and takes it off the address at once, so the address with it may pass unseen.
    await page.waitForURL((url) => url.pathname === '/images');
  });

  it('lets the admin change a model’s price, and see and adjust users’ credits', async () => {
    await signInAs(admin, '/admin/prices');
    const row = page.locator('[data-testid=price-row][data-model=fake-1]');
    await row.waitFor();
    const input = row.locator('[data-testid=price-input]');
    expect(await input.inputValue()).toBe('10');
    expect(await page.locator('[data-testid=save-prices]').isDisabled()).toBe(true);

    // Only whole numbers of credits.
    await input.fill('2.5');
    await page.click('[data-testid=save-prices]');
    await row.locator('[data-testid=field-error-price]').waitFor();
    expect(await input.getAttribute('aria-invalid')).toBe('true');

    await input.fill('25');
    await page.click('[data-testid=save-prices]');
    await row.locator('[data-testid=price-custom]').waitFor();
    const prices = async () => (await t.http.get('/api/v1/admin/prices').set(bearer(admin.token)).expect(200)).body.prices as Array<{ model: string; price: number; custom: boolean }>;
    expect((await prices()).find((price) => price.model === 'fake-1')).toMatchObject({ price: 25, custom: true });
    expect((await prices()).find((price) => price.model === 'fake-free')).toMatchObject({ price: 0, custom: false });

    // Back to the catalogue price.
    await row.locator('[data-testid=price-reset]').click();
    expect(await input.inputValue()).toBe('10');
    await page.click('[data-testid=save-prices]');
    await row.locator('[data-testid=price-custom]').waitFor({ state: 'detached' });
    expect((await prices()).find((price) => price.model === 'fake-1')).toMatchObject({ price: 10, custom: false });

    // The users list shows each balance, and follows a grant.
    await page.click('[data-testid=admin-tab-users]');
    const userRow = page.locator('[data-testid=user-row]', { hasText: user.email });
    await userRow.waitFor();
    const before = await balance(user.token);
    expect(await userRow.locator('[data-testid=user-credit-balance]').getAttribute('data-balance')).toBe(String(before));
    await userRow.locator('[data-testid=grant-credits]').click();
    await page.fill('input[name=grantAmount]', '15');
    await page.fill('input[name=grantReason]', 'thanks');
    await page.click('[data-testid=confirm-grant]');
    await page.waitForSelector(`[data-testid=user-row] [data-testid=user-credit-balance][data-balance="${before + 15}"]`);
    expect(await balance(user.token)).toBe(before + 15);
  });
});
