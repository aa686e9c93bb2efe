import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { lookup as mimeLookup } from 'mime-types';
import { type ObjectInfo, type PutResult, type StorageDriver, StorageError } from './storage-driver.js';

/** Files under a folder of the data directory, served by the API under /media/<key>. */
export class LocalStorageDriver implements StorageDriver {
  readonly name = 'local' as const;
  readonly publiclyReachable = false;

  constructor(
    private readonly root: string,
    private readonly urlPrefix = '/media',
  ) {}

  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(resolve(this.root) + sep)) throw new StorageError('config', `Invalid key ${key}`);
    return path;
  }

  async put(key: string, body: Readable, _meta: { contentType: string }): Promise<PutResult> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    // Written under a temporary name and renamed, so a half-written file is never served.
    const temporary = `${path}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(body, createWriteStream(temporary, { flags: 'wx' }));
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { size: (await stat(path)).size };
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async read(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    if (!(await this.head(key))) throw new StorageError('missing', `The file ${key} is missing from local storage`);
    return createReadStream(path);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.pathOf(key));
      return { size: info.size, contentType: mimeLookup(key) || null };
    } catch {
      return null;
    }
  }

  url(key: string): string {
    return `${this.urlPrefix}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async test(): Promise<void> {
    const probe = join(this.root, `.probe-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.root, { recursive: true });
      await writeFile(probe, 'probe');
      await rm(probe);
    } catch (error) {
      throw new StorageError('config', `The data folder ${this.root} is not writable: ${(error as Error).message}`);
    }
  }
}
