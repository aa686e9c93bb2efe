import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpegPath, run } from './ffmpeg.js';

/**
 * Kling's videos, rendered for real with ffmpeg but cheaply: low resolution, 8 frames a second,
 * the fastest x264 preset on one thread, one render at a time, each cached on disk by what it
 * shows. A picture's colours, moving square and tone come from the request's seed; the prompt
 * and the frame number are drawn on it (when a font is found); the start frame fills the first
 * second and the end frame the last one, so image-to-video visibly uses its inputs.
 */

export const FPS = 8;
/** The short side of a sandbox video (Kling's are 720p/1080p: the sandbox spares the CPU). */
export const SHORT_SIDE = 320;

export interface VideoRender {
  prompt: string;
  /** Any text: the same seed and prompt give the same bytes. */
  seed: string;
  width: number;
  height: number;
  seconds: number;
  sound: boolean;
  /** PNG bytes of the first and last frames. */
  start?: Buffer;
  end?: Buffer;
}

const FONT_CANDIDATES = [
  process.env.SANDBOX_FONT_FILE,
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/noto/NotoSans-Regular.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  'C:/Windows/Fonts/arial.ttf',
];

let font: string | null | undefined;
/** drawtext needs a font file; without one the video has no text (colours still vary by seed). */
export function fontFile(): string | null {
  if (font === undefined) font = FONT_CANDIDATES.find((path): path is string => !!path && existsSync(path)) ?? null;
  return font;
}

/**
 * An even size of the given aspect, `SHORT_SIDE` on the short side (x264 needs even sides): small
 * to render, yet a frame of it is still a usable start frame (Kling wants a short side of 300 px).
 */
export function sizeFor(width: number, height: number): { width: number; height: number } {
  const even = (value: number) => Math.max(2, Math.round(value / 2) * 2);
  return width >= height ? { width: even((SHORT_SIDE * width) / height), height: SHORT_SIDE } : { width: SHORT_SIDE, height: even((SHORT_SIDE * height) / width) };
}

const sha = (...parts: Array<string | Buffer>) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
};

/** A path in the filter graph: quoted, so `:` and `,` are literal (our paths never hold a quote). */
const quote = (value: string) => `'${value.replace(/\\/g, '/').replace(/'/g, '')}'`;

function args(render: VideoRender, files: { prompt: string; start?: string; end?: string }, output: string): string[] {
  const digest = createHash('sha256').update(`${render.prompt}\u0000${render.seed}`).digest();
  const color = (offset: number) => `0x${digest.subarray(offset, offset + 3).toString('hex')}`;
  const { width: w, height: h, seconds } = render;
  const box = Math.max(8, Math.round(Math.min(w, h) / 4));
  const speed = 24 + (digest[6] % 64);
  const inputs = ['-f', 'lavfi', '-i', `color=c=${color(0)}:s=${w}x${h}:r=${FPS}:d=${seconds}`, '-f', 'lavfi', '-i', `color=c=${color(3)}:s=${box}x${box}:r=${FPS}`];
  const graph: string[] = [`[0:v][1:v]overlay=x='mod(t*${speed}\\,W-w)':y='(H-h)/2+sin(t*2)*(H-h)/3':shortest=1[moving]`];
  let last = 'moving';
  const fontPath = fontFile();
  if (fontPath) {
    const size = Math.max(10, Math.round(h / 12));
    graph.push(
      `[${last}]drawtext=fontfile=${quote(fontPath)}:textfile=${quote(files.prompt)}:expansion=none:x=6:y=6:fontsize=${size}:fontcolor=white:borderw=1:bordercolor=black,` +
        `drawtext=fontfile=${quote(fontPath)}:text='frame %{frame_num}':x=6:y=h-${size + 6}:fontsize=${size}:fontcolor=yellow:borderw=1:bordercolor=black[texted]`,
    );
    last = 'texted';
  }
  let next = 2;
  const frame = (file: string, enable: string, label: string) => {
    inputs.push('-loop', '1', '-framerate', String(FPS), '-i', file);
    graph.push(`[${next}:v]scale=${w}:${h},setsar=1,format=yuv420p[${label}in]`, `[${last}][${label}in]overlay=enable='${enable}':shortest=1[${label}]`);
    last = label;
    next++;
  };
  // The first and last second (8 frames) show the inputs.
  if (files.start) frame(files.start, 'lt(n\\,8)', 'first');
  if (files.end) frame(files.end, `gte(n\\,${seconds * FPS - 8})`, 'final');
  graph.push(`[${last}]format=yuv420p[v]`);
  const audio: string[] = [];
  if (render.sound) {
    inputs.push('-f', 'lavfi', '-i', `sine=f=${220 + (digest[7] % 64) * 10}:d=${seconds}`);
    audio.push('-map', `${next}:a`, '-c:a', 'aac', '-b:a', '32k');
  }
  return [
    '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
    ...inputs,
    '-filter_complex', graph.join(';'),
    '-map', '[v]', ...audio,
    '-t', String(seconds), '-r', String(FPS),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-threads', '1',
    // Same request, same bytes: no timestamps or encoder metadata that vary by run.
    '-fflags', '+bitexact', '-flags', '+bitexact', '-map_metadata', '-1',
    '-movflags', '+faststart', '-f', 'mp4', output,
  ];
}

/** Renders (or finds in the cache) one video; one ffmpeg at a time, each render once. */
export class VideoRenderer {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly dir: () => string) {}

  keyOf(render: VideoRender): string {
    const { start, end, ...rest } = render;
    return sha(JSON.stringify(rest), start ?? '', end ?? '');
  }

  render(render: VideoRender): Promise<string> {
    const key = this.keyOf(render);
    const output = join(this.dir(), `${key}.mp4`);
    if (existsSync(output)) return Promise.resolve(output);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const job = this.chain.then(async () => {
      const dir = this.dir();
      const files: { prompt: string; start?: string; end?: string } = { prompt: join(dir, `${key}.txt`) };
      writeFileSync(files.prompt, render.prompt.replace(/\s+/g, ' ').slice(0, 120) || ' ');
      if (render.start) writeFileSync((files.start = join(dir, `${key}.start.png`)), render.start);
      if (render.end) writeFileSync((files.end = join(dir, `${key}.end.png`)), render.end);
      const partial = `${output}.part`;
      try {
        await run(ffmpegPath(), args(render, files, partial));
        renameSync(partial, output);
        return output;
      } finally {
        for (const file of [files.prompt, files.start, files.end, partial]) if (file) rmSync(file, { force: true });
      }
    });
    this.chain = job.catch(() => undefined);
    this.inflight.set(key, job);
    void job.finally(() => this.inflight.delete(key)).catch(() => undefined);
    return job;
  }
}
