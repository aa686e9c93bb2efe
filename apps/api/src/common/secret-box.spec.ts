import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox('an-app-secret-that-is-long-enough-123456');

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.encrypt('短信宝 password ✓');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('password');
    expect(box.decrypt(sealed)).toBe('短信宝 password ✓');
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'));
  });

  it('refuses tampered values and other keys', () => {
    const sealed = box.encrypt('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.decrypt(parts.join('.'))).toThrow();
    expect(() => new SecretBox('another-app-secret-that-is-long-enough-1').decrypt(sealed)).toThrow();
    expect(() => box.decrypt('plain')).toThrow();
  });
});
