import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The ffmpeg and ffprobe binaries: `FFMPEG_PATH` / `FFPROBE_PATH` when set (a system build, a
 * Docker image's own), else the static builds shipped by the npm packages `@ffmpeg-installer/ffmpeg`
 * and `@ffprobe-installer/ffprobe`. Their postinstall scripts only `chmod u+x` (package.json lists
 * them under `allowScripts`); ffprobe's tarball is not executable for other users, so a binary
 * that cannot be run is reported with that hint rather than as a bare EACCES.
 */
const require = createRequire(import.meta.url);

function resolveBinary(name: 'ffmpeg' | 'ffprobe'): string {
  const fromEnv = process.env[name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'];
  if (fromEnv) return fromEnv;
  const installer = name === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
  let path: string;
  try {
    path = (require(installer) as { path: string }).path;
  } catch (error) {
    throw new Error(`${name} not found: set ${name.toUpperCase()}_PATH or install ${installer} (${String(error)})`);
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is not executable: run \`chmod +x ${path}\` (npm ran its install script without allowScripts?) or set ${name.toUpperCase()}_PATH`);
  }
  return path;
}

let ffmpeg: string | undefined;
let ffprobe: string | undefined;

export function ffmpegPath(): string {
  return (ffmpeg ??= resolveBinary('ffmpeg'));
}

export function ffprobePath(): string {
  return (ffprobe ??= resolveBinary('ffprobe'));
}

/** Runs a binary, failing with its stderr. */
export function run(binary: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary.split('/').pop()} failed: ${String(stderr).trim().slice(-500) || error.message}`));
      else resolve(stdout);
    });
  });
}

export interface VideoProbe {
  durationSeconds: number;
  width: number;
  height: number;
  videoCodec: string;
  hasAudio: boolean;
  formatName: string;
}

/** What ffprobe reads from a video file. */
export async function probeVideo(file: string): Promise<VideoProbe> {
  const out = await run(ffprobePath(), ['-v', 'error', '-show_entries', 'format=duration,format_name:stream=codec_type,codec_name,width,height', '-of', 'json', file]);
  const json = JSON.parse(out) as { format?: { duration?: string; format_name?: string }; streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number }> };
  const video = json.streams?.find((s) => s.codec_type === 'video');
  if (!video) throw new Error(`${file} has no video stream`);
  return {
    durationSeconds: Number(json.format?.duration),
    width: video.width ?? 0,
    height: video.height ?? 0,
    videoCodec: video.codec_name ?? '',
    hasAudio: !!json.streams?.some((s) => s.codec_type === 'audio'),
    formatName: json.format?.format_name ?? '',
  };
}
