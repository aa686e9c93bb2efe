import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalStorageDriver } from './local.driver.js';

describe('LocalStorageDriver', () => {
  const root = mkdtempSync(join(tmpdir(), 'atelier-local-driver-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes a Buffer and a stream whole, and recreates a folder removed after it was first used', async () => {
    const driver = new LocalStorageDriver(root);
    const bytes = Buffer.alloc(600 * 1024, 7); // more than one 256 KiB write
    expect(await driver.put('images/2026/11/a.png', bytes, { contentType: 'image/png' })).toEqual({ size: bytes.length });
    expect(readFileSync(join(root, 'images/2026/11/a.png')).equals(bytes)).toBe(true);

    rmSync(join(root, 'images'), { recursive: true });
    await driver.put('images/2026/11/b.png', Readable.from([Buffer.from('one'), Buffer.from('two')]), { contentType: 'image/png' });
    expect(readFileSync(join(root, 'images/2026/11/b.png'), 'utf8')).toBe('onetwo');
    expect(await driver.head('images/2026/11/a.png')).toBeNull();
  });
});
