import { PassThrough, Readable } from 'node:stream';
import { type ByteSource, isByteSource, prependSource, readableSource, readFully, sourceReadable } from './byte-source.js';

/** A source over `data`, giving at most `step` bytes per read. */
function arraySource(data: Buffer, step = 7): ByteSource & { destroyed: Error | undefined | null } {
  let offset = 0;
  return {
    destroyed: null,
    async read(target) {
      const length = Math.min(step, target.length, data.length - offset);
      target.set(data.subarray(offset, offset + length));
      offset += length;
      return length;
    },
    destroy(error) {
      this.destroyed = error;
    },
  };
}

async function drain(source: ByteSource, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const buffer = Buffer.alloc(size);
    const length = await source.read(buffer);
    if (length === 0) return Buffer.concat(parts);
    parts.push(buffer.subarray(0, length));
  }
}

describe('byte sources', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  it('reads a stream into the reader’s buffers, whatever the sizes of chunks and reads', async () => {
    for (const size of [1, 10, 333, 4096]) {
      const stream = Readable.from([data.subarray(0, 100), data.subarray(100, 101), data.subarray(101)]);
      expect((await drain(readableSource(stream), size)).equals(data)).toBe(true);
    }
    expect(isByteSource(readableSource(Readable.from([])))).toBe(true);
    expect(isByteSource(new PassThrough())).toBe(false);
  });

  it('passes a stream’s error on, and destroys the stream with the reader’s', async () => {
    const failing = new PassThrough();
    const source = readableSource(failing);
    failing.write(data.subarray(0, 10));
    const buffer = Buffer.alloc(100);
    expect(await source.read(buffer)).toBe(10);
    const pending = source.read(buffer);
    failing.destroy(new Error('broken'));
    await expect(pending).rejects.toThrow('broken');

    const stopped = new PassThrough();
    readableSource(stopped).destroy(new Error('enough'));
    expect(stopped.destroyed).toBe(true);
  });

  it('gives back peeked bytes first, and fills a buffer across reads', async () => {
    const rest = arraySource(data.subarray(10));
    const source = prependSource(data.subarray(0, 10), rest);
    const first = Buffer.alloc(4);
    expect(await source.read(first)).toBe(4);
    const all = Buffer.alloc(2000);
    const length = await readFully(source, all);
    expect(Buffer.concat([first, all.subarray(0, length)]).equals(data)).toBe(true);
    source.destroy(new Error('x'));
    expect(rest.destroyed).toEqual(new Error('x'));
  });

  it('turns a source into a stream, and stops the source when the stream is destroyed', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of sourceReadable(arraySource(data, 64), 50)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);

    const source = arraySource(data);
    const stream = sourceReadable(source);
    stream.on('error', () => undefined);
    stream.destroy(new Error('stop'));
    expect(source.destroyed).toEqual(new Error('stop'));

    const failing: ByteSource = { read: () => Promise.reject(new Error('failed')), destroy: () => undefined };
    await expect(drain({ read: (target) => readFully(failing, target), destroy: () => undefined }, 10)).rejects.toThrow('failed');
    const errored = sourceReadable(failing);
    await expect(new Promise((_, reject) => errored.on('error', reject).resume())).rejects.toThrow('failed');
  });
});
