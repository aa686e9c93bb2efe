import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The ffmpeg and ffprobe binaries: `FFMPEG_PATH` / `FFPROBE_PATH` when set (a system build, such
 * as the Docker image's Debian `ffmpeg`), else the static builds shipped by the npm packages
 * `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe`, so `npm install` brings them.
 * Their postinstall scripts only `chmod u+x` (package.json lists them under `allowScripts`);
 * ffprobe's tarball is mode 744, so a binary this process cannot run is reported with that hint
 * rather than as a bare EACCES. (The sandbox keeps its own copy of this lookup: it is a separate app.)
 */
const require = createRequire(import.meta.url);

/** ffmpeg or ffprobe is missing or cannot be run: a server problem, not the file's. */
export class VideoToolMissingError extends Error {
  override name = 'VideoToolMissingError';
}

/** ffprobe (or ffmpeg) could not read the file as a video. */
export class UnreadableVideoError extends Error {
  override name = 'UnreadableVideoError';
}

type Tool = 'ffmpeg' | 'ffprobe';

function resolveBinary(name: Tool): string {
  const variable = name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  const installer = name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
  let path = process.env[variable];
  if (!path) {
    try {
      path = (require(installer) as { path: string }).path;
    } catch (error) {
      throw new VideoToolMissingError(`${name} not found: set ${variable} or install ${installer} (${(error as Error).message})`);
    }
  }
  if (!existsSync(path)) throw new VideoToolMissingError(`${name} not found at ${path}: install it there or set ${variable}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new VideoToolMissingError(`${path} cannot be executed by this process: run \`chmod +x ${path}\` (npm ran its install script without allowScripts?) or set ${variable}`);
  }
  return path;
}

const resolved = new Map<string, string>();

/** The binary's path; throws VideoToolMissingError (checked again next time, so a fix needs no restart). */
export function toolPath(name: Tool): string {
  const cacheKey = `${name}:${process.env[name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'] ?? ''}`;
  let path = resolved.get(cacheKey);
  if (!path) {
    path = resolveBinary(name);
    resolved.set(cacheKey, path);
  }
  return path;
}

/**
 * At most this many ffmpeg/ffprobe processes at once per API instance: each decodes video on a
 * core of its own, and uploads must not starve the event loop's machine.
 */
const MAX_PROCESSES = 2;
let running = 0;
const waiting: Array<() => void> = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PROCESSES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * Inputs are read through the file protocol only: a path is never taken for a URL, and nothing
 * inside a file (a reference, a playlist) makes ffmpeg open a network address past the guarded fetcher.
 */
const LOCAL_FILES_ONLY = ['-protocol_whitelist', 'file'];

/**
 * Runs a tool on our own file (never a URL: ffmpeg would fetch it unguarded) with a time limit;
 * a process that hangs is killed (SIGKILL), and its failure carries the end of its stderr.
 */
function run(name: Tool, args: string[], timeoutMs: number): Promise<Buffer> {
  const binary = toolPath(name);
  return slot(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        execFile(binary, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'buffer' }, (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const killed = (error as { killed?: boolean }).killed;
          const detail = killed ? `did not finish within ${timeoutMs / 1000} s` : stderr.toString().trim().split('\n').slice(-3).join(' ').slice(0, 300) || error.message;
          reject(new UnreadableVideoError(`${name}: ${detail}`));
        });
      }),
  );
}

export const PROBE_TIMEOUT_MS = 30_000;
export const FRAME_TIMEOUT_MS = 60_000;

export interface VideoProbe {
  /** Seconds (millisecond precision); null when the container does not say. */
  durationSeconds: number | null;
  /** As displayed: rotated videos (phones) have their sides swapped. */
  width: number;
  height: number;
  videoCodec: string;
  formatName: string;
}

interface ProbeJson {
  format?: { duration?: string; format_name?: string };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    duration?: string;
    tags?: { rotate?: string };
    side_data_list?: Array<{ rotation?: number }>;
  }>;
}

/** Duration, displayed size and codec of a video file; UnreadableVideoError when it is not one. */
export async function probeVideo(file: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<VideoProbe> {
  const out = await run(
    'ffprobe',
    ['-v', 'error', ...LOCAL_FILES_ONLY, '-show_entries', 'format=duration,format_name:stream=codec_type,codec_name,width,height,duration:stream_tags=rotate:stream_side_data=rotation', '-of', 'json', '-i', file],
    timeoutMs,
  );
  let json: ProbeJson;
  try {
    json = JSON.parse(out.toString()) as ProbeJson;
  } catch {
    throw new UnreadableVideoError('ffprobe: unreadable answer');
  }
  const video = json.streams?.find((stream) => stream.codec_type === 'video' && stream.width && stream.height);
  if (!video) throw new UnreadableVideoError('ffprobe: no video stream');
  const rotation = Math.abs(Number(video.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0)) % 180;
  const seconds = [json.format?.duration, video.duration].map(Number).find((value) => Number.isFinite(value) && value > 0);
  return {
    durationSeconds: seconds === undefined ? null : Math.round(seconds * 1000) / 1000,
    width: rotation === 90 ? video.height! : video.width!,
    height: rotation === 90 ? video.width! : video.height!,
    videoCodec: video.codec_name ?? '',
    formatName: json.format?.format_name ?? '',
  };
}

export interface FrameOptions {
  /** Seconds from the start, or 'last' for the final frame. */
  at: number | 'last';
  /** Longest side in pixels (never enlarged); the frame's own size when absent. */
  maxSide?: number;
}

/**
 * One frame of a video file as a JPEG (ffmpeg applies the rotation). Seeks before decoding
 * (`-ss` before `-i`), so it costs a keyframe's decoding, not the video's. The last frame is
 * found by decoding the final seconds and keeping the newest (`-update 1`).
 */
export async function extractFrame(file: string, options: FrameOptions): Promise<Buffer> {
  const folder = await mkdtemp(join(tmpdir(), 'atelier-frame-'));
  const output = join(folder, 'frame.jpg');
  const seek = options.at === 'last' ? ['-sseof', '-3'] : ['-ss', String(Math.max(0, options.at))];
  const scale = options.maxSide ? ['-vf', `scale='min(${options.maxSide},iw)':'min(${options.maxSide},ih)':force_original_aspect_ratio=decrease`] : [];
  const frames = options.at === 'last' ? ['-update', '1'] : ['-frames:v', '1'];
  try {
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...LOCAL_FILES_ONLY, ...seek, '-i', file, '-an', ...scale, ...frames, '-q:v', '3', '-f', 'image2', output], FRAME_TIMEOUT_MS);
    const frame = await readFile(output).catch(() => null);
    if (frame?.length) return frame;
    // A seek past the last decodable frame (a duration that overstates) writes nothing: take the first.
    if (options.at !== 0) return extractFrame(file, { ...options, at: 0 });
    throw new UnreadableVideoError('ffmpeg: no frame could be decoded');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
