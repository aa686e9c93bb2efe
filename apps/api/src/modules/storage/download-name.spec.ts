import { safeDownloadName } from './download-name.js';

describe('safeDownloadName', () => {
  it('keeps letters of every script and takes the stored extension', () => {
    expect(safeDownloadName('a-cat-on-a-sofa-2026-12-04.jpg', 'generated/images/2026/12/d7fc.jpg')).toBe('a-cat-on-a-sofa-2026-12-04.jpg');
    expect(safeDownloadName('两只猫在沙发上-2026-12-04', 'x/d7fc.png')).toBe('两只猫在沙发上-2026-12-04.png');
    // A name cannot change what the file is.
    expect(safeDownloadName('cat.exe', 'x/d7fc.webp')).toBe('cat.webp');
  });

  it('removes what is unsafe in a file name', () => {
    expect(safeDownloadName('../../etc/passwd', 'x/a.jpg')).toBe('etc-passwd.jpg');
    expect(safeDownloadName('a<b>:c"d|e?f*g\\h', 'x/a.jpg')).toBe('a-b-c-d-e-f-g-h.jpg');
    expect(safeDownloadName('line\r\nbreak\u0000 and  spaces', 'x/a.jpg')).toBe('line-break-and-spaces.jpg');
    expect(safeDownloadName('...hidden', 'x/a.jpg')).toBe('hidden.jpg');
    expect(safeDownloadName('???', 'x/a.jpg')).toBeNull();
    expect(Array.from(safeDownloadName('猫'.repeat(300), 'x/a.jpg')!)).toHaveLength(104);
  });
});
