import sharp from 'sharp';
import { renderImage } from './render.js';

describe('sandbox rendering', () => {
  it.each(['jpeg', 'png'] as const)('gives each request its own valid %s file, the same bytes for the same request', async (format) => {
    const request = { prompt: '一只猫 cat', seed: 7, index: 0, width: 96, height: 64, format };
    const first = await renderImage(request);
    const again = await renderImage({ ...request });
    const other = await renderImage({ ...request, seed: 8 });
    expect(again.equals(first)).toBe(true);
    expect(other.equals(first)).toBe(false);
    for (const image of [first, other]) {
      const meta = await sharp(image).metadata();
      expect(meta).toMatchObject({ format, width: 96, height: 64 });
      // Decodes to the end: the inserted comment did not break the file.
      const { info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
      expect(info.width).toBe(96);
    }
    expect(first.includes(Buffer.from('atelier-sandbox'))).toBe(true);
  });
});
