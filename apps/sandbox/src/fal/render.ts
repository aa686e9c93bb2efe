import { createHash } from 'node:crypto';
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
}

/** A stream of pseudo-random bytes derived from the request, so the same prompt and seed give the same image. */
function randomBytesFor(request: RenderRequest): () => number {
  let block = createHash('sha256').update(`${request.prompt}\u0000${request.seed}\u0000${request.index}`).digest();
  let offset = 0;
  return () => {
    if (offset >= block.length) {
      block = createHash('sha256').update(block).digest();
      offset = 0;
    }
    return block[offset++];
  };
}

function svgFor(request: RenderRequest, translucent: boolean): string {
  const next = randomBytesFor(request);
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
    base = sharp(composed).composite([{ input: Buffer.from(svgFor(request, true)) }]);
  } else {
    base = sharp(Buffer.from(svgFor(request, false)));
  }
  return request.format === 'png' ? base.png().toBuffer() : base.jpeg({ quality: 85 }).toBuffer();
}

/** Reads an input image's size, failing for anything that is not an image. */
export async function imageSize(input: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(input).metadata();
  if (!meta.width || !meta.height) throw new Error('not an image');
  return { width: meta.width, height: meta.height };
}
