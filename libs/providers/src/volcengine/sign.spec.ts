import { randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { parseVolcAuthorization, sha256Hex, signVolcRequest, volcCanonicalQuery, volcSignature, volcSigningKey } from './sign.js';

// The official SDK's signer (npm @volcengine/openapi), used only here as the reference.
const require = createRequire(import.meta.url);
type SdkSigner = new (
  request: { region: string; method: string; params?: Record<string, string>; pathname?: string; headers?: Record<string, string>; body?: string },
  service: string,
) => { addAuthorization(credentials: { accessKeyId: string; secretKey: string; sessionToken?: string }, date?: Date): void; request: { headers: Record<string, string> } };
const Signer = (require('@volcengine/openapi/lib/base/sign.js') as { default: SdkSigner }).default;

describe('Volcengine V4 signer', () => {
  it('reproduces the official IAM demo (docs 6369/67270): canonical request, its hash, signing key and signature', () => {
    const sk = 'WkRZeE1EQmxPVGhsWWpWak5HVmtNbUUxTXpZeU9UVXlOMlE1TmpZeVlqTQ==';
    const ak = 'AKLTYWViMTVmZGYzM2E0NDI5Mzk2MDZjNjFmMjc2MjRjMzg';
    const signed = volcSignature(
      { method: 'GET', query: { Action: 'ListUsers', Version: '2018-01-01', Limit: '10', Offset: '0' }, headers: { Host: 'iam.volcengineapi.com', 'X-Date': '20240619T071306Z' }, body: '' },
      { accessKeyId: ak, secretAccessKey: sk },
      { region: 'cn-beijing', service: 'iam' },
    );
    expect(signed.canonicalRequest).toBe(
      'GET\n/\nAction=ListUsers&Limit=10&Offset=0&Version=2018-01-01\nhost:iam.volcengineapi.com\nx-date:20240619T071306Z\n\nhost;x-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(signed.canonicalRequest)).toBe('5ed5bca3905e1fcbf789abb56a17c2d819674a3bcfa468ae476bd1ea80d135cb');
    expect(signed.credentialScope).toBe('20240619/cn-beijing/iam/request');
    expect(volcSigningKey(sk, '20240619', 'cn-beijing', 'iam').toString('hex')).toBe('abee62e533a58934c49954459a3c3237d2fccea517c9a7c8a2651d8ea7779826');
    expect(signed.signature).toBe('e31c4558bcfe08a286001f59cedbf0791ffd0b2362f10e55ee2627467bcdde93');
  });

  it('reproduces the POST / cv vector (cn-north-1, content-type signed) through signVolcRequest', () => {
    const body = '{"req_key":"jimeng_vgfm_t2v_l20","task_id":"abc"}';
    const headers = signVolcRequest(
      { method: 'POST', query: { Action: 'CVSync2AsyncGetResult', Version: '2022-08-31' }, headers: { Host: 'visual.volcengineapi.com', 'Content-Type': 'application/json' }, body },
      { accessKeyId: 'AKTEST', secretAccessKey: 'SKTEST' },
      new Date(Date.UTC(2024, 0, 15, 12, 0, 0)),
    );
    expect(headers['X-Date']).toBe('20240115T120000Z');
    expect(headers['X-Content-Sha256']).toBe('2e83d6a6ed2aef0fb0dd7125abe5bad97718ec9bd6be63d52418921ea3133955');
    expect(headers.Authorization).toBe(
      'HMAC-SHA256 Credential=AKTEST/20240115/cn-north-1/cv/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=5cbe194cc35a9fe8a0dcf34cbfc8f10d2c989caa3059aa6fe4f186977c0fef7a',
    );
    expect(parseVolcAuthorization(headers.Authorization)).toEqual({
      accessKeyId: 'AKTEST',
      shortDate: '20240115',
      region: 'cn-north-1',
      service: 'cv',
      signedHeaders: ['content-type', 'host', 'x-content-sha256', 'x-date'],
      signature: '5cbe194cc35a9fe8a0dcf34cbfc8f10d2c989caa3059aa6fe4f186977c0fef7a',
    });
  });

  it('escapes the query as RFC 3986 and sorts it', () => {
    expect(volcCanonicalQuery({ b: 'a b+c', a: "x*y!'()~", c: undefined, 'é': '猫' })).toBe('a=x%2Ay%21%27%28%29~&b=a%20b%2Bc&%C3%A9=%E7%8C%AB');
  });

  it('agrees with the official SDK signer (@volcengine/openapi) on 300 random requests', () => {
    const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)];
    const chars = 'abcXYZ019 -_.~+*!/?&=%猫😀é\'"';
    const word = (min: number, max: number) => Array.from({ length: randomInt(min, max + 1) }, () => pick([...chars])).join('');
    for (let i = 0; i < 300; i++) {
      const credentials = { accessKeyId: `AK${randomBytes(8).toString('hex')}`, secretAccessKey: randomBytes(randomInt(8, 40)).toString('base64') };
      const sessionToken = i % 5 === 0 ? randomBytes(12).toString('hex') : undefined;
      const method = pick(['GET', 'POST']);
      const query: Record<string, string> = { Action: pick(['CVSync2AsyncSubmitTask', 'CVSync2AsyncGetResult', 'CVProcess']), Version: '2022-08-31' };
      // Keys start with a letter: the SDK sorts by rebuilding an object, and JS puts integer-like keys
      // ("0") first whatever their order, an SDK quirk that our fixed Action/Version query never meets.
      for (let q = randomInt(0, 4); q > 0; q--) query[`k${word(1, 6)}`] = word(0, 10);
      const headers: Record<string, string> = { Host: pick(['visual.volcengineapi.com', '127.0.0.1:3115']), 'Content-Type': 'application/json' };
      if (i % 3 === 0) headers['X-Custom-Thing'] = `  ${word(1, 12).replace(/[^\x20-\x7e]/g, 'x')}  `;
      const body = method === 'GET' && i % 2 ? '' : JSON.stringify({ req_key: 'jimeng_t2i_v31', prompt: word(0, 40), seed: randomInt(1_000_000) });
      const region = pick(['cn-north-1', 'cn-beijing']);
      const service = pick(['cv', 'iam']);
      const date = new Date(Date.UTC(2020, 0, 1) + randomInt(10 * 365 * 86400) * 1000);

      const sdk = new Signer({ region, method, params: { ...query }, pathname: '/', headers: { ...headers }, body: body || undefined }, service);
      sdk.addAuthorization({ accessKeyId: credentials.accessKeyId, secretKey: credentials.secretAccessKey, sessionToken }, date);
      // The SDK does not sign content-type and sets X-Content-Sha256 only when there is a body.
      const ours = signVolcRequest({ method, query, headers, body }, { ...credentials, sessionToken }, date, { region, service, unsigned: ['content-type'] });
      if (!body) delete ours['X-Content-Sha256'];
      const again = volcSignature({ method, query, headers: { ...ours }, body }, { ...credentials, sessionToken }, { region, service, unsigned: ['content-type'] });
      expect([i, again.authorization]).toEqual([i, sdk.request.headers.Authorization]);
      if (body) expect(ours.Authorization).toBe(sdk.request.headers.Authorization);
    }
  });

  it('changes the signature when any signed part changes, and verifies with the signed-header list the request names', () => {
    const request = { method: 'POST', query: { Action: 'CVSync2AsyncSubmitTask', Version: '2022-08-31' }, headers: { Host: 'h', 'Content-Type': 'application/json' }, body: '{"a":1}' };
    const credentials = { accessKeyId: 'AK', secretAccessKey: 'SK' };
    const date = new Date(Date.UTC(2026, 11, 4, 8, 0, 0));
    const headers = signVolcRequest(request, credentials, date);
    const parsed = parseVolcAuthorization(headers.Authorization)!;
    const check = (changes: Partial<typeof request>, secret = 'SK', region = 'cn-north-1') =>
      volcSignature({ ...request, ...changes, headers: { ...headers, ...(changes.headers ?? {}) } }, { accessKeyId: 'AK', secretAccessKey: secret }, { region, signedHeaders: parsed.signedHeaders }).signature;
    expect(check({})).toBe(parsed.signature);
    expect(check({}, 'SK2')).not.toBe(parsed.signature);
    expect(check({}, 'SK', 'cn-beijing')).not.toBe(parsed.signature);
    expect(check({ query: { Action: 'CVSync2AsyncGetResult', Version: '2022-08-31' } })).not.toBe(parsed.signature);
    expect(check({ headers: { Host: 'other', 'Content-Type': 'application/json' } })).not.toBe(parsed.signature);
    expect(check({ headers: { 'X-Content-Sha256': sha256Hex('{"a":2}') } as never })).not.toBe(parsed.signature);
  });
});
