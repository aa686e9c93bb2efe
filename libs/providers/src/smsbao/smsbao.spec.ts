import { SmsbaoClient, SmsbaoError } from './index.js';

/** A fetch that answers `body` and records the URL it was asked for. */
function fakeFetch(body: string, status = 200) {
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    return new Response(body, { status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('SmsbaoClient', () => {
  it('sends GET /sms with u, the MD5 of the password, m and the UTF-8 encoded content', async () => {
    const { fetch, calls } = fakeFetch('0');
    const client = new SmsbaoClient({ baseUrl: 'https://api.smsbao.com/', username: 'user', password: 'secret', fetch });
    await client.send('13800138000', '【万千购】您的验证码是1234，5分钟内有效。');
    const url = new URL(calls[0]);
    expect(url.origin + url.pathname).toBe('https://api.smsbao.com/sms');
    expect(url.searchParams.get('u')).toBe('user');
    expect(url.searchParams.get('p')).toBe('5ebe2294ecd0e0f08eab7690d2a6ee69');
    expect(url.searchParams.get('m')).toBe('13800138000');
    expect(url.searchParams.get('c')).toBe('【万千购】您的验证码是1234，5分钟内有效。');
    expect(calls[0]).toContain('c=%E3%80%90');
  });

  it('sends an ApiKey as is', async () => {
    const { fetch, calls } = fakeFetch('0');
    await new SmsbaoClient({ username: 'user', password: 'abc123key', apiKey: true, fetch }).send('13800138000', '【A】x');
    expect(new URL(calls[0]).searchParams.get('p')).toBe('abc123key');
  });

  it.each([
    ['30', 'wrong password'],
    ['40', 'does not exist'],
    ['41', 'balance insufficient'],
    ['42', 'expired'],
    ['43', 'IP'],
    ['50', 'sensitive words'],
    ['51', 'phone number is not valid'],
    ['-1', 'parameters missing'],
    ['99', 'unknown result code 99'],
  ])('maps result code %s to a clear error', async (code, words) => {
    const { fetch } = fakeFetch(`${code}\n`);
    const error = await new SmsbaoClient({ username: 'u', password: 'p', fetch }).send('13800138000', '【A】x').catch((e) => e);
    expect(error).toBeInstanceOf(SmsbaoError);
    expect(error.code).toBe(code);
    expect(error.message).toContain(words);
  });

  it('parses the balance in both documented shapes', async () => {
    expect(await new SmsbaoClient({ username: 'u', password: 'p', fetch: fakeFetch('0\n123,877').fetch }).balance()).toEqual({ sent: 123, remaining: 877 });
    expect(await new SmsbaoClient({ username: 'u', password: 'p', fetch: fakeFetch('0,98').fetch }).balance()).toEqual({ sent: 0, remaining: 98 });
    const refused = await new SmsbaoClient({ username: 'u', password: 'p', fetch: fakeFetch('30').fetch }).balance().catch((e) => e);
    expect(refused.code).toBe('30');
  });

  it('reports HTTP and network failures without a result code', async () => {
    const http = await new SmsbaoClient({ username: 'u', password: 'p', fetch: fakeFetch('oops', 502).fetch }).send('1', 'x').catch((e) => e);
    expect(http.code).toBe('http');
    const failing = (async () => {
      throw new Error('ECONNREFUSED');
    }) as unknown as typeof globalThis.fetch;
    const network = await new SmsbaoClient({ username: 'u', password: 'p', fetch: failing }).send('1', 'x').catch((e) => e);
    expect(network.code).toBe('network');
  });
});
