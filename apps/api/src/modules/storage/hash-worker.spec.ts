import { createHash, randomBytes } from 'node:crypto';
import { HashWorker } from './hash-worker.js';

describe('HashWorker', () => {
  const pool = new HashWorker();
  afterAll(() => pool.close());

  it('hashes streams of any size, several at once, exactly like crypto', async () => {
    const inputs = [Buffer.alloc(0), randomBytes(10), randomBytes(3 * 1024 * 1024 + 17)];
    const digests = await Promise.all(
      inputs.map((input) => {
        const hasher = pool.create();
        // Odd chunk sizes cross the batch boundaries.
        for (let offset = 0; offset < input.length; offset += 65_521) hasher.update(input.subarray(offset, offset + 65_521));
        return hasher.digest();
      }),
    );
    expect(digests).toEqual(inputs.map((input) => createHash('sha256').update(input).digest('hex')));
  });
});
