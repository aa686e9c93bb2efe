import jwt from 'jsonwebtoken';
import { KlingTokenSource, klingBaseUrl, signKlingToken } from './auth.js';

describe('Kling token', () => {
  it('is an HS256 JWT with iss = access key, exp/nbf in seconds, that verifies with the secret key', () => {
    const token = signKlingToken('AK123', 'SK456', 1_700_000_000);
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decoded.payload).toEqual({ iss: 'AK123', exp: 1_700_001_800, nbf: 1_699_999_995 });
    const verified = jwt.verify(token, 'SK456', { algorithms: ['HS256'], issuer: 'AK123', clockTimestamp: 1_700_000_000 });
    expect(verified).toMatchObject({ iss: 'AK123' });
    expect(() => jwt.verify(token, 'wrong', { algorithms: ['HS256'], clockTimestamp: 1_700_000_000 })).toThrow('invalid signature');
  });

  it('is reused until five minutes before it expires, then made afresh', () => {
    let now = 1_700_000_000_000;
    const source = new KlingTokenSource({ accessKey: 'AK', secretKey: 'SK', now: () => now });
    const first = source.token();
    now += 1000 * (1800 - 301);
    expect(source.token()).toBe(first);
    now += 1000;
    const second = source.token();
    expect(second).not.toBe(first);
    expect((jwt.decode(second) as { exp: number }).exp).toBe(Math.floor(now / 1000) + 1800);
    source.invalidate();
    now += 1000;
    expect(source.token()).not.toBe(second);
  });

  it('picks the host by region (keys do not work across regions), or a custom one', () => {
    expect(klingBaseUrl('beijing')).toBe('https://api-beijing.klingai.com');
    expect(klingBaseUrl('singapore')).toBe('https://api-singapore.klingai.com');
    expect(klingBaseUrl('custom', 'http://localhost:3000/sandbox/kling/')).toBe('http://localhost:3000/sandbox/kling');
    expect(() => klingBaseUrl('custom', 'ftp://x')).toThrow();
  });
});
