import { RecentlyRead } from './recently-read.js';

describe('RecentlyRead', () => {
  it('reads once per key within its time, shares a read in progress, and reads again after clear() or a failure', async () => {
    let reads = 0;
    let fail = false;
    const cache = new RecentlyRead<string, string>(60_000, async (key) => {
      reads++;
      if (fail) throw new Error('down');
      return `${key}:${reads}`;
    });
    const [a, b] = await Promise.all([cache.get('x'), cache.get('x')]);
    expect([a, b, reads]).toEqual(['x:1', 'x:1', 1]);
    expect(await cache.get('y')).toBe('y:2');
    cache.clear();
    fail = true;
    await expect(cache.get('x')).rejects.toThrow('down');
    fail = false;
    expect(await cache.get('x')).toBe('x:4');
    expect(await cache.get('x')).toBe('x:4');
  });

  it('reads again once its time has passed', async () => {
    let reads = 0;
    const cache = new RecentlyRead<number, number>(20, async () => ++reads);
    expect(await cache.get(1)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await cache.get(1)).toBe(2);
  });
});
