import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolPath } from '../src/modules/storage/video/ffmpeg.js';

export type VideoFixture = 'mp4-faststart' | 'mp4-moov-at-end' | 'mov' | 'webm';

/** ffmpeg arguments per fixture: a 320x240 test pattern, 10 fps. */
const encodings: Record<VideoFixture, { ext: string; args: string[] }> = {
  'mp4-faststart': { ext: 'mp4', args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'] },
  // ffmpeg writes the moov box after the media data unless asked for fast start.
  'mp4-moov-at-end': { ext: 'mp4', args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] },
  mov: { ext: 'mov', args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] },
  webm: { ext: 'webm', args: ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '200k'] },
};

/**
 * Small real videos made at test time with the same ffmpeg the API uses (nothing binary is
 * committed). `seconds` long; the picture changes every frame, so frames at different times differ.
 */
export async function makeVideo(kind: VideoFixture, options: { seconds?: number; width?: number; height?: number } = {}): Promise<Buffer> {
  const { seconds = 2, width = 320, height = 240 } = options;
  const { ext, args } = encodings[kind];
  const folder = await mkdtemp(join(tmpdir(), 'atelier-fixture-'));
  try {
    const output = join(folder, `clip.${ext}`);
    await promisify(execFile)(toolPath('ffmpeg'), ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=10:duration=${seconds}`, ...args, output]);
    return await readFile(output);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Where the moov box of an MP4/MOV starts (to check a fixture's layout). */
export function moovOffset(bytes: Buffer): number {
  return bytes.indexOf('moov', 0, 'latin1');
}

/** Not a video: an MP4 header, then random bytes. Types as MP4 by its magic bytes; ffprobe cannot read it. */
export function corruptMp4(size = 64 * 1024): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(12), randomBytes(size)]);
}

/**
 * A real MP4 padded to `size` bytes with a `free` box (valid MP4: readers skip it), its padding
 * a fixed pattern so the bytes are the same every time.
 */
export function paddedMp4(mp4: Buffer, size: number): Buffer {
  const padding = size - mp4.length;
  if (padding < 8) throw new Error(`${size} bytes is too small for a ${mp4.length}-byte video`);
  const box = Buffer.alloc(padding);
  for (let i = 8; i < padding; i++) box[i] = (i * 2654435761) >>> 24;
  box.writeUInt32BE(padding, 0);
  box.write('free', 4, 'latin1');
  return Buffer.concat([mp4, box]);
}
