import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

const T2I = 'jimeng-image-t2i-3.1';
const SEEDREAM = 'jimeng-image-seedream-4.0';
const INPAINT = 'jimeng-image-inpaint';

/** DreamWork (Jimeng images) in the image studio, against the Volcengine sandbox on this server. */
describe('web app: DreamWork in the image studio', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: User;
  let user: User;
  let prices: Record<string, number>;
  /** The text-to-image task, then its inpainting. */
  let made: string;
  let inpainted: string;

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
  const succeeded = (id: string) => jobCard(id).and(page.locator('[data-status=succeeded]')).waitFor();

  beforeAll(async () => {
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150' } });
    // The first account is the admin.
    admin = await signUp(t.http, { name: 'Ada Admin' });
    user = await signUp(t.http, { name: 'Hana' });
    const models = (await t.http.get('/api/v1/jimeng/models').set(bearer(user.token)).expect(200)).body.models as { id: string; price: { credits: number } }[];
    prices = Object.fromEntries(models.map((model) => [model.id, model.price.credits]));
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('offers DreamWork next to Flux, with its image models and a form from the catalogue', async () => {
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
    await page.goto(`${t.baseUrl}/images`);
    await page.waitForSelector('[data-testid=studio-form]');
    const tile = page.locator('[data-testid=studio-provider] input[value=jimeng]');
    await page.waitForFunction(() => !(document.querySelector('[data-testid=studio-provider] input[value=jimeng]') as HTMLInputElement | null)?.disabled);
    expect(await page.textContent('[data-testid=studio-provider-jimeng] .provider-name')).toBe('即梦绘画');
    await page.click('[data-testid=studio-provider-jimeng]');
    expect(await tile.isChecked()).toBe(true);
    await page.waitForSelector('[data-testid=dreamwork-form]');
    expect(await page.locator('[data-testid=studio-form]').count()).toBe(0);

    // Text-to-image lists the three text-to-image models; the others are in their modes.
    const options = async () => page.locator('[data-testid=dreamwork-model] option').evaluateAll((list) => list.map((option) => (option as HTMLOptionElement).value));
    expect(await options()).toEqual(['jimeng-image-t2i-3.0', 'jimeng-image-t2i-3.1', SEEDREAM]);
    await page.click('[data-testid=dreamwork-mode-image]');
    expect(await options()).toEqual(['jimeng-image-i2i-3.0']);
    await page.click('[data-testid=dreamwork-mode-inpaint]');
    expect(await options()).toEqual([INPAINT]);
    await page.click('[data-testid=dreamwork-mode-text]');

    // Seedream: reference images (0–10), strength, several images; no prompt expansion.
    await page.selectOption('[data-testid=dreamwork-model]', SEEDREAM);
    await page.waitForSelector('[data-testid=dreamwork-several]');
    expect(await page.textContent('[data-testid=studio-input-count]')).toBe('0 / 10');
    await page.locator('[data-testid=dreamwork-strength]').waitFor();
    expect(await page.locator('[data-testid=dreamwork-prompt-expansion]').count()).toBe(0);
    // 3.1: prompt expansion (on by default), no references, no strength; the price in the bar.
    await page.selectOption('[data-testid=dreamwork-model]', T2I);
    await page.waitForSelector('[data-testid=dreamwork-prompt-expansion]');
    expect(await page.isChecked('[data-testid=dreamwork-prompt-expansion]')).toBe(true);
    expect(await page.locator('[data-testid=dreamwork-strength]').count()).toBe(0);
    expect(await page.locator('[data-testid=studio-dropzone]').count()).toBe(0);
    await page.waitForSelector(`[data-testid=studio-price][data-price="${prices[T2I]}"]`);
  });

  it('checks a custom size against the model’s rules as it is typed, saying which one it breaks', async () => {
    await page.click('[data-testid=dreamwork-size] label:has(input[value=custom])');
    const error = page.locator('[data-testid=dreamwork-size-error]');
    // 3.1: area 512²–2048², at most 3:1.
    await page.fill('[data-testid=dreamwork-width]', '300');
    await page.fill('[data-testid=dreamwork-height]', '300');
    expect(await error.textContent()).toBe('尺寸过大或过小：宽 × 高须在 512×512 到 2048×2048 之间');
    expect(await page.isDisabled('[data-testid=studio-submit]')).toBe(true);
    await page.fill('[data-testid=dreamwork-width]', '2400');
    await page.fill('[data-testid=dreamwork-height]', '600');
    expect(await error.textContent()).toBe('太窄或太宽：长边不能超过短边的 3 倍');
    // In English too.
    await page.click('[data-testid=language-toggle]');
    await page.waitForSelector('[data-testid=dreamwork-size-error]:text-is("Too narrow or too wide: the long side can be at most 3 times the short side")');
    await page.click('[data-testid=language-toggle]');
    await page.fill('[data-testid=dreamwork-width]', '1200');
    await error.waitFor({ state: 'detached' });
    expect(await page.textContent('[data-testid=dreamwork-size-hint]')).toContain('1200 × 600 像素');
    expect(await page.isDisabled('[data-testid=studio-submit]')).toBe(false);
  });

  it('makes an image from a prompt, live, into the studio’s cards, charging the catalogue’s price', async () => {
    // A preset instead of the custom size.
    await page.click('[data-testid=dreamwork-size] label:has(input[value="1:1"])');
    await page.click('[data-testid=dreamwork-prompt-expansion]');
    // A prompt is required.
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-prompt]')).toBe('请输入提示词');
    await page.fill('[data-testid=dreamwork-prompt]', 'a tea house in the mountains');
    await page.press('[data-testid=dreamwork-prompt]', 'Control+Enter');
    made = await newestJob();
    await succeeded(made);
    await page.waitForSelector(`[data-testid=credit-balance][data-balance="${100 - prices[T2I]}"]`);
    const sent = await task(made);
    expect(sent).toMatchObject({ provider: 'jimeng', model: T2I, kind: 'image', status: 'succeeded', cost: prices[T2I], prompt: 'a tea house in the mountains' });
    expect(sent.parameters).toMatchObject({ promptExpansion: false });
    expect(typeof sent.parameters.seed).toBe('number');
    expect(sent.outputs.length).toBeGreaterThan(0);
    // The seed used is shown, to lock it.
    expect(await page.inputValue('[data-testid=studio-param-seed]')).toBe(String(sent.parameters.seed));
    await jobCard(made).locator('[data-testid=dreamwork-inpaint]').waitFor();
    await jobCard(made).locator('[data-testid=dreamwork-use-input]').waitFor();
  });

  it('inpaints part of the result with a painted mask: the mask sent is white where painted', async () => {
    await jobCard(made).locator('[data-testid=dreamwork-inpaint]').click();
    expect(await page.getAttribute('[data-testid=dreamwork-mode-inpaint]', 'aria-pressed')).toBe('true');
    expect(await page.getAttribute('[data-testid=studio-input-image]', 'data-file-id')).toBe((await task(made)).outputs[0].id);
    const canvas = page.locator('[data-testid=dreamwork-mask] [data-testid=mask-canvas]');
    await canvas.waitFor();

    // Nothing painted yet: the form says so rather than sending an empty mask.
    await page.fill('[data-testid=dreamwork-prompt]', 'a red lantern');
    await page.click('[data-testid=studio-submit]');
    expect(await page.textContent('[data-testid=field-error-mask]')).toBe('请在图片上涂抹要重绘的区域');

    // A rectangle over the top-left quarter.
    await canvas.scrollIntoViewIfNeeded();
    await page.locator('[data-testid=dreamwork-mask] [data-testid=mask-tool-rect]').click();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.45, { steps: 6 });
    await page.mouse.up();
    await page.locator('[data-testid=dreamwork-mask] [data-testid=mask-painter][data-painted=true]').waitFor();

    // "Erase" sends 删除 instead of a prompt.
    await page.click('[data-testid=dreamwork-erase]');
    expect(await page.locator('[data-testid=dreamwork-prompt]').count()).toBe(0);
    const request = page.waitForRequest((candidate) => candidate.url().endsWith('/api/v1/jimeng/inpaint') && candidate.method() === 'POST');
    await page.click('[data-testid=studio-submit]');
    const body = (await request).postDataJSON() as { model: string; prompt: string; image: { fileId: string }; maskDataUrl: string };
    expect(body).toMatchObject({ model: INPAINT, prompt: '删除', image: { fileId: (await task(made)).outputs[0].id } });
    expect(body.maskDataUrl).toMatch(/^data:image\/png;base64,/);
    const { data, info } = await sharp(Buffer.from(body.maskDataUrl.split(',')[1], 'base64')).greyscale().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[Math.round(y * (info.height - 1)) * info.width + Math.round(x * (info.width - 1))];
    const source = (await task(made)).outputs[0];
    expect(info.width / info.height).toBeCloseTo(source.width / source.height, 1);
    expect(at(0.25, 0.25)).toBeGreaterThan(200);
    expect(at(0.4, 0.15)).toBeGreaterThan(200);
    expect(at(0.75, 0.75)).toBeLessThan(50);
    expect(at(0.6, 0.2)).toBeLessThan(50);

    inpainted = await newestJob(made);
    await succeeded(inpainted);
    expect(await task(inpainted)).toMatchObject({ provider: 'jimeng', model: INPAINT, prompt: '删除', cost: prices[INPAINT] });
    await page.waitForSelector(`[data-testid=credit-balance][data-balance="${100 - prices[T2I] - prices[INPAINT]}"]`);
  });

  it('uses a result as the input of an image-to-image', async () => {
    await jobCard(inpainted).locator('[data-testid=dreamwork-use-input]').click();
    expect(await page.getAttribute('[data-testid=dreamwork-mode-image]', 'aria-pressed')).toBe('true');
    await page.waitForSelector(`[data-testid=studio-input-image][data-file-id="${(await task(inpainted)).outputs[0].id}"]`);
    expect(await page.inputValue('[data-testid=dreamwork-model]')).toBe('jimeng-image-i2i-3.0');
    // Follows the input's size unless one is chosen.
    expect(await page.getAttribute('[data-testid=dreamwork-size]', 'data-value')).toBe('auto');

    // Or one of my files: the first result instead.
    const first = (await task(made)).outputs[0].id;
    await page.click('[data-testid=studio-use-my-file]');
    await page.click(`[data-testid=studio-my-files] [data-testid=studio-my-file][data-file-id="${first}"]`);
    await page.locator('[data-testid=studio-my-files]').waitFor({ state: 'detached' });
    await page.waitForSelector(`[data-testid=studio-input-image][data-file-id="${first}"]`);
    expect(await page.locator('[data-testid=studio-input-image]').count()).toBe(1);
    await page.fill('[data-testid=dreamwork-prompt]', 'make it winter');
    await page.click('[data-testid=studio-submit]');
    const edited = await newestJob(inpainted);
    await succeeded(edited);
    expect(await task(edited)).toMatchObject({ provider: 'jimeng', model: 'jimeng-image-i2i-3.0', prompt: 'make it winter', parameters: { strength: 0.5 } });
    expect((await task(edited)).parameters.width).toBeUndefined();
  });

  it('lists DreamWork images in the history like any other', async () => {
    await page.click('[data-testid=nav-history]');
    await page.waitForURL(`${t.baseUrl}/history`);
    await page.locator(`[data-testid=task-card][data-task-id="${inpainted}"][data-status=succeeded]`).waitFor();
    await page.locator(`[data-testid=task-card][data-task-id="${made}"] [data-testid=task-thumbnail]`).first().waitFor();
    // The image studio keeps the DreamWork form on the way back.
    await page.click('[data-testid=nav-images]');
    await page.waitForSelector('[data-testid=dreamwork-form]');
  });

  it('reuses a DreamWork task’s settings from the history in the DreamWork form', async () => {
    // From Flux's form, as a fresh visit would be.
    await page.click('[data-testid=studio-provider-flux]');
    await page.waitForSelector('[data-testid=studio-form]');
    await page.click('[data-testid=nav-history]');
    await page.locator(`[data-testid=task-card][data-task-id="${made}"] [data-testid=task-reuse]`).click();
    await page.waitForURL(`${t.baseUrl}/images`);
    await page.waitForSelector('[data-testid=dreamwork-form]');
    expect(await page.isChecked('[data-testid=studio-provider] input[value=jimeng]')).toBe(true);
    expect(await page.getAttribute('[data-testid=dreamwork-mode-text]', 'aria-pressed')).toBe('true');
    expect(await page.inputValue('[data-testid=dreamwork-model]')).toBe(T2I);
    await page.waitForFunction(() => (document.querySelector('[data-testid=dreamwork-prompt]') as HTMLTextAreaElement | null)?.value === 'a tea house in the mountains');
    expect(await page.isChecked('[data-testid=dreamwork-prompt-expansion]')).toBe(false);
    expect(await page.getAttribute('[data-testid=dreamwork-size]', 'data-value')).toBe('1:1');
    expect(await page.inputValue('[data-testid=studio-param-seed]')).toBe(String((await task(made)).parameters.seed));

    // An inpainting comes back with its picture (not its mask, which is painted again) and "erase".
    await page.click('[data-testid=nav-history]');
    await page.locator(`[data-testid=task-card][data-task-id="${inpainted}"] [data-testid=task-reuse]`).click();
    await page.waitForURL(`${t.baseUrl}/images`);
    await page.waitForSelector('[data-testid=dreamwork-mode-inpaint][aria-pressed=true]');
    await page.waitForSelector(`[data-testid=studio-input-image][data-file-id="${(await task(made)).outputs[0].id}"]`);
    expect(await page.locator('[data-testid=studio-input-image]').count()).toBe(1);
    expect(await page.isChecked('[data-testid=dreamwork-erase]')).toBe(true);
    await page.locator('[data-testid=dreamwork-mask] [data-testid=mask-painter][data-painted=false]').waitFor();
  });

  it('sends Seedream 4.0 earlier results as references, its strength, and several images allowed', async () => {
    await page.click('[data-testid=dreamwork-mode-text]');
    await page.selectOption('[data-testid=dreamwork-model]', SEEDREAM);
    await page.waitForSelector(`[data-testid=studio-price][data-price="${prices[SEEDREAM]}"]`);
    const first = (await task(made)).outputs[0].id;
    const second = (await task(inpainted)).outputs[0].id;
    for (const id of [first, second]) {
      await page.click('[data-testid=studio-use-previous]');
      await page.click(`[data-testid=studio-previous] [data-testid=studio-previous-output][data-output-id="${id}"]`);
      await page.waitForSelector(`[data-testid=studio-input-image][data-file-id="${id}"][data-status=ready]`);
    }
    expect(await page.textContent('[data-testid=studio-input-count]')).toBe('2 / 10');
    await page.locator('[data-testid=dreamwork-strength]').fill('0.8');
    expect(await page.textContent('[data-testid=dreamwork-strength-value]')).toBe('0.80');
    await page.click('[data-testid=dreamwork-several]');
    await page.fill('[data-testid=dreamwork-prompt]', 'the tea house and the lantern together');
    const before = await newestJob();
    await page.click('[data-testid=studio-submit]');
    const seedream = await newestJob(before);
    await succeeded(seedream);
    const sent = await task(seedream);
    expect(sent).toMatchObject({ model: SEEDREAM, cost: prices[SEEDREAM], parameters: { strength: 0.8, forceSingle: false, imageFileIds: [first, second] } });
  });

  it('turns the inpainted picture into a Jimeng video (image-to-video) that plays in History', async () => {
    const picture = (await task(inpainted)).outputs[0].id;
    await page.click('[data-testid=nav-videos]');
    await page.waitForURL(`${t.baseUrl}/videos`);
    await page.click('[data-testid=video-provider-jimeng]');
    await page.click('[data-testid=video-mode-image]');
    await page.click('[data-testid=video-jimeng-quality] label:has(input[value="720p"])');
    // The first frame: the inpainted result, picked among earlier results.
    await page.click('[data-testid=video-start-frame] [data-testid=studio-use-previous]');
    await page.click(`[data-testid=studio-previous] [data-testid=studio-previous-output][data-output-id="${picture}"]`);
    await page.waitForSelector(`[data-testid=video-start-frame] [data-testid=studio-input-image][data-file-id="${picture}"][data-status=ready]`);
    expect(await page.getAttribute('[data-testid=video-jimeng-model]', 'data-model')).toBe('jimeng-video-3.0-720p-i2v');
    await page.fill('[data-testid=video-prompt]', 'lanterns sway in the evening wind');
    const submitted = page.waitForResponse((response) => response.url().endsWith('/api/v1/jimeng/image-to-video') && response.request().method() === 'POST');
    await page.click('[data-testid=studio-submit]');
    const response = await submitted;
    expect(response.status()).toBe(201);
    const video = ((await response.json()) as { id: string }).id;
    await jobCard(video).and(page.locator('[data-status=succeeded]')).waitFor({ timeout: 60_000 });
    expect(await task(video)).toMatchObject({ provider: 'jimeng', kind: 'video', model: 'jimeng-video-3.0-720p-i2v', parameters: { imageFileIds: [picture] } });

    // History plays it.
    await page.click('[data-testid=nav-history]');
    await page.waitForURL(`${t.baseUrl}/history`);
    const player = page.locator(`[data-testid=task-card][data-task-id="${video}"] [data-testid=task-video]`);
    await player.waitFor();
    const duration = await player.evaluate(
      (element: HTMLVideoElement) =>
        new Promise<number>((resolve, reject) => {
          if (element.readyState >= 1) return resolve(element.duration);
          element.addEventListener('loadedmetadata', () => resolve(element.duration), { once: true });
          element.addEventListener('error', () => reject(new Error(`video error ${element.error?.code}`)), { once: true });
          element.load();
        }),
    );
    expect(duration).toBeGreaterThan(0);
    await page.click('[data-testid=nav-images]');
    await page.waitForSelector('[data-testid=dreamwork-form]');
  });

  it('says on the tile why DreamWork cannot be chosen when an administrator turns it off', async () => {
    await t.http.post('/api/v1/jimeng/config').set(bearer(admin.token)).send({ enabled: false }).expect(200);
    await page.reload();
    await page.waitForSelector('[data-testid=studio-provider-jimeng-note]');
    expect(await page.isDisabled('[data-testid=studio-provider] input[value=jimeng]')).toBe(true);
    expect(await page.isChecked('[data-testid=studio-provider] input[value=flux]')).toBe(true);
    expect(await page.textContent('[data-testid=studio-provider-jimeng-note]')).toBe('即梦绘画已被管理员关闭，暂时无法生成。');
    await page.click('[data-testid=language-toggle]');
    await page.waitForSelector('[data-testid=studio-provider-jimeng-note]:text-is("DreamWork has been turned off by an administrator.")');
    await page.click('[data-testid=language-toggle]');
  });
});
