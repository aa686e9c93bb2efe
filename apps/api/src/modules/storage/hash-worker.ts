import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of large streams on a worker thread, so hashing runs beside the network and disk work
 * instead of on the event loop (on a busy stream it costs the main thread about a third of its
 * time). Bytes go over in 1 MiB batches whose memory is transferred, not copied again.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', ({ id, data, end }) => {
  let hash = hashes.get(id);
  if (!hash) hashes.set(id, (hash = createHash('sha256')));
  if (data) hash.update(new Uint8Array(data));
  if (end) {
    hashes.delete(id);
    parentPort.postMessage({ id, digest: hash.digest('hex') });
  }
});
`;

const BATCH_BYTES = 1024 * 1024;

export interface StreamHasher {
  update(chunk: Buffer): void;
  digest(): Promise<string>;
  /** Ends a hash whose stream failed, so the worker forgets it. */
  abandon(): void;
}

export class HashWorker {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', ({ id, digest }: { id: number; digest: string }) => {
      this.pending.get(id)?.resolve(digest);
      this.pending.delete(id);
    });
    const fail = (error: Error) => {
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The hashing worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  create(): StreamHasher {
    const worker = this.start();
    const id = this.nextId++;
    let batch = Buffer.allocUnsafe(BATCH_BYTES);
    let filled = 0;
    const flush = (end: boolean) => {
      const data = filled ? batch.buffer.slice(batch.byteOffset, batch.byteOffset + filled) : undefined;
      worker.postMessage({ id, data, end }, data ? [data] : []);
      batch = Buffer.allocUnsafe(BATCH_BYTES);
      filled = 0;
    };
    return {
      update: (chunk: Buffer) => {
        for (let offset = 0; offset < chunk.length; ) {
          const length = Math.min(chunk.length - offset, BATCH_BYTES - filled);
          chunk.copy(batch, filled, offset, offset + length);
          filled += length;
          offset += length;
          if (filled === BATCH_BYTES) flush(false);
        }
      },
      abandon: () => flush(true),
      digest: () =>
        new Promise<string>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          flush(true);
        }),
    };
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
