import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cosErrors } from './errors.js';
import type { CompletedPart } from './xml.js';

/** COS limits: a single PUT or part is at most 5 GB; every part but the last at least 1 MB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

/** What is stored with an object and echoed on GET/HEAD. */
export interface ObjectAttributes {
  contentType: string;
  /** cache-control, content-disposition, content-encoding, content-language, expires. */
  headers: Record<string, string>;
  /** `x-cos-meta-*` headers, names lowercased. */
  meta: Record<string, string>;
}

export interface StoredObject extends ObjectAttributes {
  key: string;
  size: number;
  /** Quoted, as COS sends it: `"<md5 hex>"`, or `"<hex>-<parts>"` after a multipart upload. */
  etag: string;
  lastModified: string;
  /** The data file in objects/, renamed on every write so readers of an older version keep theirs. */
  file: string;
}

export interface UploadSession {
  uploadId: string;
  key: string;
  initiated: string;
  attributes: ObjectAttributes;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
  lastModified: string;
}

export interface ReceiveOptions {
  /** The request's Content-Length, if any (absent for chunked bodies). */
  declaredLength?: number;
  /** The request's Content-MD5 (base64), verified against what arrives. */
  contentMd5?: string;
}

const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const randomId = () => randomBytes(8).toString('hex');
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Replaces a file in one step, so a reader sees either the old or the new sidecar. */
async function writeJsonAtomic(path: string, value: unknown, tmpDir: string): Promise<void> {
  const tmp = join(tmpDir, `${randomId()}.json`);
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true, recursive: true }).catch(() => undefined);
}

function decodeContentMd5(value: string): Buffer {
  const digest = Buffer.from(value, 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== value.trim()) throw cosErrors.invalidDigest();
  return digest;
}

/**
 * One bucket on disk. Objects live under a hash of their key with a JSON sidecar, so any key
 * works and none can name a path outside the bucket folder:
 *   objects/<sha256(key)>.json        metadata (StoredObject)
 *   objects/<sha256(key)>-<id>.data   bytes
 *   uploads/<uploadId>/upload.json    multipart session, parts as <n>.part + <n>.json
 *   tmp/                              bodies being received
 * Bodies are streamed to disk, never held in memory.
 */
export class CosBucketStore {
  private readonly objectsDir: string;
  private readonly uploadsDir: string;
  private readonly tmpDir: string;
  private readonly locks = new Map<string, Promise<unknown>>();
  private ready: Promise<void> | undefined;

  constructor(readonly root: string) {
    this.objectsDir = join(root, 'objects');
    this.uploadsDir = join(root, 'uploads');
    this.tmpDir = join(root, 'tmp');
  }

  private async init(): Promise<void> {
    this.ready ??= Promise.all([this.objectsDir, this.uploadsDir, this.tmpDir].map((dir) => mkdir(dir, { recursive: true }))).then(() => undefined);
    await this.ready;
  }

  /** Serializes writers of one key (or upload part), so sidecar and data file always agree. */
  private async locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    this.locks.set(name, current);
    try {
      return await current;
    } finally {
      if (this.locks.get(name) === current) this.locks.delete(name);
    }
  }

  private sidecarPath(key: string): string {
    return join(this.objectsDir, `${sha256Hex(key)}.json`);
  }

  /** Streams a body into tmp/, hashing as it goes; rejects oversized and mismatched bodies. */
  private async receive(body: Readable, options: ReceiveOptions): Promise<{ path: string; size: number; md5: Buffer }> {
    await this.init();
    const expectedMd5 = options.contentMd5 !== undefined ? decodeContentMd5(options.contentMd5) : undefined;
    if (options.declaredLength !== undefined && options.declaredLength > MAX_OBJECT_BYTES) throw cosErrors.entityTooLarge(MAX_OBJECT_BYTES);
    const path = join(this.tmpDir, `${randomId()}.data`);
    const hash = createHash('md5');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > MAX_OBJECT_BYTES) return done(cosErrors.entityTooLarge(MAX_OBJECT_BYTES));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(path));
      if (options.declaredLength !== undefined && size !== options.declaredLength) throw cosErrors.incompleteBody();
      const md5 = hash.digest();
      if (expectedMd5 && !expectedMd5.equals(md5)) throw cosErrors.badDigest();
      return { path, size, md5 };
    } catch (error) {
      await removeQuietly(path);
      throw error;
    }
  }

  /** Moves a received file into place as `key` and swaps the sidecar; the old bytes are dropped. */
  private async install(key: string, dataPath: string, object: Omit<StoredObject, 'file' | 'key'>): Promise<StoredObject> {
    const hashed = sha256Hex(key);
    return this.locked(`object:${hashed}`, async () => {
      const previous = await readJson<StoredObject>(this.sidecarPath(key));
      const file = `${hashed}-${randomId()}.data`;
      await rename(dataPath, join(this.objectsDir, file));
      const stored: StoredObject = { key, ...object, file };
      await writeJsonAtomic(this.sidecarPath(key), stored, this.tmpDir);
      if (previous) await removeQuietly(join(this.objectsDir, previous.file));
      return stored;
    });
  }

  async head(key: string): Promise<StoredObject | null> {
    await this.init();
    return readJson<StoredObject>(this.sidecarPath(key));
  }

  /** Opens an object for reading; the handle keeps its bytes even if the key is overwritten meanwhile. */
  async open(key: string): Promise<{ object: StoredObject; handle: FileHandle } | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const object = await this.head(key);
      if (!object) return null;
      try {
        return { object, handle: await open(join(this.objectsDir, object.file), 'r') };
      } catch (error) {
        // A concurrent overwrite removed this data file between reading the sidecar and opening it.
        if (!isMissing(error)) throw error;
      }
    }
    return null;
  }

  async put(key: string, body: Readable, attributes: ObjectAttributes, options: ReceiveOptions): Promise<StoredObject> {
    const received = await this.receive(body, options);
    return this.install(key, received.path, {
      ...attributes,
      size: received.size,
      etag: `"${received.md5.toString('hex')}"`,
      lastModified: new Date().toISOString(),
    });
  }

  async delete(key: string): Promise<void> {
    await this.init();
    await this.locked(`object:${sha256Hex(key)}`, async () => {
      const previous = await readJson<StoredObject>(this.sidecarPath(key));
      if (!previous) return;
      await unlink(this.sidecarPath(key)).catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error)));
      await removeQuietly(join(this.objectsDir, previous.file));
    });
  }

  private uploadDir(uploadId: string): string {
    // Upload ids are ours (digits and hex); anything else cannot name an upload.
    if (!/^[0-9a-f]{16,128}$/.test(uploadId)) throw cosErrors.noSuchUpload();
    return join(this.uploadsDir, uploadId);
  }

  async initiateUpload(key: string, attributes: ObjectAttributes): Promise<UploadSession> {
    await this.init();
    // Shaped like a real COS upload id: unix seconds followed by hex.
    const uploadId = `${Math.floor(Date.now() / 1000)}${randomBytes(24).toString('hex')}`;
    const session: UploadSession = { uploadId, key, initiated: new Date().toISOString(), attributes };
    await mkdir(this.uploadDir(uploadId), { recursive: true });
    await writeJsonAtomic(join(this.uploadDir(uploadId), 'upload.json'), session, this.tmpDir);
    return session;
  }

  async getUpload(uploadId: string): Promise<UploadSession | null> {
    await this.init();
    return readJson<UploadSession>(join(this.uploadDir(uploadId), 'upload.json'));
  }

  async listUploads(prefix: string): Promise<UploadSession[]> {
    await this.init();
    const sessions: UploadSession[] = [];
    for (const uploadId of await readdir(this.uploadsDir)) {
      const session = await readJson<UploadSession>(join(this.uploadsDir, uploadId, 'upload.json')).catch(() => null);
      if (session && session.key.startsWith(prefix)) sessions.push(session);
    }
    return sessions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.localeCompare(b.initiated)));
  }

  async uploadPart(session: UploadSession, partNumber: number, body: Readable, options: ReceiveOptions): Promise<StoredPart> {
    const dir = this.uploadDir(session.uploadId);
    const received = await this.receive(body, options);
    return this.locked(`part:${session.uploadId}:${partNumber}`, async () => {
      // The upload may have been completed or aborted while the body was arriving.
      if (!(await this.getUpload(session.uploadId))) {
        await removeQuietly(received.path);
        throw cosErrors.noSuchUpload();
      }
      const part: StoredPart = { partNumber, size: received.size, etag: `"${received.md5.toString('hex')}"`, lastModified: new Date().toISOString() };
      await rename(received.path, join(dir, `${partNumber}.part`));
      await writeJsonAtomic(join(dir, `${partNumber}.json`), part, this.tmpDir);
      return part;
    });
  }

  async listParts(session: UploadSession): Promise<StoredPart[]> {
    const dir = this.uploadDir(session.uploadId);
    const parts: StoredPart[] = [];
    for (const name of await readdir(dir).catch(() => [])) {
      if (!/^\d+\.json$/.test(name)) continue;
      const part = await readJson<StoredPart>(join(dir, name));
      if (part) parts.push(part);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Joins the listed parts into the object, validating them as COS does, then drops the upload. */
  async completeUpload(session: UploadSession, requested: CompletedPart[]): Promise<StoredObject> {
    return this.locked(`upload:${session.uploadId}`, async () => {
      if (!(await this.getUpload(session.uploadId))) throw cosErrors.noSuchUpload();
      for (let i = 1; i < requested.length; i++) {
        if (requested[i].partNumber <= requested[i - 1].partNumber) throw cosErrors.invalidPartOrder();
      }
      const stored = new Map((await this.listParts(session)).map((part) => [part.partNumber, part]));
      const normalize = (etag: string) => etag.replace(/"/g, '').toLowerCase();
      const parts = requested.map(({ partNumber, etag }) => {
        const part = stored.get(partNumber);
        if (!part || normalize(part.etag) !== normalize(etag)) throw cosErrors.invalidPart();
        return part;
      });
      if (parts.slice(0, -1).some((part) => part.size < MIN_PART_BYTES)) throw cosErrors.entityTooSmall();

      const dir = this.uploadDir(session.uploadId);
      const target = join(this.tmpDir, `${randomId()}.data`);
      const output = await open(target, 'w');
      let size = 0;
      try {
        for (const part of parts) {
          for await (const chunk of createReadStream(join(dir, `${part.partNumber}.part`))) {
            await output.write(chunk as Buffer);
            size += (chunk as Buffer).length;
          }
        }
      } catch (error) {
        await output.close();
        await removeQuietly(target);
        throw error;
      }
      await output.close();
      // Multipart ETags are the MD5 of the concatenated binary part MD5s plus "-<count>", as in S3.
      const digests = Buffer.concat(parts.map((part) => Buffer.from(normalize(part.etag), 'hex')));
      const etag = `"${createHash('md5').update(digests).digest('hex')}-${parts.length}"`;
      const object = await this.install(session.key, target, { ...session.attributes, size, etag, lastModified: new Date().toISOString() });
      await removeQuietly(dir);
      return object;
    });
  }

  async abortUpload(session: UploadSession): Promise<void> {
    await this.locked(`upload:${session.uploadId}`, () => removeQuietly(this.uploadDir(session.uploadId)));
  }
}
