import { say } from '../../common/language.js';
import { MediaKind } from './media-file.entity.js';

export interface DetectedType {
  mime: string;
  ext: string;
  kind: MediaKind;
}

/** Bytes needed to recognise every supported type. */
export const SNIFF_BYTES = 64;

const startsWith = (bytes: Buffer, signature: number[], offset = 0) => signature.every((b, i) => bytes[offset + i] === b);
const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');

/**
 * Recognises the file types Atelier keeps by their magic bytes (never by name or declared type):
 * PNG, JPEG, WebP, GIF, MP4, WebM and QuickTime MOV. Returns null for anything else.
 */
export function detectMediaType(head: Buffer): DetectedType | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { mime: 'image/png', ext: 'png', kind: MediaKind.Image };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { mime: 'image/jpeg', ext: 'jpg', kind: MediaKind.Image };
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { mime: 'image/webp', ext: 'webp', kind: MediaKind.Image };
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return { mime: 'image/gif', ext: 'gif', kind: MediaKind.Image };
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) {
    // EBML: Matroska and WebM share it; the DocType says which.
    return ascii(head, 0, SNIFF_BYTES).includes('webm') ? { mime: 'video/webm', ext: 'webm', kind: MediaKind.Video } : null;
  }
  if (ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    if (brand === 'qt  ') return { mime: 'video/quicktime', ext: 'mov', kind: MediaKind.Video };
    // Still-image brands of the ISO family (HEIC, AVIF) are not videos.
    if (['heic', 'heix', 'mif1', 'msf1', 'avif', 'avis'].includes(brand)) return null;
    return { mime: 'video/mp4', ext: 'mp4', kind: MediaKind.Video };
  }
  // Old QuickTime files start with a moov/mdat/wide/free atom instead of ftyp.
  if (['moov', 'mdat', 'wide', 'free', 'skip'].includes(ascii(head, 4, 8))) return { mime: 'video/quicktime', ext: 'mov', kind: MediaKind.Video };
  return null;
}

/** Whether a MIME type matches an allow-list of `type/*` or exact entries. */
export function mimeAllowed(mime: string, allowed: readonly string[]): boolean {
  return allowed.some((pattern) => (pattern.endsWith('/*') ? mime.startsWith(pattern.slice(0, -1)) : mime === pattern));
}

/**
 * Duration in seconds of an MP4/MOV whose `moov` box comes first (the usual "fast start" layout
 * for web video), read from its `mvhd` box; null when it is not within `head`.
 */
export function mp4Duration(head: Buffer): number | null {
  const at = head.indexOf('mvhd', 0, 'latin1');
  if (at < 4) return null;
  const version = head[at + 4];
  const timescaleAt = version === 1 ? at + 24 : at + 16;
  const durationAt = timescaleAt + 4;
  if (head.length < durationAt + (version === 1 ? 8 : 4)) return null;
  const timescale = head.readUInt32BE(timescaleAt);
  const duration = version === 1 ? Number(head.readBigUInt64BE(durationAt)) : head.readUInt32BE(durationAt);
  if (!timescale || duration === 0xffffffff) return null;
  return Math.round((duration / timescale) * 1000) / 1000;
}

/** Every type detectMediaType knows, by the names people know them by. */
const FAMILIAR_NAMES: ReadonlyArray<[mime: string, name: string]> = [
  ['image/jpeg', 'JPG'],
  ['image/png', 'PNG'],
  ['image/webp', 'WebP'],
  ['image/gif', 'GIF'],
  ['video/mp4', 'MP4'],
  ['video/webm', 'WebM'],
  ['video/quicktime', 'MOV'],
];

/**
 * The one refusal of a file whose type a place does not take, whatever it was (unrecognised bytes,
 * or a type not allowed there): it names only what that place accepts, in file types people know
 * ("Only JPG, PNG or WebP images can be used"), never MIME types. `allowed` are lists of patterns
 * that must all match (e.g. an input's own list and the storage settings').
 */
export function onlyTheseTypes(...allowed: ReadonlyArray<readonly string[]>): string {
  const accepted = FAMILIAR_NAMES.filter(([mime]) => allowed.every((patterns) => mimeAllowed(mime, patterns)));
  const images = accepted.filter(([mime]) => mime.startsWith('image/')).map(([, name]) => name);
  const videos = accepted.filter(([mime]) => mime.startsWith('video/')).map(([, name]) => name);
  const en = (names: string[]) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join(''));
  const zh = (names: string[]) => (names.length > 1 ? `${names.slice(0, -1).join('、')} 或 ${names.at(-1)}` : names.join(''));
  if (images.length && videos.length) {
    return say(`Only ${en(images)} images or ${en(videos)} videos can be used here`, `只能使用 ${zh(images)} 图片或 ${zh(videos)} 视频`);
  }
  if (videos.length) return say(`Only ${en(videos)} videos can be used here`, `只能使用 ${zh(videos)} 视频`);
  if (images.length) return say(`Only ${en(images)} images can be used here`, `只能使用 ${zh(images)} 图片`);
  return say('No files can be uploaded here', '此处不能上传文件');
}
