import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { makeVideo } from '../../api/test/video-fixtures.js';
import { launchBrowser } from './browser.js';

describe('web app: my files', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let folder: string;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    browser = await launchBrowser();
    page = await browser.newPage();
    folder = mkdtempSync(join(tmpdir(), 'atelier-upload-'));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('uploads an image, shows it with its thumbnail, previews it and deletes it', async () => {
    const user = await signUp(t.http, { name: 'Uploader' });
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
    await page.goto(`${t.baseUrl}/files`);

    const file = join(folder, 'sunset.png');
    writeFileSync(file, await sharp({ create: { width: 900, height: 600, channels: 3, background: '#e07020' } }).png().toBuffer());
    await page.setInputFiles('input[type=file][name=upload]', file);

    const card = page.locator('[data-testid=file-card]').first();
    await card.waitFor();
    const thumbnail = card.locator('img[data-testid=file-thumbnail]');
    await thumbnail.waitFor();
    const src = await thumbnail.getAttribute('src');
    expect(src).toMatch(/\.thumb\.jpg$/);
    // The thumbnail really loaded (a broken image has no natural width).
    await page.waitForFunction(() => (document.querySelector('img[data-testid=file-thumbnail]') as HTMLImageElement | null)?.naturalWidth === 512);

    await card.click();
    await page.waitForSelector('[data-testid=file-preview]');
    await page.click('[data-testid=delete-file]');
    await page.click('[data-testid=confirm-delete-file]');
    await page.waitForSelector('[data-testid=file-card]', { state: 'detached' });

    const listed = await t.http.get('/api/v1/files/generated').set('Authorization', `Bearer ${user.token}`).expect(200);
    expect(listed.body.items).toEqual([]);
    expect((await fetch(`${t.baseUrl}${src}`)).status).toBe(404);
  });

  it('shows a video by its poster and duration, and plays it inline with the poster', async () => {
    const user = await signUp(t.http, { name: 'Filmmaker' });
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), user.token);
    await page.goto(`${t.baseUrl}/files`);

    const file = join(folder, 'walk.mp4');
    writeFileSync(file, await makeVideo('mp4-faststart', { seconds: 3 }));
    await page.setInputFiles('input[type=file][name=upload]', file);

    const card = page.locator('[data-testid=file-card][data-kind=video]').first();
    await card.waitFor();
    const poster = card.locator('img[data-testid=file-thumbnail]');
    await poster.waitFor();
    expect(await poster.getAttribute('src')).toMatch(/\.poster\.jpg$/);
    await page.waitForFunction(() => (document.querySelector('img[data-testid=file-thumbnail]') as HTMLImageElement | null)?.naturalWidth === 320);
    expect(await card.locator('[data-testid=file-duration]').textContent()).toBe('0:03');

    await card.click();
    const video = page.locator('[data-testid=file-preview] video');
    await video.waitFor();
    expect(await video.getAttribute('poster')).toMatch(/\.poster\.jpg$/);
    expect(await video.getAttribute('src')).toMatch(/\.mp4$/);
    expect(await video.evaluate((element: HTMLVideoElement) => element.controls)).toBe(true);
    expect(await page.locator('[data-testid=preview-duration]').textContent()).toBe('0:03');
  });
});
