import type { Browser, Page } from 'playwright-core';
import { SANDBOX_CREDENTIALS } from '@atelier/sandbox';
import { bearer, signUp, startTestApp, type TestApp } from '../../api/test/test-app.js';
import { launchBrowser } from './browser.js';

type User = Awaited<ReturnType<typeof signUp>>;

const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Admin › Midjourney, Kling and Jimeng against the built-in sandbox, in Chinese (the default). */
describe('web app: provider admin pages', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let admin: User;

  const config = async (provider: string) => (await t.http.get(`/api/v1/${provider}/config`).set(bearer(admin.token)).expect(200)).body;
  const fieldError = (name: string) => page.locator(`[data-testid=field-error-${name}]`);

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    admin = await signUp(t.http, { name: 'Ada Admin' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(`${t.baseUrl}/signin`);
    await page.evaluate((token) => localStorage.setItem('atelier.token', token), admin.token);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Opens a provider's tab from Admin › Flux: the same heading, its tab marked, the sandbox said. */
  async function open(provider: string) {
    await page.goto(`${t.baseUrl}/admin/flux`);
    await page.locator('[data-testid=flux-config-form]').waitFor();
    const heading = await page.locator('h1').textContent();
    await page.click(`[data-testid=admin-tab-${provider}]`);
    await page.waitForURL(`**/admin/${provider}`);
    await page.locator(`[data-testid=${provider}-config-form]`).waitFor();
    expect(await page.locator('h1').textContent()).toBe(heading);
    await page.locator(`[data-testid=admin-tab-${provider}][aria-current=page]`).waitFor();
  }

  /** Runs the check and answers the shown result. */
  async function check(provider: string) {
    await page.click(`[data-testid=${provider}-check]`);
    const result = page.locator(`[data-testid=${provider}-health-message]`);
    await result.waitFor();
    return {
      state: await result.getAttribute('data-state'),
      reason: await result.getAttribute('data-reason'),
      sandbox: await result.getAttribute('data-sandbox'),
      text: (await result.textContent())!,
    };
  }

  /** The prices link leads to that provider's models, by name, on the one price table. */
  async function pricesLink(provider: string) {
    expect(await page.getAttribute(`[data-testid=${provider}-prices-link]`, 'href')).toBe(`/admin/prices?provider=${provider}`);
    await page.click(`[data-testid=${provider}-prices-link]`);
    await page.waitForURL(`**/admin/prices?provider=${provider}`);
    const rows = page.locator(`[data-testid=price-row][data-provider=${provider}]`);
    await rows.first().waitFor();
    const names = await rows.locator('.model-name').allTextContents();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name.trim()).not.toBe('');
    // Brought into view.
    const group = (await page.locator(`[data-testid=price-group][data-provider=${provider}]`).boundingBox())!;
    expect(group.y).toBeLessThan(DESKTOP.height);
    expect(group.y + group.height).toBeGreaterThan(0);
    return names;
  }

  describe('Midjourney', () => {
    it('shows the sandbox, checks the connection it uses and words the result in Chinese', async () => {
      await open('midjourney');
      await page.locator('[data-testid=midjourney-sandbox-notice]').waitFor();
      expect(await page.inputValue('input[name=mjApiSecret]')).toBe('');
      expect(await page.getAttribute('input[name=mjApiSecret]', 'type')).toBe('password');
      expect(await page.getAttribute('[data-testid=midjourney-api-secret-state]', 'data-state')).toBe('not-set');
      // The sandbox's address is the placeholder, not a value that saving would store.
      expect(await page.inputValue('input[name=mjBaseUrl]')).toBe('');
      expect(await page.getAttribute('input[name=mjBaseUrl]', 'placeholder')).toMatch(/\/sandbox\/mj\/trueai$/);
      await page.selectOption('select[name=mjFlavor]', 'novicezk');
      expect(await page.getAttribute('input[name=mjBaseUrl]', 'placeholder')).toMatch(/\/sandbox\/mj\/novicezk$/);
      expect(await page.isDisabled('select[name=mjMode]')).toBe(true);
      await page.selectOption('select[name=mjFlavor]', 'trueai');

      const result = await check('midjourney');
      expect(result).toMatchObject({ state: 'ok', reason: null, sandbox: 'true' });
      expect(result.text).toContain('midjourney-proxy 已响应并接受了密钥。');
      expect(result.text).toMatch(/详情：已连接 http:\/\/\S+（trueai），密钥有效/);
    });

    it('says what is wrong with a value while it is typed, by the same rules as the server', async () => {
      await page.fill('input[name=mjTimeout]', '30');
      await fieldError('mjTimeout').waitFor();
      expect(await fieldError('mjTimeout').textContent()).toBe('请输入 60 到 7200 之间的整数');
      await page.fill('input[name=mjTimeout]', '1200');
      await fieldError('mjTimeout').waitFor({ state: 'detached' });

      await page.fill('input[name=mjBaseUrl]', 'mj-proxy:8080');
      await fieldError('mjBaseUrl').waitFor();
      await page.fill('input[name=mjBaseUrl]', 'http://mj-proxy:8080/?x=1');
      await page.locator('[data-testid=field-error-mjBaseUrl]', { hasText: '?' }).waitFor();
      await page.fill('input[name=mjBaseUrl]', '');
      await fieldError('mjBaseUrl').waitFor({ state: 'detached' });

      await page.fill('input[name=mjMaxConcurrentTasks]', '101');
      await fieldError('mjMaxConcurrentTasks').waitFor();
      await page.fill('input[name=mjMaxConcurrentTasks]', '5');
      await fieldError('mjMaxConcurrentTasks').waitFor({ state: 'detached' });
    });

    it('saves a change that is still there after a reload, keeping the sandbox', async () => {
      await page.selectOption('select[name=mjDefaultBotType]', 'NIJI_JOURNEY');
      await page.click('[data-testid=midjourney-save]');
      await page.locator('[data-testid=toast]', { hasText: 'Midjourney 设置已保存' }).waitFor();
      expect(await config('midjourney')).toMatchObject({ timeout: 1200, maxConcurrentTasks: 5, defaultBotType: 'NIJI_JOURNEY', usesSandbox: true, apiSecretSet: false, saved: true });

      await page.reload();
      await page.locator('[data-testid=midjourney-config-form]').waitFor();
      expect(await page.inputValue('input[name=mjTimeout]')).toBe('1200');
      expect(await page.inputValue('input[name=mjMaxConcurrentTasks]')).toBe('5');
      expect(await page.inputValue('select[name=mjDefaultBotType]')).toBe('NIJI_JOURNEY');
      await page.locator('[data-testid=midjourney-sandbox-notice]').waitFor();
      expect((await check('midjourney')).state).toBe('ok');
    });

    it('fails the check of a wrong secret with the reason in words, saving nothing', async () => {
      const sandboxUrl = (await config('midjourney')).baseUrl;
      await page.fill('input[name=mjBaseUrl]', sandboxUrl);
      await page.fill('input[name=mjApiSecret]', 'not-the-sandbox-secret');
      const result = await check('midjourney');
      expect(result).toMatchObject({ state: 'failed', reason: 'secret_refused' });
      expect(result.text).toContain('连接失败');
      expect(result.text).toContain('midjourney-proxy 拒绝了该密钥');
      expect(await config('midjourney')).toMatchObject({ apiSecretSet: false, usesSandbox: true });
    });

    it('links to its prices on the one price table', async () => {
      await pricesLink('midjourney');
    });
  });

  describe('Kling', () => {
    it('shows the sandbox, checks the connection it uses and words the result in Chinese', async () => {
      await open('kling');
      await page.locator('[data-testid=kling-sandbox-notice]').waitFor();
      expect(await page.getAttribute('input[name=klingSecretKey]', 'type')).toBe('password');
      expect(await page.inputValue('input[name=klingSecretKey]')).toBe('');
      expect(await page.getAttribute('[data-testid=kling-secret-key-state]', 'data-state')).toBe('not-set');
      expect(await page.inputValue('select[name=klingRegion]')).toBe('custom');
      expect(await page.getAttribute('input[name=klingBaseUrl]', 'placeholder')).toMatch(/\/sandbox\/kling$/);

      const result = await check('kling');
      expect(result).toMatchObject({ state: 'ok', reason: null, sandbox: 'true' });
      expect(result.text).toContain('可灵已响应并接受了密钥。');
    });

    it('says what is wrong with a value while it is typed, by the same rules as the server', async () => {
      await page.fill('input[name=klingTimeout]', '200');
      await fieldError('klingTimeout').waitFor();
      expect(await fieldError('klingTimeout').textContent()).toBe('请输入 300 到 86400 之间的整数');
      await page.fill('input[name=klingTimeout]', '5400');
      await fieldError('klingTimeout').waitFor({ state: 'detached' });
      await page.fill('input[name=klingBaseUrl]', 'kling.example.com');
      await fieldError('klingBaseUrl').waitFor();
      await page.fill('input[name=klingBaseUrl]', '');
      await fieldError('klingBaseUrl').waitFor({ state: 'detached' });
      // A named region needs no address: the field goes.
      await page.selectOption('select[name=klingRegion]', 'beijing');
      await page.locator('input[name=klingBaseUrl]').waitFor({ state: 'detached' });
      await page.selectOption('select[name=klingRegion]', 'custom');
    });

    it('saves a change that is still there after a reload, keeping the sandbox', async () => {
      await page.fill('input[name=klingMaxConcurrentTasks]', '7');
      await page.click('[data-testid=kling-save]');
      await page.locator('[data-testid=toast]', { hasText: '可灵设置已保存' }).waitFor();
      expect(await config('kling')).toMatchObject({ timeout: 5400, maxConcurrentTasks: 7, usesSandbox: true, secretKeySet: false, saved: true });

      await page.reload();
      await page.locator('[data-testid=kling-config-form]').waitFor();
      expect(await page.inputValue('input[name=klingTimeout]')).toBe('5400');
      expect(await page.inputValue('input[name=klingMaxConcurrentTasks]')).toBe('7');
      await page.locator('[data-testid=kling-sandbox-notice]').waitFor();
      expect((await check('kling')).state).toBe('ok');
    });

    it('fails the check of a wrong SecretKey with the reason in words, saving nothing', async () => {
      const sandboxUrl = (await config('kling')).baseUrl;
      await page.fill('input[name=klingAccessKey]', SANDBOX_CREDENTIALS.kling.accessKey);
      await page.fill('input[name=klingSecretKey]', 'not-the-sandbox-secret');
      await page.fill('input[name=klingBaseUrl]', sandboxUrl);
      const result = await check('kling');
      expect(result).toMatchObject({ state: 'failed', reason: 'key_refused' });
      expect(result.text).toContain('可灵拒绝了该密钥');
      expect(await config('kling')).toMatchObject({ secretKeySet: false, accessKey: '', usesSandbox: true });

      // In English, the page words the reason at once and the next check's details come in English too.
      await page.click('[data-testid=language-toggle]');
      await page.locator('[data-testid=kling-health-message]', { hasText: 'Kling refused the keys' }).waitFor();
      const english = await check('kling');
      expect(english).toMatchObject({ state: 'failed', reason: 'key_refused' });
      expect(english.text).toContain('Connection failed');
      expect(english.text).toMatch(/Details: The keys were refused/);
      await page.click('[data-testid=language-toggle]');
      await page.locator('[data-testid=kling-health-message]', { hasText: '可灵拒绝了该密钥' }).waitFor();
    });

    it('links to its prices on the one price table', async () => {
      const names = await pricesLink('kling');
      expect(names.join(' ')).toMatch(/可灵|Kling/);
    });
  });

  describe('Jimeng', () => {
    const I2V_1080 = 'jimeng-video-3.0-1080p-i2v';
    const row = (model: string) => page.locator(`[data-testid=req-key-row][data-model="${model}"]`);

    it('shows the sandbox, checks the connection it uses and words the result in Chinese', async () => {
      await open('jimeng');
      await page.locator('[data-testid=jimeng-sandbox-notice]').waitFor();
      expect(await page.getAttribute('input[name=jimengSecretAccessKey]', 'type')).toBe('password');
      expect(await page.inputValue('input[name=jimengSecretAccessKey]')).toBe('');
      expect(await page.getAttribute('[data-testid=jimeng-secret-access-key-state]', 'data-state')).toBe('not-set');
      expect(await page.getAttribute('input[name=jimengBaseUrl]', 'placeholder')).toMatch(/\/sandbox\/volcengine$/);

      const result = await check('jimeng');
      expect(result).toMatchObject({ state: 'ok', reason: null, sandbox: 'true' });
      expect(result.text).toContain('火山引擎已响应并接受了密钥。');
    });

    it('lists every model with its name and default req_key, each with an empty override, and says the 1080P suffixes differ', async () => {
      const defaults = (await config('jimeng')).defaultReqKeys as Record<string, string>;
      const rows = page.locator('[data-testid=req-key-row]');
      expect(await rows.count()).toBe(Object.keys(defaults).length);
      for (const [model, reqKey] of Object.entries(defaults)) {
        expect(await row(model).locator('[data-testid=req-key-default]').textContent()).toBe(reqKey);
        expect(await row(model).locator('[data-testid=req-key-input]').inputValue()).toBe('');
        expect(await row(model).locator('[data-testid=req-key-input]').getAttribute('placeholder')).toBe(reqKey);
        expect((await row(model).locator('.model-name').textContent())!.trim()).not.toBe(model);
      }
      expect(await page.textContent('[data-testid=jimeng-req-keys-hint]')).toContain('1080P');
    });

    it('says what is wrong with a value while it is typed, by the same rules as the server', async () => {
      const input = row(I2V_1080).locator('[data-testid=req-key-input]');
      await input.fill('Jimeng-I2V');
      await row(I2V_1080).locator('[data-testid=field-error-req-key]').waitFor();
      expect(await row(I2V_1080).locator('[data-testid=field-error-req-key]').textContent()).toContain('小写字母、数字和下划线');
      await input.fill('jimeng_i2v_first_v30_1080p');
      await row(I2V_1080).locator('[data-testid=field-error-req-key]').waitFor({ state: 'detached' });

      await page.fill('input[name=jimengTimeout]', '100');
      await fieldError('jimengTimeout').waitFor();
      await page.fill('input[name=jimengTimeout]', '1800');
      await fieldError('jimengTimeout').waitFor({ state: 'detached' });
      await page.fill('input[name=jimengBaseUrl]', 'visual.volcengineapi.com');
      await fieldError('jimengBaseUrl').waitFor();
      await page.fill('input[name=jimengBaseUrl]', '');
      await fieldError('jimengBaseUrl').waitFor({ state: 'detached' });
    });

    it('saves a req_key override, a watermark and the AIGC metadata, all still there after a reload', async () => {
      // The watermark's settings wait until it is turned on.
      expect(await page.isDisabled('select[name=jimengWatermarkPosition]')).toBe(true);
      await page.check('input[name=jimengWatermarkEnabled]');
      await page.selectOption('select[name=jimengWatermarkPosition]', '3');
      expect(await page.textContent('select[name=jimengWatermarkPosition] option:checked')).toBe('右上角');
      await page.selectOption('select[name=jimengWatermarkLanguage]', '1');
      await page.fill('input[name=jimengWatermarkOpacity]', '0.6');
      expect(await page.textContent('[data-testid=jimeng-watermark-opacity-value]')).toBe('60%');
      await page.fill('input[name=jimengWatermarkText]', 'Atelier AI');
      await page.check('input[name=jimengAigcEnabled]');
      await page.fill('input[name=jimengAigcContentProducer]', 'atelier-producer');
      await page.fill('input[name=jimengAigcProducerId]', 'p-001');
      await page.click('[data-testid=jimeng-save]');
      await page.locator('[data-testid=toast]', { hasText: '即梦设置已保存' }).waitFor();

      const saved = await config('jimeng');
      expect(saved).toMatchObject({
        timeout: 1800,
        usesSandbox: true,
        secretAccessKeySet: false,
        reqKeyOverrides: { [I2V_1080]: 'jimeng_i2v_first_v30_1080p' },
        watermark: { enabled: true, position: 3, language: 1, opacity: 0.6, text: 'Atelier AI' },
        aigcMeta: { enabled: true, contentProducer: 'atelier-producer', producerId: 'p-001', contentPropagator: '', propagateId: '' },
      });
      expect(Object.keys(saved.reqKeyOverrides)).toEqual([I2V_1080]);

      await page.reload();
      await page.locator('[data-testid=jimeng-config-form]').waitFor();
      expect(await row(I2V_1080).locator('[data-testid=req-key-input]').inputValue()).toBe('jimeng_i2v_first_v30_1080p');
      await row(I2V_1080).locator('[data-testid=req-key-overridden]').waitFor();
      expect(await page.locator('[data-testid=req-key-overridden]').count()).toBe(1);
      expect(await page.isChecked('input[name=jimengWatermarkEnabled]')).toBe(true);
      expect(await page.inputValue('select[name=jimengWatermarkPosition]')).toBe('3');
      expect(await page.inputValue('select[name=jimengWatermarkLanguage]')).toBe('1');
      expect(await page.inputValue('input[name=jimengWatermarkOpacity]')).toBe('0.6');
      expect(await page.inputValue('input[name=jimengWatermarkText]')).toBe('Atelier AI');
      expect(await page.isChecked('input[name=jimengAigcEnabled]')).toBe(true);
      expect(await page.inputValue('input[name=jimengAigcContentProducer]')).toBe('atelier-producer');
      expect(await page.inputValue('input[name=jimengTimeout]')).toBe('1800');
      await page.locator('[data-testid=jimeng-sandbox-notice]').waitFor();
      expect((await check('jimeng')).state).toBe('ok');
    });

    it('returns a model to its default req_key when its override is emptied', async () => {
      await row(I2V_1080).locator('[data-testid=req-key-input]').fill('');
      await page.click('[data-testid=jimeng-save]');
      await page.locator('[data-testid=toast]', { hasText: '即梦设置已保存' }).first().waitFor();
      expect((await config('jimeng')).reqKeyOverrides).toEqual({});
      await row(I2V_1080).locator('[data-testid=req-key-overridden]').waitFor({ state: 'detached' });
      // The watermark stays as it was.
      expect((await config('jimeng')).watermark).toMatchObject({ enabled: true, position: 3 });
    });

    it('fails the check of a wrong SecretAccessKey with the reason in words, saving nothing', async () => {
      const sandboxUrl = (await config('jimeng')).baseUrl;
      await page.fill('input[name=jimengAccessKeyId]', SANDBOX_CREDENTIALS.volcengine.accessKeyId);
      await page.fill('input[name=jimengSecretAccessKey]', 'not-the-sandbox-secret');
      await page.fill('input[name=jimengBaseUrl]', sandboxUrl);
      const result = await check('jimeng');
      expect(result).toMatchObject({ state: 'failed', reason: 'key_refused' });
      expect(result.text).toContain('火山引擎拒绝了该密钥');
      expect(await config('jimeng')).toMatchObject({ secretAccessKeySet: false, accessKeyId: '', usesSandbox: true });
    });

    it('links to its prices on the one price table', async () => {
      const names = await pricesLink('jimeng');
      expect(names.length).toBe(Object.keys((await config('jimeng')).defaultReqKeys).length);
    });
  });

  describe('on a phone (390 × 844)', () => {
    afterAll(() => page.setViewportSize(DESKTOP));

    it.each(['/admin/midjourney', '/admin/kling', '/admin/jimeng'])('fits %s: the tabs wrap whole words, nothing scrolls sideways', async (path) => {
      await page.setViewportSize(PHONE);
      await page.goto(`${t.baseUrl}${path}`);
      await page.locator('[data-testid$=-config-form]').waitFor();
      const tabs = await page.$$eval('.admin-tab', (elements) =>
        elements.map((element) => {
          const box = element.getBoundingClientRect();
          return { text: element.textContent?.trim(), inside: box.left >= 0 && box.right <= window.innerWidth, cut: element.scrollWidth > element.clientWidth + 1 };
        }),
      );
      expect(tabs.length).toBeGreaterThanOrEqual(9);
      for (const tab of tabs) expect(tab).toEqual({ text: tab.text, inside: true, cut: false });
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBe(0);
    });
  });
});
