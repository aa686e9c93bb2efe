import sharp from 'sharp';
import { detectMediaType, mimeAllowed } from './media-type.js';

const pad = (bytes: number[] | Buffer, length = 64) => Buffer.concat([Buffer.from(bytes), Buffer.alloc(Math.max(0, length - Buffer.from(bytes).length))]);
const ftyp = (brand: string) => pad(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftyp' + brand, 'latin1')]));

describe('detectMediaType', () => {
  it.each([
    ['png', { mime: 'image/png', kind: 'image' }],
    ['jpeg', { mime: 'image/jpeg', kind: 'image' }],
    ['webp', { mime: 'image/webp', kind: 'image' }],
    ['gif', { mime: 'image/gif', kind: 'image' }],
  ] as const)('recognises real %s images', async (format, expected) => {
    const image = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } })
      .toFormat(format)
      .toBuffer();
    expect(detectMediaType(image.subarray(0, 64))).toMatchObject(expected);
  });

  it('recognises videos by their containers', () => {
    expect(detectMediaType(ftyp('isom'))).toMatchObject({ mime: 'video/mp4', ext: 'mp4', kind: 'video' });
    expect(detectMediaType(ftyp('mp42'))).toMatchObject({ mime: 'video/mp4' });
    expect(detectMediaType(ftyp('qt  '))).toMatchObject({ mime: 'video/quicktime', ext: 'mov' });
    const webm = pad([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, ...Buffer.from('webm')]);
    expect(detectMediaType(webm)).toMatchObject({ mime: 'video/webm', kind: 'video' });
  });

  it('refuses everything else, whatever it claims to be', () => {
    expect(detectMediaType(pad(Buffer.from('<html><body>not an image</body></html>')))).toBeNull();
    expect(detectMediaType(pad(Buffer.from('%PDF-1.7')))).toBeNull();
    expect(detectMediaType(ftyp('heic'))).toBeNull();
    expect(detectMediaType(pad([0x1a, 0x45, 0xdf, 0xa3, ...Buffer.from('matroska')]))).toBeNull();
    expect(detectMediaType(Buffer.alloc(0))).toBeNull();
    expect(detectMediaType(Buffer.from([0x89, 0x50]))).toBeNull();
  });

  it('matches allow-lists with wildcards', () => {
    expect(mimeAllowed('image/png', ['image/*'])).toBe(true);
    expect(mimeAllowed('video/mp4', ['image/*'])).toBe(false);
    expect(mimeAllowed('video/mp4', ['image/*', 'video/mp4'])).toBe(true);
  });
});
