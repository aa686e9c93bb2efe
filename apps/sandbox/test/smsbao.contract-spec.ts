import { createHash } from 'node:crypto';
import { SANDBOX_CREDENTIALS } from '../src/index.js';
import { type RunningSandbox, startSandbox } from './sandbox-server.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const { username, password } = SANDBOX_CREDENTIALS.smsbao;

describe('smsbao sandbox', () => {
  let s: RunningSandbox;
  beforeAll(async () => {
    s = await startSandbox();
  });
  afterAll(() => s.close());

  const send = async (params: Record<string, string>) => {
    const response = await fetch(`${s.base}/smsbao/sms?${new URLSearchParams(params)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };
  const ok = { u: username, p: md5(password), m: '13800138000', c: '【Atelier】您的验证码是123456，5分钟内有效。' };

  it('accepts a message, answers 0 and keeps it in the outbox', async () => {
    expect(await send(ok)).toBe('0');
    const outbox = await (await fetch(`${s.base}/_control/sms?phone=13800138000`)).json();
    expect(outbox).toEqual([{ phone: '13800138000', content: ok.c, sentAt: expect.any(String) }]);
    expect(await (await fetch(`${s.base}/_control/sms?phone=13900000000`)).json()).toEqual([]);
  });

  it('accepts the password MD5 in upper case too', async () => {
    expect(await send({ ...ok, p: md5(password).toUpperCase() })).toBe('0');
  });

  it.each([
    ['30', { p: md5('wrong') }],
    ['30', { p: password }],
    ['40', { u: 'someone-else' }],
    ['41', { m: '13900000041' }],
    ['42', { m: '13900000042' }],
    ['43', { m: '13900000043' }],
    ['50', { c: '【Atelier】sandbox:sensitive' }],
    ['51', { m: '12345' }],
    ['51', { m: '+8613800138000' }],
    ['-1', { c: '' }],
  ])('answers code %s for %j', async (code, override) => {
    expect(await send({ ...ok, ...override })).toBe(code);
  });

  it('does not keep rejected messages', async () => {
    await fetch(`${s.base}/_control/reset`, { method: 'POST' });
    await send({ ...ok, m: '13900000041' });
    expect(await (await fetch(`${s.base}/_control/sms`)).json()).toEqual([]);
  });

  it('reports the balance as two lines, and refuses wrong credentials', async () => {
    await fetch(`${s.base}/_control/reset`, { method: 'POST' });
    await send(ok);
    await send({ ...ok, m: '13800138000,13800138001' });
    const balance = await (await fetch(`${s.base}/smsbao/query?u=${username}&p=${md5(password)}`)).text();
    expect(balance).toBe('0\n3,997');
    expect(await (await fetch(`${s.base}/smsbao/query?u=${username}&p=${md5('x')}`)).text()).toBe('30');
  });
});
