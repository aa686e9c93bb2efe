import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

/** The video studio against the built-in Kling sandbox, starting from a Flux image made in the image studio. */
describe('web app: the video studio (Kling)', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let user: User;
  let fluxOutput: string;
  let video: string;

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

  it('makes a Flux image in the image studio', async () => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
    await page.goto(`${t.baseUrl}/images`);
    await page.fill('[data-testid=studio-prompt]', 'a lighthouse on a cliff');
    await page.press('[data-testid=studio-prompt]', 'Control+Enter');
    const flux = await newestJob();
    await jobCard(flux).and(page.locator('[data-status=succeeded]')).waitFor();
    fluxOutput = (await task(flux)).outputs[0].id;
  });

  it('shows only what the model takes, with the price of the mode and duration before submitting', async () => {
    await page.click('[data-testid=nav-videos]');
    await page.waitForURL(`${t.baseUrl}/videos`);
    await page.waitForSelector('[data-testid=video-form]');
    expect(await page.getAttribute('[data-testid=video-provider-kling]', 'aria-pressed')).toBe('true');
    expect(await page.isDisabled('[data-testid=video-provider-jimeng]')).toBe(false);
    // The default model, Kling 2.6: 25 credits per 5 seconds in std, no camera moves, no cfg.
    expect(await page.inputValue('[data-testid=video-model]')).toBe('kling-v2-6');
    await page.waitForSelector('[data-testid=studio-price][data-price="25"]');
    expect(await page.locator('[data-testid=video-camera]').count()).toBe(0);
    expect(await page.locator('[data-testid=video-cfgScale]').count()).toBe(0);
    await page.click('[data-testid=video-duration] label:has(input[value="10"])');
    await page.waitForSelector('[data-testid=studio-price][data-price="50"]');
    await page.click('[data-testid=video-duration] label:has(input[value="5"])');
    await page.waitForSelector('[data-testid=studio-price][data-price="25"]');

    // Kling 1.0 has camera moves and cfg; text to video has an aspect ratio.
    await page.selectOption('[data-testid=video-model]', 'kling-v1');
    await page.locator('[data-testid=video-camera-forward_up]').waitFor();
    await page.locator('[data-testid=video-cfgScale]').waitFor();
    await page.locator('[data-testid=video-aspectRatio]').waitFor();
    // A prompt is required for text to video.
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-prompt]')).toBe('请输入提示词');
  });

  it('starts a video from the Flux image, shows it waiting and running, then plays it', async () => {
    await page.click('[data-testid=video-mode-image]');
    // Image to video has no aspect ratio: the picture decides.
    await page.locator('[data-testid=video-start-frame]').waitFor();
    expect(await page.locator('[data-testid=video-aspectRatio]').count()).toBe(0);
    await page.click('[data-testid=video-start-frame] [data-testid=studio-use-previous]');
    await page.click(`[data-testid=studio-previous] [data-testid=studio-previous-output][data-output-id="${fluxOutput}"]`);
    await page.locator(`[data-testid=video-start-frame] [data-testid=studio-input-image][data-file-id="${fluxOutput}"]`).waitFor();
    await page.click('[data-testid=video-camera-forward_up]');
    await page.fill('[data-testid=video-prompt]', 'the waves roll in');

    // Slow enough to watch it wait and run, whatever the machine's load.
    await setTiming({ queueMs: 1500, runMinMs: 4000, runMaxMs: 4000 });
    await page.press('[data-testid=video-prompt]', 'Control+Enter');
    video = await newestJob();
    const card = jobCard(video);
    await card.locator('[data-testid=task-video-wait]').waitFor();
    await card.and(page.locator('[data-status=running]')).waitFor();
    await card.locator('[data-testid=task-progress]').waitFor();
    expect(await card.locator('[data-testid=task-video-wait]').textContent()).toContain('几分钟');
    await setTiming({ queueMs: 20, runMinMs: 20, runMaxMs: 40 });
    await card.and(page.locator('[data-status=succeeded]')).waitFor({ timeout: 60_000 });
    await page.waitForSelector('[data-testid=credit-balance][data-balance]');

    const made = await task(video);
    expect(made).toMatchObject({ provider: 'kling', kind: 'video', action: 'image-to-video', model: 'kling-v1:std', cost: 20 });
    expect(made.parameters).toMatchObject({ startFileId: fluxOutput, cameraControl: { type: 'forward_up' }, duration: 5, mode: 'std' });

    // The player: our stored video with its stored poster, long enough to play.
    const player = card.locator('[data-testid=task-video]');
    const output = made.outputs[0];
    expect(await player.getAttribute('src')).toBe(output.url);
    expect(await player.getAttribute('poster')).toBe(output.posterUrl);
    expect(output.posterUrl).toBeTruthy();
    expect(await loadedDuration(player)).toBeGreaterThan(0);
    await card.locator('[data-testid=task-duration]').waitFor();
    const download = card.locator('[data-testid=video-download]');
    const name = (await download.getAttribute('download'))!;
    expect(name).toMatch(/^the-waves-roll-in-\d{4}-\d{2}-\d{2}\.mp4$/);
    expect(await download.getAttribute('href')).toBe(`${output.url}?download=${encodeURIComponent(name)}`);
  });

  it('uses the last frame of the video as the start frame of the next one', async () => {
    const card = jobCard(video);
    await card.locator('[data-testid=video-last-frame]').click();
    const frame = page.locator('[data-testid=video-start-frame] [data-testid=studio-input-image][data-status=ready]');
    await page.waitForFunction(
      (previous) => {
        const id = document.querySelector('[data-testid=video-start-frame] [data-testid=studio-input-image]')?.getAttribute('data-file-id');
        return id && id !== previous;
      },
      fluxOutput,
    );
    const fileId = (await frame.getAttribute('data-file-id'))!;
    const file = (await t.http.get(`/api/v1/files/generated/${fileId}`).set(bearer(user.token)).expect(200)).body;
    expect(file).toMatchObject({ kind: 'image' });
  });

  it('fills the form again from the video ("reuse settings")', async () => {
    await page.selectOption('[data-testid=video-model]', 'kling-v2-6');
    await page.fill('[data-testid=video-prompt]', 'something else');
    await jobCard(video).locator('[data-testid=task-reuse]').click();
    await page.locator(`[data-testid=video-start-frame] [data-testid=studio-input-image][data-file-id="${fluxOutput}"]`).waitFor();
    expect(await page.inputValue('[data-testid=video-model]')).toBe('kling-v1');
    expect(await page.inputValue('[data-testid=video-prompt]')).toBe('the waves roll in');
    expect(await page.getAttribute('[data-testid=video-camera-forward_up]', 'aria-pressed')).toBe('true');
    expect(await page.getAttribute('[data-testid=video-mode-image]', 'aria-pressed')).toBe('true');
    await page.waitForSelector('[data-testid=studio-price][data-price="20"]');
  });

  it('lists the video in History, playable with its poster and length', async () => {
    await page.click('[data-testid=nav-history]');
    await page.waitForURL(`${t.baseUrl}/history`);
    const card = page.locator(`[data-testid=task-card][data-task-id="${video}"]`);
    await card.waitFor();
    const player = card.locator('[data-testid=task-video]');
    expect(await player.getAttribute('poster')).toBeTruthy();
    expect(await loadedDuration(player)).toBeGreaterThan(0);
    await card.locator('[data-testid=task-duration]').waitFor();
  });

  it('works on a phone (390×844): the form, then the cards under it', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.baseUrl}/videos`);
    await page.waitForSelector('[data-testid=video-form]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.locator(`[data-testid=task-card][data-task-id="${video}"] [data-testid=task-video]`).scrollIntoViewIfNeeded();
  });
});
