import type { Browser, Page } from 'playwright-core';
import { ProviderError } from '../../api/src/modules/scheduler/provider-adapter.js';
import { ProviderRegistry } from '../../api/src/modules/scheduler/provider-registry.js';
import { TasksService } from '../../api/src/modules/scheduler/tasks.service.js';
import { MediaKind } from '../../api/src/modules/storage/media-file.entity.js';
import { createFakeAdapter, type FakeProvider, startFakeProvider } from '../../api/test/fixtures/fake-provider.mjs';
import { signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

describe('screens', () => {
  let t: TestApp; let provider: FakeProvider; let browser: Browser; let page: Page;
  beforeAll(async () => {
    provider = await startFakeProvider({ queueMs: 300, runMs: 400 });
    t = await startTestApp({ listen: true, env: { TASK_TICK_MS: '30', TASK_POLL_MIN_MS: '20', TASK_POLL_MAX_MS: '150', FETCH_ALLOWLIST: `${provider.url}/` },
      beforeInit: (app) => app.get(ProviderRegistry).register(createFakeAdapter(provider.url, { ProviderError })) });
    browser = await launchBrowser(); page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => { await browser?.close(); await t?.close(); await provider?.close(); });
  it('shoots', async () => {
    const admin = await signUp(t.http, { name: 'Ada' });
    const submit = (prompt: string) => t.app.get(TasksService).submit(admin.id, { provider: 'fake', model: 'fake-1', kind: MediaKind.Image, action: 'text-to-image', prompt, input: { prompt } });
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), admin.token);
    await page.goto(`${t.baseUrl}/history`);
    await page.waitForSelector('[data-testid=history-empty]');
    await page.screenshot({ path: '/tmp/shots/empty.png', fullPage: true });
    provider.jobs; 
    await submit('fake:fail a broken one');
    await submit('fake:queued waiting in line for a long long time with a long prompt that wraps');
    await submit('fake:queued second in line');
    await submit('a long running one');
    await submit('fake:images=3 a trio of lighthouses');
    await submit('fake:images=6 six lighthouses');
    await new Promise((r) => setTimeout(r, 2500));
    await page.locator('[data-testid=task-card][data-status=queued] [data-testid=task-cancel]').first().click();
    await new Promise((r) => setTimeout(r, 1000));
    await page.screenshot({ path: '/tmp/shots/history2.png', fullPage: true });
    await page.locator('[data-testid=task-output]').first().click();
    await page.waitForSelector('[data-testid=viewer-image]');
    await new Promise((r) => setTimeout(r, 500));
    await page.screenshot({ path: '/tmp/shots/viewer.png' });
    console.log(await page.evaluate(() => { const b = document.querySelector('.modal-backdrop')!; const r = b.getBoundingClientRect(); const cs = getComputedStyle(b); return JSON.stringify({ r, bg: cs.backgroundColor, pos: cs.position, z: cs.zIndex, op: cs.opacity, parent: b.parentElement?.tagName }); }));
    await page.keyboard.press('Escape');
    await page.click('[data-testid=nav-admin]');
    await page.waitForSelector('[data-testid=user-row]');
    await page.screenshot({ path: '/tmp/shots/users.png', fullPage: true });
    await page.goto(`${t.baseUrl}/admin/prices`);
    await page.waitForSelector('[data-testid=price-row]');
    await page.fill('[data-testid=price-row][data-model=fake-1] [data-testid=price-input]', '1.5');
    await page.fill('[data-testid=price-row][data-model=fake-free] [data-testid=price-input]', '3');
    await page.click('[data-testid=save-prices]');
    await page.screenshot({ path: '/tmp/shots/prices.png', fullPage: true });
    await page.evaluate(() => localStorage.setItem('atelier.locale', 'en'));
    await page.goto(`${t.baseUrl}/history`);
    await page.waitForSelector('[data-testid=task-card]');
    await page.screenshot({ path: '/tmp/shots/history-en.png', fullPage: true });
  });
});
