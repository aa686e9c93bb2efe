import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

/** The Midjourney studio against the midjourney-proxy sandbox (trueai flavor) on this server. */
describe('web app: the Midjourney studio', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let user: User;
  /** imagine → U2 → Vary (Region). */
  let grid: string;
  let upscale: string;
  let region: string;

  const task = async (id: string) => (await t.http.get(`/api/v1/tasks/${id}`).set(bearer(user.token)).expect(200)).body;
  const card = (id: string): Locator => page.locator(`[data-testid=task-card][data-task-id="${id}"]`).first();
  const jobCard = (id: string): Locator => page.locator(`[data-testid=studio-jobs] [data-testid=task-card][data-task-id="${id}"]`);
  /** The newest card of the jobs list, once it is another than `before`. */
  const newestJob = async (before?: string) => {
    const handle = await page.waitForFunction((previous) => {
      const id = document.querySelector('[data-testid=studio-jobs] [data-testid=task-card]')?.getAttribute('data-task-id');
      return id && id !== previous ? id : null;
    }, before ?? null);
    return (await handle.jsonValue()) as string;
  };
  const succeeded = (id: string) => jobCard(id).and(page.locator('[data-status=succeeded]')).waitFor();
  const setTiming = (timing: object) => t.http.post('/sandbox/_control/timing').send(timing).expect(200);

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    // The first account is the admin.
    await signUp(t.http, { name: 'Ada Admin' });
    user = await signUp(t.http, { name: 'Hana' });
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('imagines a grid live (progress with its preview), with U1–U4 🔄 and V1–V4 under it, priced', async () => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
    await page.goto(`${t.baseUrl}/images`);
    // The image studio's Midjourney tile leads to its own studio; so does the navigation.
    expect(await page.getAttribute('[data-testid=studio-provider-midjourney]', 'href')).toBe('/midjourney');
    await page.click('[data-testid=nav-midjourney]');
    await page.waitForURL(`${t.baseUrl}/midjourney`);
    await page.waitForSelector('[data-testid=mj-prompt]');
    await page.waitForSelector('[data-testid=studio-price][data-price="8"]');
    await page.waitForSelector('[data-testid=studio-balance][data-balance="100"]');

    // A prompt is required.
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-prompt]')).toBe('请输入提示词');

    // Slow enough to see it run with its previews, whatever the machine's load.
    await setTiming({ queueMs: 200, runMinMs: 4000, runMaxMs: 4000 });
    await page.fill('[data-testid=mj-prompt]', 'a harbour at dusk');
    await page.click('[data-testid=mj-param-aspectRatio] label:has(input[value="3:2"])');
    await page.click('[data-testid=mj-param-rawStyle]');
    await page.click('[data-testid=mj-more-params]');
    await page.fill('[data-testid=mj-param-stylize]', '250');
    await page.press('[data-testid=mj-prompt]', 'Control+Enter');
    grid = await newestJob();
    await jobCard(grid).locator('[data-testid=task-preview]').waitFor();
    await setTiming({ queueMs: 20, runMinMs: 20, runMaxMs: 40 });
    await succeeded(grid);
    await page.waitForSelector('[data-testid=credit-balance][data-balance="92"]');

    const sent = await task(grid);
    expect(sent).toMatchObject({ provider: 'midjourney', action: 'imagine', cost: 8, parameters: { aspectRatio: '3:2', stylize: 250, rawStyle: true } });
    expect(sent.prompt).toMatch(/^a harbour at dusk /);
    for (const flag of ['--ar 3:2', '--stylize 250', '--style raw']) expect(sent.prompt).toContain(flag);
    // The card shows the grid (its four images are in the viewer).
    expect(await jobCard(grid).locator('[data-testid=task-output]').count()).toBe(1);
    const rows = jobCard(grid).locator('[data-testid=mj-actions] .mj-action-row');
    expect(await rows.nth(0).locator('[data-testid=mj-action]').allTextContents()).toEqual(['U1', 'U2', 'U3', 'U4', '🔄']);
    expect((await rows.nth(1).locator('[data-testid=mj-action]').allTextContents()).map((text) => text.trim())).toEqual(['V1', 'V2', 'V3', 'V4']);
    expect(await jobCard(grid).locator('[data-action="upscale:2"]').getAttribute('title')).toBe('放大 2 · 2 积分');
  });

  it('upscales U2 as a child task, whose image offers the single-image buttons in their groups', async () => {
    await jobCard(grid).locator('[data-action="upscale:2"]').click();
    upscale = await newestJob(grid);
    await succeeded(upscale);
    expect(await task(upscale)).toMatchObject({ parentTaskId: grid, action: 'upscale:2', cost: 2 });
    const child = jobCard(upscale);
    expect(await child.locator('[data-testid=task-parent]').textContent()).toBe(`来自 #${grid.slice(0, 6)} U2`);
    const labels = async (row: number) => (await child.locator('.mj-action-row').nth(row).locator('[data-testid=mj-action]').allTextContents()).map((text) => text.trim());
    expect(await labels(0)).toEqual(['放大（细微）', '放大（创意）']);
    expect(await labels(1)).toEqual(['变化（细微）', '变化（强烈）', '局部重绘']);
    expect(await labels(2)).toEqual(['缩小 2 倍', '缩小 1.5 倍', '自定义缩放']);
    expect(await labels(3)).toEqual(['⬅️', '➡️', '⬆️', '⬇️']);
    // The grid's card lists the new child.
    await jobCard(grid).locator(`[data-testid=task-child][data-task-id="${upscale}"]`).waitFor();
  });

  it('varies a painted region: the mask is white where painted', async () => {
    await jobCard(upscale).locator('[data-action="vary:region"]').click();
    const dialog = page.locator('[data-testid=mj-region-dialog]');
    const canvas = dialog.locator('[data-testid=mask-canvas]');
    await canvas.waitFor();
    expect(await dialog.locator('[data-testid=mj-region-submit]').isDisabled()).toBe(true);
    // A brush stroke across the middle, then a rectangle in the top left; undo takes the rectangle back.
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    await dialog.locator('[data-testid=mask-painter][data-painted=true]').waitFor();
    await dialog.locator('[data-testid=mask-tool-rect]').click();
    await page.mouse.move(box.x + 2, box.y + 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2, { steps: 4 });
    await page.mouse.up();
    await dialog.locator('[data-testid=mask-undo]').click();
    await dialog.locator('[data-testid=mj-region-prompt]').fill('a red boat');
    await dialog.locator('[data-testid=mj-region-submit]').click();
    region = await newestJob(upscale);
    await dialog.waitFor({ state: 'detached' });
    await succeeded(region);

    const made = await task(region);
    expect(made).toMatchObject({ parentTaskId: upscale, action: 'vary:region', cost: 8, parameters: { prompt: 'a red boat' } });
    // The stored mask: the picture's shape, white along the stroke, black where the undone rectangle was.
    const mask = await t.http.get(`/api/v1/files/generated/${made.parameters.maskFileId}`).set(bearer(user.token)).expect(200);
    const bytes = (await t.http.get(mask.body.url).buffer(true).expect(200)).body as Buffer;
    const { data, info } = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[Math.round(y * (info.height - 1)) * info.width + Math.round(x * (info.width - 1))];
    const parent = (await task(upscale)).outputs[0];
    expect(info.width / info.height).toBeCloseTo(parent.width / parent.height, 1);
    expect(at(0.5, 0.5)).toBeGreaterThan(200);
    expect(at(0.05, 0.05)).toBeLessThan(50);
    expect(at(0.5, 0.9)).toBeLessThan(50);
  });

  it('zooms out by a custom factor with a new prompt', async () => {
    await jobCard(upscale).locator('[data-action="zoom:custom"]').click();
    const dialog = page.locator('[data-testid=mj-zoom-dialog]');
    await dialog.locator('[data-testid=mj-zoom-prompt]').fill('a wider harbour');
    await dialog.locator('[data-testid=mj-zoom-factor]').fill('1.5');
    expect(await dialog.locator('[data-testid=mj-zoom-value]').textContent()).toBe('1.5×');
    const before = await newestJob();
    await dialog.locator('[data-testid=mj-zoom-submit]').click();
    const zoomed = await newestJob(before);
    await dialog.waitFor({ state: 'detached' });
    await succeeded(zoomed);
    expect(await task(zoomed)).toMatchObject({ parentTaskId: upscale, action: 'zoom:custom', parameters: { prompt: 'a wider harbour', zoom: 1.5 } });
  });

  it('shows the family in the history: where each task came from and what was made from it', async () => {
    await page.click('[data-testid=nav-history]');
    await page.waitForURL(`${t.baseUrl}/history`);
    await card(region).waitFor();
    expect(await card(region).locator('[data-testid=task-parent]').getAttribute('data-task-id')).toBe(upscale);
    expect(await card(region).locator('[data-testid=task-parent]').textContent()).toBe(`来自 #${upscale.slice(0, 6)} 局部重绘`);
    expect(await card(upscale).locator('[data-testid=task-parent]').getAttribute('data-task-id')).toBe(grid);
    await card(upscale).locator(`[data-testid=task-child][data-task-id="${region}"]`).waitFor();
    await card(grid).locator(`[data-testid=task-child][data-task-id="${upscale}"] img`).waitFor();
    expect(await card(grid).locator('[data-testid=task-parent]').count()).toBe(0);
    // The viewer says it too.
    await card(upscale).locator('[data-testid=task-output]').click();
    const viewer = page.locator('[data-testid=task-viewer]');
    expect(await viewer.locator('[data-testid=task-parent]').getAttribute('data-task-id')).toBe(grid);
    await viewer.locator(`[data-testid=task-child][data-task-id="${region}"]`).waitFor();
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });

    // A parent's link shows it on top of the studio's jobs.
    await card(region).locator('[data-testid=task-parent]').click();
    await page.waitForURL(`${t.baseUrl}/midjourney`);
    expect(await page.locator('[data-testid=studio-jobs] [data-testid=task-card]').first().getAttribute('data-task-id')).toBe(upscale);
  });

  it('describes an earlier result: four prompts, each with "imagine this", also in the history', async () => {
    await page.click('[data-testid=mj-tab-describe]');
    await page.waitForSelector('[data-testid=studio-price][data-price="2"]');
    await page.click('[data-testid=studio-use-previous]');
    await page.locator('[data-testid=studio-previous-output]').first().click();
    await page.waitForSelector('[data-testid=studio-input-image][data-status=ready]');
    const before = await page.locator('[data-testid=studio-jobs] [data-testid=task-card]').first().getAttribute('data-task-id');
    await page.click('[data-testid=studio-submit]');
    const described = await newestJob(before!);
    await succeeded(described);
    const prompts = jobCard(described).locator('[data-testid=task-described] li');
    expect(await prompts.count()).toBe(4);
    // Its result is the text: the card does not say it made nothing.
    expect(await jobCard(described).locator('[data-testid=task-no-outputs]').count()).toBe(0);
    const { result } = await task(described);
    expect(result.prompts).toHaveLength(4);

    // From the history too: "imagine this" fills the imagine prompt.
    await page.click('[data-testid=nav-history]');
    await card(described).locator('[data-testid=task-imagine-this]').nth(1).click();
    await page.waitForURL(`${t.baseUrl}/midjourney`);
    await page.waitForSelector('[data-testid=mj-tab-imagine][aria-pressed=true]');
    await page.waitForFunction((text) => (document.querySelector('[data-testid=mj-prompt]') as HTMLTextAreaElement | null)?.value === text, result.prompts[1]);
  });

  it('blends two earlier results in portrait', async () => {
    await page.click('[data-testid=mj-tab-blend]');
    await page.waitForSelector('[data-testid=studio-price][data-price="8"]');
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-images]')).toBe('请添加 2 到 5 张图片');
    for (const index of [0, 1]) {
      await page.click('[data-testid=studio-use-previous]');
      await page.locator('[data-testid=studio-previous-output]').nth(index).click();
      await page.locator('[data-testid=studio-previous]').waitFor({ state: 'detached' });
    }
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=studio-input-image][data-status=ready]').length === 2);
    await page.click('[data-testid=mj-blend-dimensions] label:has(input[value=portrait])');
    const before = await newestJob();
    await page.click('[data-testid=studio-submit]');
    const blended = await newestJob(before);
    await succeeded(blended);
    const made = await task(blended);
    expect(made).toMatchObject({ action: 'blend', parameters: { dimensions: 'portrait' } });
    expect(made.parameters.fileIds).toHaveLength(2);
    expect(made.outputs[0].height).toBeGreaterThan(made.outputs[0].width);
  });

  it('paints a region with a finger on a phone', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    try {
      const tab = await phone.newPage();
      await tab.goto(`${t.baseUrl}/signin`);
      await tab.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
      await tab.goto(`${t.baseUrl}/midjourney?task=${upscale}`);
      await tab.locator(`[data-testid=studio-jobs] [data-task-id="${upscale}"] [data-action="vary:region"]`).tap();
      const dialog = tab.locator('[data-testid=mj-region-dialog]');
      const canvas = dialog.locator('[data-testid=mask-canvas]');
      await canvas.waitFor();
      const box = (await canvas.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      await tab.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
      await dialog.locator('[data-testid=mask-painter][data-painted=true]').waitFor();
      expect(await dialog.locator('[data-testid=mj-region-submit]').isDisabled()).toBe(false);
      expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
  });

  it('works on a phone: the buttons wrap inside the card', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.baseUrl}/midjourney?task=${upscale}`);
    const actions = jobCard(upscale).locator('[data-testid=mj-actions]');
    await actions.waitFor();
    const cardBox = (await jobCard(upscale).boundingBox())!;
    for (const button of await actions.locator('[data-testid=mj-action]').all()) {
      const box = (await button.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(cardBox.x + cardBox.width + 1);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });
});
