import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

const T2I = 'jimeng-image-t2i-3.1';
const INPAINT = 'jimeng-image-inpaint';
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * What a demanding newcomer met in the Jimeng UI (DreamWork in the image studio, its cards in the
 * history), each checked where it was found: at desktop and phone sizes, in Chinese and English.
 */
describe('web app: the Jimeng UI through a newcomer’s eyes', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: User;
  let user: User;
  /** A text-to-image, an inpainting of it that erased the painted area, and a failed task. */
  let made: string;
  let erased: string;
  let failed: string;

  const task = async (id: string) => (await t.http.get(`/api/v1/tasks/${id}`).set(bearer(user.token)).expect(200)).body;
  const settled = async (id: string) => {
    for (let attempt = 0; attempt < 400; attempt++) {
      const { status } = await task(id);
      if (['succeeded', 'failed', 'canceled'].includes(status)) return status as string;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`task ${id} never settled`);
  };
  const card = (id: string): Locator => page.locator(`[data-testid=task-card][data-task-id="${id}"]`).first();
  const setLanguage = async (locale: 'zh-CN' | 'en') => {
    await page.evaluate((value) => localStorage.setItem('atelier.locale', value), locale);
  };
  /** How many lines an element's text takes. */
  const lines = (locator: Locator) =>
    locator.evaluate((element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      return new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top))).size;
    });

  beforeAll(async () => {
    // Polls back off to 2 s: a busy provider (50430) is then held for 8 s (4 × the longest poll), long enough to see.
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '2000' } });
    // The first account is the admin.
    admin = await signUp(t.http, { name: 'Ada Admin' });
    user = await signUp(t.http, { name: 'Hana' });
    made = (await t.http.post('/api/v1/jimeng/text-to-image').set(bearer(user.token)).send({ model: T2I, prompt: 'a tea house', width: 1024, height: 1024 }).expect(201)).body.id;
    expect(await settled(made)).toBe('succeeded');
    const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 32, height: 32, channels: 3, background: '#fff' } }, left: 0, top: 0 }])
      .png()
      .toBuffer();
    erased = (
      await t.http
        .post('/api/v1/jimeng/inpaint')
        .set(bearer(user.token))
        .send({ model: INPAINT, prompt: '删除', image: { fileId: (await task(made)).outputs[0].id }, maskDataUrl: `data:image/png;base64,${mask.toString('base64')}` })
        .expect(201)
    ).body.id;
    failed = (await t.http.post('/api/v1/jimeng/text-to-image').set(bearer(user.token)).send({ model: T2I, prompt: 'sandbox:fail a cat' }).expect(201)).body.id;
    expect(await settled(erased)).toBe('succeeded');
    expect(await settled(failed)).toBe('failed');

    browser = await launchBrowser();
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('names every image provider whole on one line (no "Midjourne y", "DreamWor k"), at both sizes, in both languages', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      await setLanguage(locale);
      for (const viewport of [DESKTOP, PHONE]) {
        await page.setViewportSize(viewport);
        await page.goto(`${t.baseUrl}/images`);
        await page.waitForSelector('[data-testid=studio-provider] input[value=jimeng]:not([disabled])', { state: 'attached' });
        const names = page.locator('[data-testid=studio-provider] .provider-name');
        expect(await names.count()).toBe(3);
        for (const name of await names.all()) {
          expect({ name: await name.textContent(), locale, width: viewport.width, lines: await lines(name) }).toMatchObject({ lines: 1 });
          // And inside its tile.
          const tile = (await name.locator('xpath=..').boundingBox())!;
          const box = (await name.boundingBox())!;
          expect(box.x + box.width).toBeLessThanOrEqual(tile.x + tile.width);
        }
      }
    }
    await page.setViewportSize(DESKTOP);
    await setLanguage('zh-CN');
  });

  it('after Inpaint on a card, the painter says the area shown in pink is changed, and the keyboard is on its brush', async () => {
    await page.goto(`${t.baseUrl}/images`);
    await page.click('[data-testid=studio-provider-jimeng]');
    await page.waitForSelector('[data-testid=dreamwork-form]');
    await card(made).locator('[data-testid=dreamwork-inpaint]').click();
    const painter = page.locator('[data-testid=dreamwork-mask] [data-testid=mask-painter]');
    await painter.waitFor();
    // The paint on screen is pink; the mask sent is white, which the user never sees.
    expect(await painter.locator('.field-hint').textContent()).toBe('用鼠标或手指涂抹要修改的区域（涂成粉色的部分会被修改）。');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'mask-tool-brush');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=dreamwork-form]'))).toBe(true);

    // "Use as input": on to the edit instruction.
    await card(made).locator('[data-testid=dreamwork-use-input]').click();
    await page.waitForSelector('[data-testid=dreamwork-mode-image][aria-pressed=true]');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'dreamwork-prompt');

    await page.click('[data-testid=language-toggle]');
    await page.click('[data-testid=dreamwork-mode-inpaint]');
    await card(made).locator('[data-testid=dreamwork-inpaint]').click();
    await page.waitForSelector('[data-testid=dreamwork-mask] [data-testid=mask-painter]');
    expect(await painter.locator('.field-hint').textContent()).toBe('Paint the area to change with the mouse or a finger (the part shown in pink is changed).');
    await page.click('[data-testid=language-toggle]');
  });

  it('names an inpainting that erased its area for what it did, not by Volcengine’s keyword 删除', async () => {
    await page.goto(`${t.baseUrl}/history`);
    await card(erased).waitFor();
    expect(await card(erased).locator('[data-testid=task-prompt]').textContent()).toBe('擦除涂抹的区域');
    await page.click('[data-testid=language-toggle]');
    await page.waitForFunction((id) => document.querySelector(`[data-testid=task-card][data-task-id="${id}"] [data-testid=task-prompt]`)?.textContent === 'Erase the painted area', erased);
    // The viewer too.
    await card(erased).locator('[data-testid=task-thumbnail]').first().click();
    expect(await page.textContent('[data-testid=viewer-prompt]')).toBe('Erase the painted area');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=viewer-prompt]').waitFor({ state: 'detached' });
    await page.click('[data-testid=language-toggle]');
    // A prompt of its own is shown as it was written.
    expect(await card(made).locator('[data-testid=task-prompt]').textContent()).toBe('a tea house');
  });

  it('titles a Jimeng card by its model once in Chinese ("即梦绘画 文生图 3.1", not "即梦 · 即梦绘画 …")', async () => {
    await page.goto(`${t.baseUrl}/history`);
    await card(made).waitFor();
    expect(await card(made).locator('.task-title').textContent()).toBe('即梦绘画 文生图 3.1');
    // In English the model's name does not say the provider's: both are given.
    await page.click('[data-testid=language-toggle]');
    await page.waitForFunction((id) => document.querySelector(`[data-testid=task-card][data-task-id="${id}"] .task-title`)?.textContent?.trim() === 'Jimeng · DreamWork 3.1', made);
    await page.click('[data-testid=language-toggle]');
  });

  it('keeps a space between a failure’s headline and the provider’s words', async () => {
    await card(failed).locator('[data-testid=task-error]').waitFor();
    const error = (await card(failed).locator('[data-testid=task-error]').textContent())!.replace(/\s+/g, ' ');
    expect(error).toContain('服务商生成失败 · Jimeng');
    expect(await card(failed).locator('[data-testid=task-cost]').getAttribute('data-refunded')).toBe('true');
  });

  it('never shows a model’s id (jimeng-image-t2i-3.1) in a tooltip, on a card or in the viewer; an erasing has no prompt to copy', async () => {
    await page.goto(`${t.baseUrl}/history`);
    await card(made).waitFor();
    expect(await card(made).locator('.task-title').getAttribute('title')).toBe('即梦绘画 文生图 3.1');
    const ids = () => page.locator('[title*="jimeng-"], [aria-label*="jimeng-"], [alt*="jimeng-"]').count();
    expect(await ids()).toBe(0);
    await card(made).locator('[data-testid=task-thumbnail]').first().click();
    await page.waitForSelector('[data-testid=viewer-prompt]');
    expect(await ids()).toBe(0);
    expect(await page.locator('[data-testid=copy-prompt]').count()).toBe(1);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=viewer-prompt]').waitFor({ state: 'detached' });
    await card(erased).locator('[data-testid=task-thumbnail]').first().click();
    await page.waitForSelector('[data-testid=viewer-prompt]:text-is("擦除涂抹的区域")');
    expect(await page.locator('[data-testid=copy-prompt]').count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('says at once, in both studios, when a picture is too small or too narrow for Jimeng, instead of the server’s refusal after sending', async () => {
    const picture = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#c33' } }).png().toBuffer();
    const small = { name: 'small.png', mimeType: 'image/png', buffer: await picture(100, 100) };
    const narrow = { name: 'narrow.png', mimeType: 'image/png', buffer: await picture(1600, 400) };
    const fine = { name: 'fine.png', mimeType: 'image/png', buffer: await picture(640, 480) };
    const toast = (text: string) => page.locator('[data-testid=toast]', { hasText: text }).waitFor();

    await page.goto(`${t.baseUrl}/images`);
    await page.click('[data-testid=studio-provider-jimeng]');
    await page.click('[data-testid=dreamwork-mode-image]');
    const picker = page.locator('[data-testid=dreamwork-form] input[type=file]').first();
    await picker.setInputFiles(small);
    await toast('图片太小：短边至少 320 像素（这张是 100×100）');
    await picker.setInputFiles(narrow);
    await toast('图片太窄或太宽：长边不能超过短边的 3 倍（这张是 1600×400）');
    expect(await page.locator('[data-testid=studio-input-image]').count()).toBe(0);
    await picker.setInputFiles(fine);
    await page.waitForSelector('[data-testid=studio-input-image][data-status=ready]');

    // The video studio's Jimeng frames, in English.
    await page.click('[data-testid=language-toggle]');
    await page.goto(`${t.baseUrl}/videos`);
    await page.click('[data-testid=video-provider-jimeng]');
    await page.click('[data-testid=video-mode-image]');
    await page.locator('[data-testid=video-start-frame] input[type=file]').first().setInputFiles(small);
    await toast('The picture is too small: at least 320 px on its short side (this one is 100×100)');
    expect(await page.locator('[data-testid=video-start-frame] [data-testid=studio-input-image]').count()).toBe(0);
    await page.click('[data-testid=language-toggle]');
  });

  it('Admin › Jimeng: the key fields’ placeholders are whole, not cut off, at both sizes and in both languages', async () => {
    const admins = await browser.newContext({ viewport: DESKTOP });
    const adminPage = await admins.newPage();
    await adminPage.goto(`${t.baseUrl}/signin`);
    await adminPage.evaluate((token) => localStorage.setItem('atelier.token', token), admin.token);
    for (const locale of ['zh-CN', 'en'] as const) {
      await adminPage.evaluate((value) => localStorage.setItem('atelier.locale', value), locale);
      for (const viewport of [DESKTOP, PHONE]) {
        await adminPage.setViewportSize(viewport);
        await adminPage.goto(`${t.baseUrl}/admin/jimeng`);
        await adminPage.locator('[data-testid=jimeng-sandbox-notice]').waitFor();
        for (const name of ['jimengAccessKeyId', 'jimengSecretAccessKey']) {
          const fits = await adminPage.locator(`input[name=${name}]`).evaluate((input: HTMLInputElement) => {
            const style = getComputedStyle(input);
            const context = document.createElement('canvas').getContext('2d')!;
            context.font = style.font;
            const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return { placeholder: input.placeholder, fits: context.measureText(input.placeholder).width <= room };
          });
          expect({ locale, width: viewport.width, ...fits }).toMatchObject({ fits: true });
        }
      }
    }
    await admins.close();
  });

  it('says why a task waits unsent while Volcengine is busy (50430), then it runs by itself', async () => {
    await page.goto(`${t.baseUrl}/images`);
    await page.click('[data-testid=studio-provider-jimeng]');
    await page.waitForSelector('[data-testid=dreamwork-form]');
    await page.click('[data-testid=dreamwork-mode-text]');
    await page.fill('[data-testid=dreamwork-prompt]', 'sandbox:busy a crowded tea house');
    await page.click('[data-testid=studio-submit]');
    const busy = page.locator('[data-testid=studio-jobs] [data-testid=task-card]').first();
    await busy.and(page.locator('[data-status=pending]')).waitFor();
    await busy.locator('[data-testid=task-waiting]').waitFor({ timeout: 15_000 });
    expect(await busy.locator('[data-testid=task-waiting]').textContent()).toBe('等待空闲名额：服务商的并发任务已满，空出后会自动开始');
    // The hold over, it is sent and made; the note goes.
    await busy.and(page.locator('[data-status=succeeded]')).waitFor({ timeout: 30_000 });
    expect(await busy.locator('[data-testid=task-waiting]').count()).toBe(0);
  }, 90_000);
});
