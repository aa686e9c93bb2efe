import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { PICTURES, renderImage } from '../fal/render.js';

/**
 * Midjourney's pictures, drawn cheaply with the fal stand-in's renderer: a result "image" has the
 * size of one upscaled picture; a grid is that size with four half-size quadrants. Real v6 grids
 * are 2048 px on the long side; the sandbox halves everything (1024) to spare the CPU it shares.
 */

export interface Size {
  width: number;
  height: number;
}

const LONG_SIDE = 1024;
/** Sizes stay multiples of 16, so quadrants are whole multiples of 8 as Midjourney's are. */
const even = (value: number) => Math.max(16, Math.round(value / 16) * 16);

/** The size of an upscaled picture of aspect `w:h`. */
export function sizeForAspect(w: number, h: number, longSide = LONG_SIDE): Size {
  return w >= h ? { width: even(longSide), height: even((longSide * h) / w) } : { width: even((longSide * w) / h), height: even(longSide) };
}

/** `--ar 16:9` (or `--aspect`) in a prompt; null when absent or malformed. */
export function aspectOf(prompt: string): [number, number] | null {
  const match = /(?:^|\s)--(?:ar|aspect)\s+(\d{1,5})\s*:\s*(\d{1,5})(?=\s|$)/i.exec(prompt);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) return null;
  return [Number(match[1]), Number(match[2])];
}

/** Four different pictures for a grid, chosen by prompt and seed. */
function picturesFor(prompt: string, seed: string): number[] {
  const base = createHash('sha256').update(`${prompt}\u0000${seed}`).digest().readUInt16BE(0);
  const step = PICTURES / 4;
  return [0, 1, 2, 3].map((q) => (base + q * step) % PICTURES);
}

export type QuadrantDecoration =
  /** The parent image, shrunk by `factor`, in the middle of each new picture (zoom out). */
  | { kind: 'zoom'; parent: Buffer; factor: number }
  /** The parent image kept on the side opposite the pan; the new picture extends it. */
  | { kind: 'pan'; parent: Buffer; direction: 'left' | 'right' | 'up' | 'down' }
  /** The parent image with the new picture showing through the white part of the mask. */
  | { kind: 'region'; parent: Buffer; mask: Buffer }
  /** New pictures drawn over the inputs (blend). */
  | { kind: 'inputs'; inputs: Buffer[] };

async function quadrant(prompt: string, seed: string, index: number, picture: number, size: Size, decoration?: QuadrantDecoration): Promise<Buffer> {
  const half = { width: size.width / 2, height: size.height / 2 };
  const request = { prompt, seed: Number.parseInt(seed, 10) || 0, index, ...half, format: 'png' as const, picture };
  if (decoration?.kind === 'inputs') return renderImage({ ...request, inputs: decoration.inputs });
  const fresh = await renderImage(request);
  if (!decoration) return fresh;
  if (decoration.kind === 'zoom') {
    const inner = { width: Math.max(1, Math.round(half.width / decoration.factor)), height: Math.max(1, Math.round(half.height / decoration.factor)) };
    const shrunk = await sharp(decoration.parent).resize(inner.width, inner.height, { fit: 'fill' }).png().toBuffer();
    return sharp(fresh)
      .composite([{ input: shrunk, left: Math.floor((half.width - inner.width) / 2), top: Math.floor((half.height - inner.height) / 2) }])
      .png()
      .toBuffer();
  }
  if (decoration.kind === 'pan') {
    const horizontal = decoration.direction === 'left' || decoration.direction === 'right';
    // The old picture fills 2/3 of the new one along the pan axis (the pan added half of it).
    const kept = horizontal ? { width: Math.round((half.width * 2) / 3), height: half.height } : { width: half.width, height: Math.round((half.height * 2) / 3) };
    const old = await sharp(decoration.parent).resize(kept.width, kept.height, { fit: 'fill' }).png().toBuffer();
    const left = decoration.direction === 'left' ? half.width - kept.width : 0;
    const top = decoration.direction === 'up' ? half.height - kept.height : 0;
    return sharp(fresh).composite([{ input: old, left, top }]).png().toBuffer();
  }
  const base = await sharp(decoration.parent).resize(half.width, half.height, { fit: 'fill' }).removeAlpha().png().toBuffer();
  const alpha = await sharp(decoration.mask).resize(half.width, half.height, { fit: 'fill' }).greyscale().extractChannel(0).raw().toBuffer();
  const overlay = await sharp(await sharp(fresh).removeAlpha().raw().toBuffer(), { raw: { ...half, channels: 3 } })
    .joinChannel(alpha, { raw: { ...half, channels: 1 } })
    .png()
    .toBuffer();
  return sharp(base).composite([{ input: overlay }]).png().toBuffer();
}

/** A 2x2 grid of four different pictures, deterministic per prompt and seed. */
export async function renderGrid(prompt: string, seed: string, size: Size, decoration?: QuadrantDecoration): Promise<Buffer> {
  const pictures = picturesFor(prompt, seed);
  const quadrants = await Promise.all(pictures.map((picture, index) => quadrant(prompt, seed, index, picture, size, decoration)));
  return sharp({ create: { ...size, channels: 3, background: '#000000' } })
    .composite(quadrants.map((input, index) => ({ input, left: (index % 2) * (size.width / 2), top: Math.floor(index / 2) * (size.height / 2) })))
    .png()
    .toBuffer();
}

/** Quadrant `index` (1..4) of a grid, enlarged to `size` (an upscale). */
export async function cropQuadrant(grid: Buffer, index: number, size: Size): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(grid).metadata();
  const half = { width: Math.floor(width / 2), height: Math.floor(height / 2) };
  return sharp(grid)
    .extract({ left: ((index - 1) % 2) * half.width, top: Math.floor((index - 1) / 2) * half.height, ...half })
    .resize(size.width, size.height, { fit: 'fill' })
    .png()
    .toBuffer();
}

/** An image enlarged to `size` (upscale subtle / creative). */
export function enlarge(image: Buffer, size: Size): Promise<Buffer> {
  return sharp(image).resize(size.width, size.height, { fit: 'fill' }).png().toBuffer();
}

/** A small, blurred preview of the final image, sharper as `share` (0..1) grows. */
export function preview(image: Buffer, size: Size, share: number): Promise<Buffer> {
  const width = Math.max(16, Math.round(size.width / 4));
  const sigma = Math.max(0.3, 12 * (1 - share));
  return sharp(image).resize(width).blur(sigma).webp({ quality: 50 }).toBuffer();
}

/** The size of an image, failing for anything that is not one. */
export async function imageSize(input: Buffer): Promise<Size> {
  const meta = await sharp(input).metadata();
  if (!meta.width || !meta.height) throw new Error('not an image');
  return { width: meta.width, height: meta.height };
}

const SUBJECTS = ['a lighthouse on a cliff', 'a red fox in snow', 'a bowl of ramen', 'an old tram in the rain', 'a paper crane', 'a glass greenhouse', 'a sleeping cat', 'a mountain lake at dawn'];
const STYLES = ['watercolor', 'isometric illustration', 'film photograph, 35mm', 'ink wash painting', 'low-poly 3d render', 'oil painting, impasto'];
const MOODS = ['soft morning light', 'moody and cinematic', 'pastel colors', 'high contrast', 'dreamy haze', 'vivid neon accents'];

/** Describe's four prompts, chosen by the image's bytes and ending with its aspect ratio. */
export function describePrompts(image: Buffer, size: Size): string[] {
  const hash = createHash('sha256').update(image).digest();
  const divisor = gcd(size.width, size.height);
  const ar = `--ar ${size.width / divisor}:${size.height / divisor}`;
  return [0, 1, 2, 3].map((i) => `${SUBJECTS[(hash[i] + i) % SUBJECTS.length]}, ${STYLES[hash[i + 4] % STYLES.length]}, ${MOODS[hash[i + 8] % MOODS.length]} ${ar}`);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
