import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageDriver } from '../drivers/storage-driver.js';

/**
 * Runs `work` on a path to a stored object on this machine: the file itself for the local
 * driver, else (COS) a temporary copy read from our own storage and removed afterwards. Video
 * tools are only ever given such a path, never a URL (ffmpeg would fetch it past the guarded fetcher).
 */
export async function withLocalCopy<T>(driver: StorageDriver, key: string, work: (path: string) => Promise<T>): Promise<T> {
  if (driver.localPath) return work(driver.localPath(key));
  const folder = await mkdtemp(join(tmpdir(), 'atelier-video-'));
  try {
    const path = join(folder, key.split('/').pop() ?? 'video');
    await pipeline(await driver.read(key), createWriteStream(path));
    return await work(path);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
