import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export interface RenderRequest {
  prompt: string;
  seed: number;
  index: number;
  width: number;
  height: number;
  format: 'jpeg' | 'png';
  /** Input images to build on (image-to-image, redux, edits). */
  inputs?: Buffer[];
  /**
   * Which of the PICTURES to use, for callers that need distinct ones side by side (Midjourney's
   * four-image grids); by default chosen from the prompt, seed and index.
   */
  picture?: number;
}

/**
 * Pictures drawn per size and format. A request without inputs gets one of them, chosen by its
 * prompt, seed and index, with those written into the file: every output is a distinct file, the
 * same request gives the same bytes, and drawing (~10 ms of CPU for 512x512) happens once per
 * picture. The real fal renders on its own GPUs; the sandbox must not eat the CPU of the app it
 * runs beside (the completion-lag benchmark runs 1,000 jobs on the same machine).
 */
export const PICTURES = 48;
const MAX_CACHED_BYTES = 64 * 1024 * 1024;
const pictures = new Map<string, Promise<Buffer>>();
let cachedBytes = 0;

/** The request's identity, the seed of its picture's randomness. */
function identity(request: RenderRequest): string {
  return `${request.prompt}\u0000${request.seed}\u0000${request.index}`;
}

/** A stream of pseudo-random bytes derived from `seed`, so the same request gives the same image. */
function randomBytesFor(seed: string): () => number {
  let block = createHash('sha256').update(seed).digest();
  let offset = 0;
  return () => {
    if (offset >= block.length) {
      block = createHash('sha256').update(block).digest();
      offset = 0;
    }
    return block[offset++];
  };
}

function svgFor(request: RenderRequest, translucent: boolean, seed: string): string {
  const next = randomBytesFor(seed);
  const { width, height } = request;
  const color = () => `rgb(${next()},${next()},${next()})`;
  const shapes: string[] = [];
  const count = 5 + (next() % 6);
  for (let i = 0; i < count; i++) {
    const x = (next() / 255) * width;
    const y = (next() / 255) * height;
    const size = ((next() / 255) * 0.35 + 0.08) * Math.min(width, height);
    const opacity = (0.45 + (next() / 255) * 0.5).toFixed(2);
    if (next() % 2 === 0) {
      shapes.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${size.toFixed(1)}" fill="${color()}" fill-opacity="${opacity}"/>`);
    } else {
      const rotation = next() % 90;
      shapes.push(
        `<rect x="${(x - size / 2).toFixed(1)}" y="${(y - size / 2).toFixed(1)}" width="${size.toFixed(1)}" height="${(size * 0.7).toFixed(1)}" ` +
          `fill="${color()}" fill-opacity="${opacity}" transform="rotate(${rotation} ${x.toFixed(1)} ${y.toFixed(1)})"/>`,
      );
    }
  }
  const background = translucent
    ? ''
    : `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${color()}"/><stop offset="1" stop-color="${color()}"/></linearGradient></defs>` +
      `<rect width="100%" height="100%" fill="url(#g)"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${background}${shapes.join('')}</svg>`;
}

/** Renders one output image: abstract shapes chosen by the prompt and seed, over the inputs when there are any. */
export async function renderImage(request: RenderRequest): Promise<Buffer> {
  if (request.inputs?.length) return draw(request, identity(request));
  const picture =
    request.picture !== undefined ? ((request.picture % PICTURES) + PICTURES) % PICTURES : createHash('sha256').update(identity(request)).digest().readUInt16BE(0) % PICTURES;
  const key = `${request.width}x${request.height}.${request.format}.${picture}`;
  let drawn = pictures.get(key);
  if (!drawn) {
    drawn = draw(request, `picture ${picture}`);
    pictures.set(key, drawn);
    drawn.then(
      (bytes) => {
        cachedBytes += bytes.length;
        // Oldest first out, so odd sizes cannot grow the cache without end.
        while (cachedBytes > MAX_CACHED_BYTES && pictures.size > 1) {
          const [oldest, bytesOf] = pictures.entries().next().value!;
          pictures.delete(oldest);
          void bytesOf.then((old) => (cachedBytes -= old.length));
        }
      },
      () => pictures.delete(key),
    );
  }
  return withComment(await drawn, request.format, `atelier-sandbox ${identity(request).replaceAll('\u0000', ' ')}`);
}

/** The image with `text` written into it: a COM segment after a JPEG's SOI, a tEXt chunk after a PNG's IHDR. */
export function withComment(image: Buffer, format: 'jpeg' | 'png', text: string): Buffer {
  const body = Buffer.from(text.slice(0, 2000), 'latin1');
  if (format === 'jpeg') {
    const segment = Buffer.alloc(4 + body.length);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(2 + body.length, 2);
    body.copy(segment, 4);
    return Buffer.concat([image.subarray(0, 2), segment, image.subarray(2)]);
  }
  const data = Buffer.concat([Buffer.from('Comment\u0000', 'latin1'), body]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  // Signature (8 bytes) and IHDR (4 length + 4 type + 13 data + 4 CRC) come first.
  return Buffer.concat([image.subarray(0, 33), chunk, image.subarray(33)]);
}

async function draw(request: RenderRequest, seed: string): Promise<Buffer> {
  const { width, height } = request;
  let base: ReturnType<typeof sharp>;
  if (request.inputs?.length) {
    // Inputs side by side, then the "edit" drawn over them.
    const tileWidth = Math.max(1, Math.floor(width / request.inputs.length));
    const tiles = await Promise.all(
      request.inputs.map((input) => sharp(input).resize(tileWidth, height, { fit: 'cover' }).png().toBuffer()),
    );
    const composed = await sharp({ create: { width, height, channels: 3, background: '#808080' } })
      .composite(tiles.map((tile, i) => ({ input: tile, left: i * tileWidth, top: 0 })))
      .png()
      .toBuffer();
    base = sharp(composed).composite([{ input: Buffer.from(svgFor(request, true, seed)) }]);
  } else {
    base = sharp(Buffer.from(svgFor(request, false, seed)));
  }
  return request.format === 'png' ? base.png().toBuffer() : base.jpeg({ quality: 85 }).toBuffer();
}

/** Reads an input image's size, failing for anything that is not an image. */
export async function imageSize(input: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(input).metadata();
  if (!meta.width || !meta.height) throw new Error('not an image');
  return { width: meta.width, height: meta.height };
}
