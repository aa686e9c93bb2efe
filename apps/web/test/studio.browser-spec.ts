import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

const SCHNELL = 'fal-ai/flux-1/schnell';
const KONTEXT = 'fal-ai/flux-pro/kontext';
const KONTEXT_MULTI = 'fal-ai/flux-pro/kontext/multi';

describe('web app: the image studio (Flux)', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: User;
  let user: User;
  /** The two tasks the studio submitted: text-to-image, then image-to-image from its output. */
  let first: string;
  let second: string;
  let firstOutput: string;
  let otherOutput: string;

  const task = async (id: string) => (await t.http.get(`/api/v1/tasks/${id}`).set(bearer(user.token)).expect(200)).body;
  const card = (id: string): Locator => page.locator(`[data-testid=task-card][data-task-id="${id}"]`).first();
  /** The newest card of the "just submitted" list. */
  const newestJob = async () => {
    const job = page.locator('[data-testid=studio-jobs] [data-testid=task-card]').first();
    await job.waitFor();
    return (await job.getAttribute('data-task-id'))!;
  };

  beforeAll(async () => {
    // The built-in fal sandbox serves Flux: no key or fake provider needed.
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
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
  });

  it('builds the form from the catalogue and generates two images, live, charging 2 × 3 credits', async () => {
    // Sign in: home is the studio.
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('input[name=identifier]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
    await page.waitForURL(`${t.baseUrl}/images`);
    await page.waitForSelector('[data-testid=studio-model]');
    await page.waitForSelector('[data-testid=credit-balance][data-balance="100"]');
    expect(await page.getAttribute('[data-testid=studio-mode-text]', 'aria-pressed')).toBe('true');
    // Flux is chosen; Midjourney has a studio of its own; DreamWork (Jimeng's images) is the other form here (dreamwork.browser-spec.ts).
    expect(await page.getAttribute('[data-testid=studio-provider] [data-testid=studio-provider-midjourney]', 'href')).toBe('/midjourney');
    expect(await page.isChecked('[data-testid=studio-provider] input[value=flux]')).toBe(true);
    await page.locator('[data-testid=studio-provider] input[value=jimeng]').waitFor({ state: 'attached' });

    // The steps slider takes its range from the catalogue: dev goes to 50, schnell to 12.
    await page.selectOption('[data-testid=studio-model]', 'fal-ai/flux-1/dev');
    await page.waitForSelector('[data-testid=studio-param-numInferenceSteps][max="50"]');
    // dev's own default, not schnell's 4 carried over (the user never set the steps).
    expect(await page.inputValue('[data-testid=studio-param-numInferenceSteps]')).toBe('28');
    await page.selectOption('[data-testid=studio-model]', SCHNELL);
    const steps = page.locator('[data-testid=studio-param-numInferenceSteps]');
    await page.waitForSelector('[data-testid=studio-param-numInferenceSteps][max="12"]');
    expect(await steps.getAttribute('min')).toBe('1');
    expect(await steps.inputValue()).toBe('4');
    // Only the parameters schnell takes: no guidance, no aspect ratio (Kontext's), image size presets.
    expect(await page.locator('[data-testid=studio-param-guidanceScale]').count()).toBe(0);
    expect(await page.locator('[data-testid=studio-param-aspectRatio]').count()).toBe(0);
    await page.locator('[data-testid=studio-param-imageSize] input[value=landscape_4_3]').waitFor({ state: 'attached' });
    await page.locator('[data-testid=studio-param-enableSafetyChecker]').waitFor();
    expect(await page.locator('[data-testid=studio-param-safetyTolerance]').count()).toBe(0);

    // A prompt is required; the message follows a switch of language (and back).
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-prompt]')).toBe('请输入提示词');
    await page.click('[data-testid=language-toggle]');
    await page.waitForSelector('[data-testid=field-error-prompt]:text-is("Enter a prompt")');
    await page.click('[data-testid=language-toggle]');
    await page.waitForSelector('[data-testid=field-error-prompt]:text-is("请输入提示词")');

    await page.fill('[data-testid=studio-prompt]', 'a lighthouse at dusk');
    await page.click('[data-testid=studio-param-numImages] label:has(input[value="2"])');
    await page.waitForSelector('[data-testid=studio-price][data-price="6"]');
    await page.click('[data-testid=studio-param-imageSize] label:has(input[value=square])');

    // Every status the new card shows, to see it move live rather than arrive finished.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statuses: string[] }).statuses = seen;
      new MutationObserver(() => {
        const status = document.querySelector('[data-testid=studio-jobs] [data-testid=task-card]')?.getAttribute('data-status');
        if (status && seen.at(-1) !== status) seen.push(status);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
    });
    await page.click('[data-testid=studio-submit]');
    first = await newestJob();
    await page.waitForSelector(`[data-testid=studio-jobs] [data-testid=task-card][data-task-id="${first}"][data-status=succeeded]`);
    // The recent section does not stand empty under its heading.
    expect(await page.textContent('[data-testid=studio-recent-none-older]')).toBe('在此之前没有其他 Flux 生成记录。');
    const statuses = await page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
    expect(['pending', 'submitted', 'queued', 'running']).toContain(statuses[0]);
    expect(statuses.at(-1)).toBe('succeeded');
    const job = card(first);
    expect(await job.locator('[data-testid=task-output]').count()).toBe(2);
    await page.waitForFunction(
      (id) =>
        [...document.querySelectorAll(`[data-task-id="${id}"] img[data-testid=task-thumbnail]`)].filter(
          (img) => (img as HTMLImageElement).naturalWidth > 0,
        ).length === 2,
      first,
    );
    // The header balance follows the charge.
    await page.waitForSelector('[data-testid=credit-balance][data-balance="94"]');
    await page.waitForSelector('[data-testid=studio-balance][data-balance="94"]');

    // Only what schnell takes was sent, with a seed (a new random one: it was not locked).
    const sent = await task(first);
    expect(sent).toMatchObject({ provider: 'flux', model: SCHNELL, status: 'succeeded', cost: 6, prompt: 'a lighthouse at dusk' });
    expect(sent.parameters).toMatchObject({ numImages: 2, numInferenceSteps: 4, imageSize: 'square', outputFormat: 'jpeg' });
    expect(typeof sent.parameters.seed).toBe('number');
    expect(sent.parameters.aspectRatio).toBeUndefined();
    expect(sent.parameters.guidanceScale).toBeUndefined();
    expect(await page.inputValue('[data-testid=studio-param-seed]')).toBe(String(sent.parameters.seed));
    // The card names the model for people (the id stays in its title).
    expect(await card(first).locator('.task-title').textContent()).toContain('FLUX.1 [schnell] 极速文生图');
    firstOutput = sent.outputs[0].id;
    otherOutput = sent.outputs[1].id;
    expect(sent.outputs).toHaveLength(2);
  });

  it('locks a seed, and picks a random one', async () => {
    expect(await page.getAttribute('[data-testid=studio-seed-lock]', 'aria-pressed')).toBe('false');
    const before = await page.inputValue('[data-testid=studio-param-seed]');
    await page.click('[data-testid=studio-seed-random]');
    expect(await page.inputValue('[data-testid=studio-param-seed]')).not.toBe(before);
    expect(await page.getAttribute('[data-testid=studio-seed-lock]', 'aria-pressed')).toBe('true');
    await page.click('[data-testid=studio-seed-lock]');
    expect(await page.getAttribute('[data-testid=studio-seed-lock]', 'aria-pressed')).toBe('false');
  });

  it('uses an output as the input of an image-to-image generation with Kontext', async () => {
    await card(first).locator(`[data-testid=task-output][data-output-id="${firstOutput}"]`).click();
    const viewer = page.locator('[data-testid=task-viewer]');
    await viewer.waitFor();
    await viewer.locator('[data-testid=viewer-zoom]').waitFor();
    await viewer.locator('[data-testid=copy-prompt]').waitFor();
    await viewer.locator('[data-testid=task-download]').waitFor();
    await viewer.locator('[data-testid=task-use-input]').click();
    await viewer.waitFor({ state: 'detached' });

    // Image-to-image, with that output as the input (the address is tidied up once read).
    await page.waitForSelector('[data-testid=studio-mode-image][aria-pressed=true]');
    const input = page.locator(`[data-testid=studio-input-image][data-file-id="${firstOutput}"]`);
    await input.waitFor();
    await page.waitForFunction(
      () => ((document.querySelector('[data-testid=studio-input-image] img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
    );
    await page.waitForURL(`${t.baseUrl}/images`);

    await page.selectOption('[data-testid=studio-model]', KONTEXT);
    // Kontext: a safety tolerance select, an aspect ratio that may follow the input, no image size.
    await page.locator('[data-testid=studio-param-safetyTolerance]').waitFor();
    expect(await page.locator('[data-testid=studio-param-imageSize]').count()).toBe(0);
    expect(await page.locator('[data-testid=studio-param-enableSafetyChecker]').count()).toBe(0);
    await page.locator('[data-testid=studio-param-enhancePrompt]').waitFor();
    // The image count carried over from schnell.
    await page.waitForSelector('[data-testid=studio-price][data-price="32"]');
    await page.click('[data-testid=studio-param-numImages] label:has(input[value="1"])');
    await page.waitForSelector('[data-testid=studio-price][data-price="16"]');
    await page.fill('[data-testid=studio-prompt]', 'make it night');
    await page.click('[data-testid=studio-submit]');

    await page.waitForFunction(
      (previous) => document.querySelector('[data-testid=studio-jobs] [data-testid=task-card]')?.getAttribute('data-task-id') !== previous,
      first,
    );
    second = await newestJob();
    await page.waitForSelector(`[data-testid=studio-jobs] [data-testid=task-card][data-task-id="${second}"][data-status=succeeded]`);
    await page.waitForSelector('[data-testid=credit-balance][data-balance="78"]');
    const sent = await task(second);
    expect(sent).toMatchObject({ model: KONTEXT, action: 'image-to-image', prompt: 'make it night', cost: 16, status: 'succeeded' });
    // Every input is kept as one of our files, however it was given.
    expect(sent.parameters).toMatchObject({ fileIds: [firstOutput], numImages: 1, safetyTolerance: '2', enhancePrompt: false });
    expect(sent.parameters.imageSize).toBeUndefined();
  });

  it('uploads input images, keeps to the model’s maximum and removes them', async () => {
    await page.selectOption('[data-testid=studio-model]', KONTEXT_MULTI);
    const png = async (colour: string) => ({
      name: `${colour.slice(1)}.png`,
      mimeType: 'image/png',
      buffer: await sharp({ create: { width: 320, height: 240, channels: 3, background: colour } }).png().toBuffer(),
    });
    await page.setInputFiles('[data-testid=studio-upload]', [await png('#e07020'), await png('#2070e0')]);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid=studio-input-image]')].filter(
          (item) => item.getAttribute('data-status') === 'ready' && item.getAttribute('data-file-id'),
        ).length === 3,
    );
    expect(await page.textContent('[data-testid=studio-input-count]')).toContain('3 / 4');
    await page.locator('[data-testid=studio-input-image]').nth(1).locator('[data-testid=studio-input-remove]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=studio-input-image]').length === 2);
    // "Use a previous result" offers the recent Flux outputs, in a dialog above everything
    // (the form panel is sticky: the task cards beside it must not cover the dialog).
    await page.click('[data-testid=studio-use-previous]');
    await page.locator('[data-testid=studio-previous] [data-testid=studio-previous-output]').first().waitFor();
    const covered = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid=studio-previous] [data-testid=studio-previous-output], [data-testid=studio-previous] .modal-header button')]
        .map((element) => {
          const box = element.getBoundingClientRect();
          const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
          return top && !element.contains(top) && !top.contains(element) ? (top.getAttribute('data-testid') ?? top.className) : null;
        })
        .filter(Boolean),
    );
    expect(covered).toEqual([]);
    await page.click(`[data-testid=studio-previous] [data-testid=studio-previous-output][data-output-id="${otherOutput}"]`);
    await page.locator('[data-testid=studio-previous]').waitFor({ state: 'detached' });
    await page.locator(`[data-testid=studio-input-image][data-file-id="${otherOutput}"]`).waitFor();
    expect(await page.textContent('[data-testid=studio-input-count]')).toContain('3 / 4');
    await page.locator(`[data-testid=studio-input-image][data-file-id="${otherOutput}"] [data-testid=studio-input-remove]`).click();
    // Back to a one-image model for the rest.
    await page.locator('[data-testid=studio-input-image]').nth(1).locator('[data-testid=studio-input-remove]').click();
    await page.selectOption('[data-testid=studio-model]', KONTEXT);

    // One image at a time: a new one replaces it once uploaded; one the server refuses leaves it.
    const kept = await page.locator('[data-testid=studio-input-image]').first().getAttribute('data-file-id');
    await page.setInputFiles('[data-testid=studio-upload]', { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await page.waitForSelector('[data-testid=toast]:has-text("fake.png")');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=studio-input-image]').length === 1);
    expect(await page.locator('[data-testid=studio-input-image]').first().getAttribute('data-file-id')).toBe(kept);
    // Too large or not JPG/PNG/WebP: refused at once, in the page's language.
    await page.setInputFiles('[data-testid=studio-upload]', { name: 'big.png', mimeType: 'image/png', buffer: Buffer.alloc(10 * 1024 * 1024 + 1) });
    await page.waitForSelector('[data-testid=toast]:has-text("图片超过 10 MB")');
    await page.setInputFiles('[data-testid=studio-upload]', { name: 'anim.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
    await page.waitForSelector('[data-testid=toast]:has-text("只能使用 JPG、PNG 或 WebP 图片")');
    expect(await page.locator('[data-testid=studio-input-image]').first().getAttribute('data-file-id')).toBe(kept);
  });

  it('finds both tasks in the history, keeps the form between pages, and lists the recent Flux generations', async () => {
    await page.click('[data-testid=nav-history]');
    await page.waitForURL(`${t.baseUrl}/history`);
    await page.waitForSelector(`[data-testid=history-grid] [data-testid=task-card][data-task-id="${first}"][data-status=succeeded]`);
    await page.waitForSelector(`[data-testid=history-grid] [data-testid=task-card][data-task-id="${second}"][data-status=succeeded]`);

    // Back in the studio, the form is as it was left.
    await page.click('[data-testid=nav-images]');
    await page.waitForSelector('[data-testid=studio-model]');
    expect(await page.inputValue('[data-testid=studio-prompt]')).toBe('make it night');
    expect(await page.inputValue('[data-testid=studio-model]')).toBe(KONTEXT);

    // A fresh visit: the recent grid has both tasks.
    await page.reload();
    const recent = page.locator('[data-testid=studio-recent]');
    await recent.locator(`[data-testid=task-card][data-task-id="${first}"][data-status=succeeded]`).waitFor();
    await recent.locator(`[data-testid=task-card][data-task-id="${second}"][data-status=succeeded]`).waitFor();
    expect(await page.locator('[data-testid=studio-recent-empty]').count()).toBe(0);
  });

  it('reuses a task’s settings: model, prompt, parameters and input', async () => {
    await page.click('[data-testid=nav-history]');
    await card(first).locator('[data-testid=task-reuse]').click();
    await page.waitForSelector('[data-testid=studio-mode-text][aria-pressed=true]');
    await page.waitForURL(`${t.baseUrl}/images`);
    await page.waitForFunction(() => (document.querySelector('[data-testid=studio-prompt]') as HTMLTextAreaElement | null)?.value === 'a lighthouse at dusk');
    expect(await page.inputValue('[data-testid=studio-model]')).toBe(SCHNELL);
    await page.waitForSelector('[data-testid=studio-price][data-price="6"]');
    expect(await page.getAttribute('[data-testid=studio-param-imageSize]', 'data-value')).toBe('square');
    const sent = await task(first);
    expect(await page.inputValue('[data-testid=studio-param-seed]')).toBe(String(sent.parameters.seed));
    expect(await page.getAttribute('[data-testid=studio-seed-lock]', 'aria-pressed')).toBe('true');

    await page.click('[data-testid=nav-history]');
    await card(second).locator('[data-testid=task-reuse]').click();
    await page.waitForSelector('[data-testid=studio-mode-image][aria-pressed=true]');
    await page.locator(`[data-testid=studio-input-image][data-file-id="${firstOutput}"]`).waitFor();
    expect(await page.inputValue('[data-testid=studio-model]')).toBe(KONTEXT);
  });

  it('shows the admin the Flux settings: the sandbox, a connection check and a link to the prices', async () => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), admin.token);
    await page.goto(`${t.baseUrl}/admin/flux`);
    const form = page.locator('[data-testid=flux-config-form]');
    await form.waitFor();
    await page.locator('[data-testid=admin-tab-flux][aria-current=page]').waitFor();
    await page.locator('[data-testid=flux-sandbox-notice]').waitFor();
    // The key is never shown: the field is empty and says whether one is stored.
    expect(await page.inputValue('input[name=fluxApiKey]')).toBe('');
    expect(await page.getAttribute('[data-testid=flux-api-key-state]', 'data-state')).toBe('not-set');
    expect(await page.inputValue('[data-testid=flux-default-model]')).toBe(SCHNELL);

    await page.click('[data-testid=flux-check]');
    const health = page.locator('[data-testid=flux-health-message]');
    await health.waitFor();
    expect(await health.getAttribute('data-state')).toBe('ok');
    expect(await health.getAttribute('data-sandbox')).toBe('true');

    // Prices are set on the Prices tab, which the Flux page links to rather than repeating the table.
    expect(await page.locator('[data-testid=flux-prices] [data-testid=price-row]').count()).toBe(0);
    expect(await page.getAttribute('[data-testid=flux-prices-link]', 'href')).toBe('/admin/prices');

    // Saving keeps the sandbox and the (unset) key; the timeout is checked against the API's range.
    await page.fill('input[name=fluxTimeout]', '30');
    await page.click('[data-testid=flux-save]');
    await page.waitForSelector('[data-testid=field-error-fluxTimeout]');
    await page.fill('input[name=fluxTimeout]', '900');
    await page.click('[data-testid=flux-save]');
    await page.locator('[data-testid=toast]', { hasText: 'Flux' }).first().waitFor();
    const saved = (await t.http.get('/api/v1/flux/config').set(bearer(admin.token)).expect(200)).body;
    expect(saved).toMatchObject({ timeout: 900, usesSandbox: true, apiKeySet: false, saved: true });

    // A key is checked as typed, before it is saved: a refused one says why in the page's
    // language, with fal's own words as the detail, and nothing is saved.
    const sandboxFal = `${t.baseUrl!.replace('localhost', '127.0.0.1')}/sandbox/fal`;
    await page.fill('input[name=fluxApiKey]', 'not-the-key');
    await page.fill('input[name=fluxBaseUrl]', sandboxFal);
    await page.click('[data-testid=flux-check]');
    await page.locator('[data-testid=flux-health-message][data-state=failed][data-reason=key_refused]').waitFor();
    expect(await health.locator('span').first().textContent()).toBe('fal.ai 拒绝了该 API 密钥：请检查密钥是否完整复制且仍然有效。');
    expect(await health.locator('[data-testid=check-detail]').textContent()).toBe('详情：密钥被拒绝：Invalid API key: authentication failed');
    expect((await t.http.get('/api/v1/flux/config').set(bearer(admin.token)).expect(200)).body).toMatchObject({ apiKeySet: false, usesSandbox: true });
    await page.fill('input[name=fluxApiKey]', 'sandbox-fal-key');
    await page.click('[data-testid=flux-check]');
    await page.locator('[data-testid=flux-health-message][data-state=ok]').waitFor();

    // A stored key can be forgotten: back to the sandbox.
    await t.http.post('/api/v1/flux/config').set(bearer(admin.token)).send({ apiKey: 'sandbox-fal-key', baseUrl: '' }).expect(200);
    await page.reload();
    await page.locator('[data-testid=flux-api-key-state][data-state=set]').waitFor();
    await page.check('input[name=fluxClearApiKey]');
    await page.click('[data-testid=flux-save]');
    await page.locator('[data-testid=flux-api-key-state][data-state=not-set]').waitFor();
    expect(await page.locator('input[name=fluxClearApiKey]').count()).toBe(0);
    expect((await t.http.get('/api/v1/flux/config').set(bearer(admin.token)).expect(200)).body).toMatchObject({ apiKeySet: false, usesSandbox: true });
  });

  it('tests the storage settings from Admin › Storage and shows the answer', async () => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), admin.token);
    await page.goto(`${t.baseUrl}/admin/storage`);
    await page.locator('[data-testid=storage-config-form]').waitFor();
    await page.click('[data-testid=test-storage]');
    const result = page.locator('[data-testid=storage-test-result]');
    await result.waitFor();
    expect(await result.getAttribute('data-state')).toBe('ok');
    expect(await result.locator('span').first().textContent()).toBe('存储工作正常：测试文件已写入并删除。');
    // The detail is in the page's language too.
    expect(await result.locator('[data-testid=check-detail]').textContent()).toBe('详情：本地存储可用：数据文件夹可写');
    // A second test replaces the answer rather than adding one.
    await page.click('[data-testid=test-storage]');
    await result.waitFor();
    expect(await page.locator('[data-testid=storage-test-result]').count()).toBe(1);
  });

  it('marks results kept at fal (auto-upload off) as not stored yet, and offers them not as inputs', async () => {
    await t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'local', enabled: true, autoUpload: false }).expect(200);
    try {
      const { body: submitted } = await t.http.post('/api/v1/flux/text-to-image').set(bearer(admin.token)).send({ model: SCHNELL, prompt: 'left at fal' }).expect(201);
      await page.goto(`${t.baseUrl}/history`);
      const kept = page.locator(`[data-testid=task-card][data-task-id="${submitted.id}"][data-status=succeeded]`);
      await kept.locator('[data-testid=task-output-not-stored]').waitFor();
      expect(await kept.locator('[data-testid=task-cost]').getAttribute('data-refunded')).toBe('false');
      await kept.locator('[data-testid=task-thumbnail]').waitFor();
      await kept.locator('[data-testid=task-output]').click();
      await page.locator('[data-testid=task-viewer]').waitFor();
      expect(await page.locator('[data-testid=task-use-input]').count()).toBe(0);
    } finally {
      await t.http.post('/api/v1/storage/config').set(bearer(admin.token)).send({ provider: 'local', enabled: true, autoUpload: true }).expect(200);
    }
  });
});
