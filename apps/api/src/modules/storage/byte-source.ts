import { Readable } from 'node:stream';

/**
 * A body read into buffers the reader owns (like a BYOB reader): the bytes are copied straight
 * into the reader's buffer, so nothing is allocated per chunk. Streaming a large file through
 * Buffers allocated per network read makes V8 run a full garbage collection every 64 MiB or so
 * (they count as external memory), which costs more than everything else the ingest does.
 */
export interface ByteSource {
  /**
   * Reads the next bytes into `target` (at most its length) and resolves with how many; 0 only at
   * the end. One read at a time. Rejects with the reason the body failed.
   */
  read(target: Uint8Array): Promise<number>;
  /** Stops the body (closing what is behind it); later reads reject with `error` when given. */
  destroy(error?: Error): void;
}

/** Tells a byte source from a stream (which has `read` too, but also `pipe`). */
export function isByteSource(value: unknown): value is ByteSource {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ByteSource & Readable>;
  return typeof candidate.read === 'function' && typeof candidate.destroy === 'function' && typeof candidate.pipe !== 'function';
}

/** Reads until `target` is full or the source ends; resolves with how many bytes were read. */
export async function readFully(source: ByteSource, target: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < target.length) {
    const read = await source.read(target.subarray(filled));
    if (read === 0) break;
    filled += read;
  }
  return filled;
}

/** A source that yields `head` first, then the rest of `source` (to give back what was peeked). */
export function prependSource(head: Uint8Array, source: ByteSource): ByteSource {
  let offset = 0;
  return {
    read(target) {
      if (offset < head.length) {
        const length = Math.min(target.length, head.length - offset);
        target.set(head.subarray(offset, offset + length));
        offset += length;
        return Promise.resolve(length);
      }
      return source.read(target);
    },
    destroy: (error) => source.destroy(error),
  };
}

/** A stream as a byte source (e.g. an upload); its chunks are copied into the reader's buffers. */
export function readableSource(stream: Readable): ByteSource {
  let rest: Buffer | null = null;
  let failure: Error | null = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  stream.on('readable', signal);
  stream.once('end', () => {
    ended = true;
    signal();
  });
  stream.once('error', (error: Error) => {
    failure ??= error;
    signal();
  });
  stream.once('close', () => {
    // Closed without an end or an error: destroyed from elsewhere.
    if (!ended) failure ??= new Error('The stream closed before its end');
    signal();
  });

  const take = (target: Uint8Array): number => {
    for (;;) {
      const chunk: Buffer | null = rest ?? (stream.read() as Buffer | null);
      rest = null;
      if (chunk === null) return 0;
      if (chunk.length === 0) continue;
      const length = Math.min(chunk.length, target.length);
      target.set(chunk.subarray(0, length));
      if (length < chunk.length) rest = chunk.subarray(length);
      return length;
    }
  };

  return {
    async read(target) {
      if (target.length === 0) return 0;
      for (;;) {
        const length = take(target);
        if (length > 0) return length;
        if (failure) throw failure;
        if (ended) return 0;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    destroy(error) {
      if (error) failure ??= error;
      stream.destroy(error);
    },
  };
}

/**
 * A byte source as a stream, for consumers that want one (the image decoder, callers of the
 * fetcher's `body`). This allocates a Buffer per chunk; large files take the source directly.
 */
export function sourceReadable(source: ByteSource, chunkSize = 64 * 1024): Readable {
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      const buffer = Buffer.allocUnsafe(chunkSize);
      source.read(buffer).then(
        (length) => this.push(length > 0 ? buffer.subarray(0, length) : null),
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      source.destroy(error ?? undefined);
      callback(error);
    },
  });
}

/** Bytes already in memory as a byte source. */
export function bufferSource(data: Buffer): ByteSource {
  let offset = 0;
  let failure: Error | null = null;
  return {
    read(target) {
      if (failure) return Promise.reject(failure);
      const length = Math.min(target.length, data.length - offset);
      target.set(data.subarray(offset, offset + length));
      offset += length;
      return Promise.resolve(length);
    },
    destroy(error) {
      failure ??= error ?? new Error('The source was stopped');
    },
  };
}
