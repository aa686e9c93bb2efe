import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from '../byte-source.js';
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

/**
 * A temporary file that receives the bytes of a video while they stream to a driver that keeps
 * no local files (COS), so the video tools read it without downloading the object again.
 */
export class TemporaryCopy {
  private constructor(
    private readonly folder: string,
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(name: string): Promise<TemporaryCopy> {
    const folder = await mkdtemp(join(tmpdir(), 'atelier-video-'));
    const path = join(folder, name);
    return new TemporaryCopy(folder, path, await open(path, 'w'));
  }

  /**
   * `source`, with every byte read through it also written to the file. The write completes
   * before the read answers: the reader reuses its buffer afterwards.
   */
  tee(source: ByteSource): ByteSource {
    return {
      read: async (target) => {
        const length = await source.read(target);
        let written = 0;
        while (written < length) written += (await this.handle.write(target, written, length - written)).bytesWritten;
        return length;
      },
      destroy: (error) => source.destroy(error),
    };
  }

  /** Done writing: the file is complete once this resolves. */
  close(): Promise<void> {
    return this.handle.close().catch(() => undefined);
  }

  async remove(): Promise<void> {
    await this.close();
    await rm(this.folder, { recursive: true, force: true });
  }
}
