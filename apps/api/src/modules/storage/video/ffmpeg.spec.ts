import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { extractFrame, probeVideo, toolPath, UnreadableVideoError, VideoToolMissingError } from './ffmpeg.js';

const ffmpeg = (...args: string[]) => promisify(execFile)(toolPath('ffmpeg'), ['-nostdin', '-v', 'error', '-y', ...args]);

describe('ffmpeg and ffprobe', () => {
  let folder: string;
  let clip: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'ffmpeg-spec-'));
    clip = join(folder, 'clip.mp4');
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip);
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  describe('toolPath', () => {
    afterEach(() => {
      delete process.env.FFPROBE_PATH;
    });

    it('uses the npm package binary by default and FFPROBE_PATH when set', async () => {
      expect(toolPath('ffprobe')).toMatch(/@ffprobe-installer\/linux-x64\/ffprobe$/);
      process.env.FFPROBE_PATH = toolPath('ffmpeg');
      expect(toolPath('ffprobe')).toBe(toolPath('ffmpeg'));
    });

    it('says how to fix a binary this process cannot execute, and one that is missing', async () => {
      const file = join(folder, 'ffprobe');
      await writeFile(file, '#!/bin/sh\n');
      await chmod(file, 0o644); // not executable (the npm ffprobe, mode 744, is so for users other than its owner)
      process.env.FFPROBE_PATH = file;
      expect(() => toolPath('ffprobe')).toThrow(new VideoToolMissingError(`${file} cannot be executed by this process: run \`chmod +x ${file}\` (npm ran its install script without allowScripts?) or set FFPROBE_PATH`));
      process.env.FFPROBE_PATH = join(folder, 'nothing-here');
      expect(() => toolPath('ffprobe')).toThrow(new VideoToolMissingError(`ffprobe not found at ${join(folder, 'nothing-here')}: install it there or set FFPROBE_PATH`));
      // Fixed without a restart.
      delete process.env.FFPROBE_PATH;
      expect(toolPath('ffprobe')).toMatch(/ffprobe$/);
    });
  });

  it('kills a tool that hangs, and fails with the time it was given', async () => {
    const hanging = join(folder, 'hanging-ffprobe');
    await writeFile(hanging, '#!/bin/sh\nexec sleep 30\n');
    await chmod(hanging, 0o755);
    process.env.FFPROBE_PATH = hanging;
    try {
      const started = Date.now();
      await expect(probeVideo(clip, 300)).rejects.toThrow(new UnreadableVideoError('ffprobe: did not finish within 0.3 s'));
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      delete process.env.FFPROBE_PATH;
    }
  });

  it('probes duration, size and codec', async () => {
    expect(await probeVideo(clip)).toEqual({ durationSeconds: 3, width: 320, height: 240, videoCodec: 'h264', formatName: expect.stringContaining('mp4') });
  });

  it('gives the displayed size of a rotated (phone) video, and its frames upright', async () => {
    const rotated = join(folder, 'rotated.mp4');
    await ffmpeg('-i', clip, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated);
    expect(await probeVideo(rotated)).toMatchObject({ width: 240, height: 320 });
    expect(await sharp(await extractFrame(rotated, { at: 1 })).metadata()).toMatchObject({ width: 240, height: 320 });
  });

  it('refuses what is not a video, and a file with no video stream', async () => {
    const garbage = join(folder, 'garbage.mp4');
    await writeFile(garbage, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(2000, 7)]));
    await expect(probeVideo(garbage)).rejects.toThrow(UnreadableVideoError);
    const sound = join(folder, 'sound.mp4');
    await ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', sound);
    await expect(probeVideo(sound)).rejects.toThrow(new UnreadableVideoError('ffprobe: no video stream'));
  });

  it('extracts a frame at a time, scaled into a box without enlarging, and the last frame', async () => {
    const at = await extractFrame(clip, { at: 1, maxSide: 160 });
    expect(await sharp(at).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 120 });
    expect(await sharp(await extractFrame(clip, { at: 1, maxSide: 512 })).metadata()).toMatchObject({ width: 320, height: 240 });
    const last = await extractFrame(clip, { at: 'last' });
    const first = await extractFrame(clip, { at: 0 });
    expect(await sharp(last).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    // testsrc draws a frame counter: the first, the one at 1 s and the last all differ.
    const pixels = async (jpeg: Buffer) => (await sharp(jpeg).resize(320, 240).raw().toBuffer()).toString('base64');
    expect(new Set([await pixels(first), await pixels(last), await pixels(await extractFrame(clip, { at: 1 }))]).size).toBe(3);
  });

  it('never opens a URL, even when given one', async () => {
    await expect(probeVideo('http://127.0.0.1:9/clip.mp4')).rejects.toThrow(/not on whitelist/);
    await expect(extractFrame('http://127.0.0.1:9/clip.mp4', { at: 0 })).rejects.toThrow(/not on whitelist/);
  });

  it('falls back to the first frame when asked past the end', async () => {
    expect(await sharp(await extractFrame(clip, { at: 60 })).metadata()).toMatchObject({ format: 'jpeg', width: 320 });
  });
});
