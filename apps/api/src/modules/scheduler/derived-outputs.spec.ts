import sharp from 'sharp';
import { cutRegion } from './task-engine.service.js';

describe('cutRegion (derived outputs)', () => {
  it('cuts a quadrant of a 2x2 grid by fractions of its size', async () => {
    const tile = (color: string) => sharp({ create: { width: 100, height: 60, channels: 3, background: color } }).png().toBuffer();
    const grid = await sharp({ create: { width: 200, height: 120, channels: 3, background: '#000000' } })
      .composite([
        { input: await tile('#ff0000'), left: 0, top: 0 },
        { input: await tile('#00ff00'), left: 100, top: 0 },
        { input: await tile('#0000ff'), left: 0, top: 60 },
        { input: await tile('#ffffff'), left: 100, top: 60 },
      ])
      .png()
      .toBuffer();
    const second = await cutRegion(grid, { left: 0.5, top: 0, width: 0.5, height: 0.5 });
    const { data, info } = await sharp(second).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.format]).toEqual([100, 60, 'raw']);
    expect([...data.subarray(0, 3)]).toEqual([0, 255, 0]);
    expect((await sharp(second).metadata()).format).toBe('png');
    const fourth = await sharp(await cutRegion(grid, { left: 0.5, top: 0.5, width: 0.5, height: 0.5 })).raw().toBuffer();
    expect([...fourth.subarray(0, 3)]).toEqual([255, 255, 255]);
  });
});
