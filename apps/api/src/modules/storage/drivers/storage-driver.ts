import type { Readable } from 'node:stream';
import type { ByteSource } from '../byte-source.js';

export interface PutResult {
  size: number;
}

export interface ObjectInfo {
  size: number;
  contentType: string | null;
}

/** Where files live. Implementations stream: a whole file is never held in memory. */
export interface StorageDriver {
  readonly name: 'local' | 'cos';
  /**
   * Stores `body`; a byte source is read into the driver's own buffers (no allocation per chunk).
   * A Buffer (a small file already in memory, e.g. an image that was decoded) is written as it is.
   */
  put(key: string, body: Readable | ByteSource | Buffer, meta: { contentType: string; size?: number }): Promise<PutResult>;
  delete(key: string): Promise<void>;
  /** The object's bytes, e.g. to hand a stored input image to a provider that cannot reach our URLs. */
  read(key: string): Promise<Readable>;
  /** Null when the object does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** The URL clients use. */
  url(key: string): string;
  /** Whether `url(key)` can be fetched by an outside service (e.g. a provider reading an input). */
  readonly publiclyReachable: boolean;
  /** Checks the configuration end to end; throws an error with a plain-words message. */
  test(): Promise<void>;
}

/** A storage failure explained in plain words for admins. */
export class StorageError extends Error {
  constructor(
    readonly reason: 'credentials' | 'bucket' | 'region' | 'network' | 'missing' | 'config' | 'other',
    message: string,
    /** The storage service's HTTP status, when it answered one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
