import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;
interface CatalogueModel {
  id: string;
  kind: string;
  price: { byDuration: Record<string, number> };
}

/** Jimeng (即梦) in the video studio, against the built-in Volcengine sandbox. */
describe('web app: Jimeng videos in the video studio', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: User;
  let user: User;
  /** Credits per model id and duration, from the catalogue. */
  let price: (model: string, seconds: 5 | 10) => number;
  let textVideo: string;
  let imageVideo: string;
  let firstFrame: string;
  let lastFrame: string;

  const task = async (id: string) => (await t.http.get(`/api/v1/tasks/${id}`).set(bearer(user.token)).expect(200)).body;
  const jobCard = (id: string): Locator => page.locator(`[data-testid=studio-jobs] [data-testid=task-card][data-task-id="${id}"]`);
  /** The newest card of the jobs list, once it is another than `before`. */
  const newestJob = async (before?: string) => {
    const handle = await page.waitForFunction((previous) => {
      const id = document.querySelector('[data-testid=studio-jobs] [data-testid=task-card]')?.getAttribute('data-task-id');
      return id && id !== previous ? id : null;
    }, before ?? null);
    return (await handle.jsonValue()) as string;
  };
  const setTiming = (timing: object) => t.http.post('/sandbox/_control/timing').send(timing).expect(200);
  /** Waits until the video element has loaded its metadata, and answers its duration. */
  const loadedDuration = async (player: Locator) => {
    await player.waitFor();
    const handle = await player.evaluateHandle(
      (element: HTMLVideoElement) =>
        new Promise<number>((resolve, reject) => {
          if (element.readyState >= 1) return resolve(element.duration);
          element.addEventListener('loadedmetadata', () => resolve(element.duration), { once: true });
          element.addEventListener('error', () => reject(new Error(`video error ${element.error?.code}`)), { once: true });
          element.load();
        }),
    );
    return (await handle.jsonValue()) as number;
  };
  /** A JPEG/PNG Volcengine takes as a frame (short side ≥ 320 px). */
  const png = async (name: string, background: string) => ({
    name,
    mimeType: 'image/png',
    buffer: await sharp({ create: { width: 640, height: 480, channels: 3, background } }).png().toBuffer(),
  });
  const pickQuality = (quality: string) => page.click(`[data-testid=video-jimeng-quality] label:has(input[value="${quality}"])`);
  /** The model the form will submit, as it says under the quality. */
  const chosenModel = () => page.getAttribute('[data-testid=video-jimeng-model]', 'data-model');

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    // The first account is the admin.
    admin = await signUp(t.http, { name: 'Ada Admin' });
    user = await signUp(t.http, { name: 'Hana' });
    // Videos cost more than the welcome credits allow for three.
    await t.http.post('/api/v1/admin/credits/grant').set(bearer(admin.token)).send({ userId: user.id, amount: 500, reason: 'videos to test' }).expect(200);
    const catalogue = (await t.http.get('/api/v1/jimeng/models').set(bearer(user.token)).expect(200)).body as { models: CatalogueModel[] };
    const videos = catalogue.models.filter((model) => model.kind === 'video');
    expect(videos.length).toBe(7);
    price = (model, seconds) => videos.find((candidate) => candidate.id === model)!.price.byDuration[String(seconds)];
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('offers Jimeng next to Kling: quality, 5 s / 10 s, aspect ratio and seed, priced from the catalogue', async () => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
    await page.goto(`${t.baseUrl}/videos`);
    await page.waitForSelector('[data-testid=video-form]');
    expect(await page.getAttribute('[data-testid=video-provider-kling]', 'aria-pressed')).toBe('true');
    await page.click('[data-testid=video-provider-jimeng]');
    expect(await page.getAttribute('[data-testid=video-provider-jimeng]', 'aria-pressed')).toBe('true');

    // Kling's own fields go; Jimeng's come: quality chips, seed, and in text to video the aspect ratio.
    await page.locator('[data-testid=video-jimeng-quality]').waitFor();
    expect(await page.locator('[data-testid=video-model]').count()).toBe(0);
    expect(await page.locator('[data-testid=video-quality]').count()).toBe(0);
    expect(await page.locator('[data-testid=video-camera]').count()).toBe(0);
    expect(await page.locator('[data-testid=video-negative]').count()).toBe(0);
    await page.locator('[data-testid=video-seed]').waitFor();
    const qualities = await page.locator('[data-testid=video-jimeng-quality] input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(qualities).toEqual(['720p', '1080p', 'pro']);
    const ratios = await page.locator('[data-testid=video-aspectRatio] input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(ratios).toEqual(['16:9', '4:3', '1:1', '3:4', '9:16', '21:9']);
    expect(await page.getAttribute('[data-testid=video-prompt]', 'maxlength')).toBe('800');

    // The price per 5 s from the catalogue; 10 s costs twice as much.
    await pickQuality('1080p');
    const fiveSeconds = price('jimeng-video-3.0-1080p-t2v', 5);
    await page.waitForSelector(`[data-testid=studio-price][data-price="${fiveSeconds}"]`);
    await page.click('[data-testid=video-duration] label:has(input[value="10"])');
    expect(price('jimeng-video-3.0-1080p-t2v', 10)).toBe(2 * fiveSeconds);
    await page.waitForSelector(`[data-testid=studio-price][data-price="${2 * fiveSeconds}"]`);

    // A prompt is required for text to video.
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-prompt]')).toBe('请输入提示词');
  });

  it('makes a text-to-video, following it live until it plays', async () => {
    await page.click('[data-testid=video-aspectRatio] label:has(input[value="9:16"])');
    await page.fill('[data-testid=video-seed]', '42');
    await page.fill('[data-testid=video-prompt]', 'a paper boat on a rainy street');
    // Slow enough to watch it wait and run, whatever the machine's load.
    await setTiming({ queueMs: 1500, runMinMs: 3000, runMaxMs: 3000 });
    await page.press('[data-testid=video-prompt]', 'Control+Enter');
    textVideo = await newestJob();
    const card = jobCard(textVideo);
    await card.locator('[data-testid=task-video-wait]').waitFor();
    await card.and(page.locator('[data-status=running]')).waitFor();
    await setTiming({ queueMs: 20, runMinMs: 20, runMaxMs: 40 });
    await card.and(page.locator('[data-status=succeeded]')).waitFor({ timeout: 60_000 });

    const made = await task(textVideo);
    expect(made).toMatchObject({
      provider: 'jimeng',
      kind: 'video',
      action: 'text-to-video',
      model: 'jimeng-video-3.0-1080p-t2v',
      cost: price('jimeng-video-3.0-1080p-t2v', 10),
    });
    expect(made.parameters).toMatchObject({ seed: 42, duration: 10, aspectRatio: '9:16' });
    const player = card.locator('[data-testid=task-video]');
    expect(await player.getAttribute('src')).toBe(made.outputs[0].url);
    expect(await player.getAttribute('poster')).toBeTruthy();
    expect(await loadedDuration(player)).toBeGreaterThan(0);
    await card.locator('[data-testid=video-download]').waitFor();
    // Storing a video's last frame is Kling's route; Jimeng has none.
    expect(await card.locator('[data-testid=video-last-frame]').count()).toBe(0);
  });

  it('picks the first+last-frame model once a last frame is set; Pro takes only a first frame', async () => {
    await page.click('[data-testid=video-mode-image]');
    await page.locator('[data-testid=video-start-frame]').waitFor();
    // Image to video follows its picture: no aspect ratio.
    expect(await page.locator('[data-testid=video-aspectRatio]').count()).toBe(0);
    await pickQuality('pro');
    expect(await page.locator('[data-testid=video-end-frame]').count()).toBe(0);
    await page.locator('[data-testid=video-jimeng-first-only]').waitFor();
    await page.click('[data-testid=video-duration] label:has(input[value="5"])');
    await page.waitForSelector(`[data-testid=studio-price][data-price="${price('jimeng-video-3.0-pro', 5)}"]`);
    expect(await chosenModel()).toBe('jimeng-video-3.0-pro');

    await pickQuality('720p');
    await page.locator('[data-testid=video-end-frame]').waitFor();
    expect(await page.locator('[data-testid=video-jimeng-first-only]').count()).toBe(0);
    // A first frame is required.
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=video-start-frame] [data-testid=field-error-images]')).toBe('请添加首帧');

    // Volcengine's 4.7 MB limit is checked before uploading.
    await page.setInputFiles('[data-testid=video-start-frame] [data-testid=studio-upload]', { name: 'big.png', mimeType: 'image/png', buffer: Buffer.alloc(5 * 1024 * 1024) });
    await page.waitForSelector('[data-testid=toast]:has-text("图片超过 4.7 MB")');
    expect(await page.locator('[data-testid=video-start-frame] [data-testid=studio-input-image]').count()).toBe(0);
    await page.setInputFiles('[data-testid=video-start-frame] [data-testid=studio-upload]', await png('harbour.png', '#2070e0'));
    await page.locator('[data-testid=video-start-frame] [data-testid=studio-input-image][data-status=ready]').waitFor();
    await page.waitForSelector(`[data-testid=studio-price][data-price="${price('jimeng-video-3.0-720p-i2v', 5)}"]`);
    expect(await chosenModel()).toBe('jimeng-video-3.0-720p-i2v');
    await page.setInputFiles('[data-testid=video-end-frame] [data-testid=studio-upload]', await png('dusk.png', '#e07020'));
    await page.locator('[data-testid=video-end-frame] [data-testid=studio-input-image][data-status=ready]').waitFor();
    await page.waitForSelector(`[data-testid=studio-price][data-price="${price('jimeng-video-3.0-720p-first-tail', 5)}"]`);
    expect(await chosenModel()).toBe('jimeng-video-3.0-720p-first-tail');
    firstFrame = (await page.getAttribute('[data-testid=video-start-frame] [data-testid=studio-input-image]', 'data-file-id'))!;
    lastFrame = (await page.getAttribute('[data-testid=video-end-frame] [data-testid=studio-input-image]', 'data-file-id'))!;

    await page.fill('[data-testid=video-prompt]', 'the day turns to dusk over the harbour');
    await page.press('[data-testid=video-prompt]', 'Control+Enter');
    imageVideo = await newestJob(textVideo);
    const card = jobCard(imageVideo);
    await card.and(page.locator('[data-status=succeeded]')).waitFor({ timeout: 60_000 });
    const made = await task(imageVideo);
    expect(made).toMatchObject({
      provider: 'jimeng',
      kind: 'video',
      action: 'image-to-video',
      model: 'jimeng-video-3.0-720p-first-tail',
      cost: price('jimeng-video-3.0-720p-first-tail', 5),
    });
    expect(made.parameters).toMatchObject({ imageFileIds: [firstFrame, lastFrame], duration: 5 });
    expect(await loadedDuration(card.locator('[data-testid=task-video]'))).toBeGreaterThan(0);
  });

  it('plays the image-to-video in History, found under the Jimeng filter', async () => {
    await page.click('[data-testid=nav-history]');
    await page.waitForURL(`${t.baseUrl}/history`);
    const card = page.locator(`[data-testid=task-card][data-task-id="${imageVideo}"]`);
    await card.waitFor();
    await page.selectOption('[data-testid=history-filter-source]', 'jimeng');
    await card.waitFor();
    expect(await page.locator('[data-testid=task-card]').count()).toBe(2);
    expect(await card.textContent()).toContain('即梦');
    const player = card.locator('[data-testid=task-video]');
    expect(await player.getAttribute('poster')).toBeTruthy();
    expect(await loadedDuration(player)).toBeGreaterThan(0);
    await card.locator('[data-testid=task-duration]').waitFor();
  });

  it('fills the video studio again from the History card ("reuse settings")', async () => {
    await page.locator(`[data-testid=task-card][data-task-id="${imageVideo}"] [data-testid=task-reuse]`).click();
    await page.waitForURL(`${t.baseUrl}/videos`);
    await page.locator(`[data-testid=video-end-frame] [data-testid=studio-input-image][data-file-id="${lastFrame}"]`).waitFor();
    await page.locator(`[data-testid=video-start-frame] [data-testid=studio-input-image][data-file-id="${firstFrame}"]`).waitFor();
    expect(await page.getAttribute('[data-testid=video-provider-jimeng]', 'aria-pressed')).toBe('true');
    expect(await page.getAttribute('[data-testid=video-mode-image]', 'aria-pressed')).toBe('true');
    expect(await page.getAttribute('[data-testid=video-jimeng-quality]', 'data-value')).toBe('720p');
    expect(await chosenModel()).toBe('jimeng-video-3.0-720p-first-tail');
    expect(await page.inputValue('[data-testid=video-prompt]')).toBe('the day turns to dusk over the harbour');
  });

  it('says why Jimeng cannot be picked when an admin turns it off', async () => {
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ enabled: false }).expect(200);
    try {
      await page.goto(`${t.baseUrl}/videos`);
      await page.waitForSelector('[data-testid=video-form]');
      expect(await page.isDisabled('[data-testid=video-provider-jimeng]')).toBe(true);
      // The API's words for why, in the UI's language.
      const config = (await t.http.get('/api/v1/jimeng/config/user').set(bearer(user.token)).set('Accept-Language', 'zh-CN').expect(200)).body;
      expect(config.unavailable).toBeTruthy();
      expect(await page.textContent('[data-testid=video-provider-jimeng-why]')).toContain(config.unavailable);
      expect(await page.getAttribute('[data-testid=video-provider-kling]', 'aria-pressed')).toBe('true');
      await page.locator('[data-testid=video-model]').waitFor();
    } finally {
      await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ enabled: true }).expect(200);
    }
  });

  it('works on a phone (390×844) with the Jimeng form', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.baseUrl}/videos`);
    await page.waitForSelector('[data-testid=video-form]');
    await page.click('[data-testid=video-provider-jimeng]');
    await page.click('[data-testid=video-mode-image]');
    await page.locator('[data-testid=video-end-frame]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.locator(`[data-testid=task-card][data-task-id="${imageVideo}"] [data-testid=task-video]`).scrollIntoViewIfNeeded();
  });
});
