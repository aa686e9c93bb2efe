import { buildAuthorization, computeSignature, cosEncode, parseAuthorization, verifyRequest, type VerifiableRequest } from './signature.js';

// The official worked examples (cos.md §4.1). Their key is `/exampleobject(腾讯云)`: the English doc
// prints "(tencentcloud)", but only the Chinese characters reproduce the published values.
const SECRET_ID = 'AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q';
const SECRET_KEY = 'BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz';
const HOST = 'examplebucket-1250000000.cos.ap-beijing.myqcloud.com';

describe('COS q-sign signature: official examples', () => {
  it('reproduces the PUT Object example', () => {
    const parts = computeSignature({
      method: 'PUT',
      pathname: '/exampleobject(腾讯云)',
      headers: {
        'Content-Length': 13,
        'Content-MD5': 'mQ/fVh815F3k6TAUm8m0eg==',
        'Content-Type': 'text/plain',
        Date: 'Thu, 16 May 2019 06:45:51 GMT',
        Host: HOST,
        'x-cos-acl': 'private',
        'x-cos-grant-read': 'uin="100000000011"',
      },
      keyTime: '1557989151;1557996351',
      secretKey: SECRET_KEY,
    });
    expect(parts.signKey).toBe('eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f');
    expect(parts.httpStringSha1).toBe('8b2751e77f43a0995d6e9eb9477f4b685cca4172');
    expect(parts.signature).toBe('3b8851a11a569213c17ba8fa7dcf2abec6935172');
    expect(parts.headerList).toBe('content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read');
    expect(parts.urlParamList).toBe('');
    expect(parts.httpString).toBe(
      'put\n/exampleobject(腾讯云)\n\ncontent-length=13&content-md5=mQ%2FfVh815F3k6TAUm8m0eg%3D%3D&content-type=text%2Fplain' +
        '&date=Thu%2C%2016%20May%202019%2006%3A45%3A51%20GMT&host=' + HOST + '&x-cos-acl=private&x-cos-grant-read=uin%3D%22100000000011%22\n',
    );
  });

  it('reproduces the GET Object example with response-* parameters', () => {
    const parts = computeSignature({
      method: 'GET',
      pathname: '/exampleobject(腾讯云)',
      params: { 'response-content-type': 'application/octet-stream', 'response-cache-control': 'max-age=600' },
      headers: { Date: 'Thu, 16 May 2019 06:55:53 GMT', Host: HOST },
      keyTime: '1557989753;1557996953',
      secretKey: SECRET_KEY,
    });
    expect(parts.signKey).toBe('937914bf490e9e8c189836aad2052e4feeb35eaf');
    expect(parts.httpStringSha1).toBe('54ecfe22f59d3514fdc764b87a32d8133ea611e6');
    expect(parts.signature).toBe('01681b8c9d798a678e43b685a9f1bba0f6c0e012');
    expect(parts.urlParamList).toBe('response-cache-control;response-content-type');
    expect(parts.headerList).toBe('date;host');
  });

  it('reproduces the ranged GET example', () => {
    const parts = computeSignature({
      method: 'get',
      pathname: '/testfile',
      headers: { host: 'bucket1-1254000000.cos.ap-beijing.myqcloud.com', range: 'bytes=0-3' },
      keyTime: '1417773892;1417853898',
      secretKey: SECRET_KEY,
    });
    expect(parts.signature).toBe('4b6cbab14ce01381c29032423481ebffd514e8be');
  });

  it('builds the Authorization string the SDK sends and parses it back', () => {
    const authorization = buildAuthorization({
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      method: 'GET',
      pathname: '/testfile',
      headers: { host: 'bucket1-1254000000.cos.ap-beijing.myqcloud.com', range: 'bytes=0-3' },
      keyTime: '1417773892;1417853898',
    });
    expect(authorization).toBe(
      `q-sign-algorithm=sha1&q-ak=${SECRET_ID}&q-sign-time=1417773892;1417853898&q-key-time=1417773892;1417853898` +
        '&q-header-list=host;range&q-url-param-list=&q-signature=4b6cbab14ce01381c29032423481ebffd514e8be',
    );
    expect(parseAuthorization(authorization)).toEqual({
      algorithm: 'sha1',
      ak: SECRET_ID,
      signTime: '1417773892;1417853898',
      keyTime: '1417773892;1417853898',
      headerList: ['host', 'range'],
      urlParamList: [],
      signature: '4b6cbab14ce01381c29032423481ebffd514e8be',
    });
  });

  it('encodes like the SDK camSafeUrlEncode', () => {
    expect(cosEncode(`a b/c=d"e:f,g!'()*`)).toBe('a%20b%2Fc%3Dd%22e%3Af%2Cg%21%27%28%29%2A');
  });
});

describe('COS q-sign signature: verification', () => {
  const credentials = { secretId: SECRET_ID, secretKey: SECRET_KEY };
  const START = 1_700_000_000;
  const keyTime = `${START};${START + 900}`;
  const headers = { host: '127.0.0.1:4000', 'content-length': '5', 'x-cos-meta-owner': 'ada' };

  /** A request signed as the SDK signs it (header names as Node delivers them: lowercase). */
  function signed(overrides: Partial<VerifiableRequest> = {}, secretKey = SECRET_KEY): VerifiableRequest {
    const authorization = buildAuthorization({
      secretId: SECRET_ID,
      secretKey,
      method: 'PUT',
      pathname: '/a/b.png',
      params: { partNumber: '1', uploadId: 'abc' },
      headers,
      keyTime,
    });
    return {
      method: 'PUT',
      pathname: '/a/b.png',
      query: [
        ['partNumber', '1'],
        ['uploadId', 'abc'],
      ],
      headers: { ...headers, authorization },
      ...overrides,
    };
  }

  it('accepts a correctly signed request inside its window', () => {
    expect(verifyRequest(signed(), credentials, START + 10)).toEqual({ ok: true });
    expect(verifyRequest(signed(), credentials, START)).toEqual({ ok: true });
    expect(verifyRequest(signed(), credentials, START + 900)).toEqual({ ok: true });
  });

  it('accepts the presigned-URL form (fields as query parameters, url-param-list percent-encoded)', () => {
    const params = { 'response-content-type': 'image/png', 'response-cache-control': 'max-age=600' };
    const authorization = buildAuthorization({ secretId: SECRET_ID, secretKey: SECRET_KEY, method: 'GET', pathname: '/a/b.png', params, headers: { host: 'h:1' }, keyTime });
    // getObjectUrl's callback form percent-encodes the list (`;` → `%3b`), as base.js replaceUrlParamList does.
    const url = authorization.replace(/q-url-param-list=([^&]*)/, (_m, list: string) => `q-url-param-list=${encodeURIComponent(list).toLowerCase()}`);
    expect(url).toContain('q-url-param-list=response-cache-control%3bresponse-content-type');
    const query = [...new URLSearchParams(`${url}&response-content-type=image%2Fpng&response-cache-control=max-age%3D600`)];
    const request = { method: 'GET', pathname: '/a/b.png', query, headers: { host: 'h:1' } };
    expect(verifyRequest(request, credentials, START + 1)).toEqual({ ok: true });
    const tampered = query.map(([n, v]) => [n, n === 'response-content-type' ? 'text/html' : v] as [string, string]);
    expect(verifyRequest({ ...request, query: tampered }, credentials, START + 1)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
  });

  it('matches parameter names that need encoding, as the SDK lists them encoded', () => {
    const params = { 'x y/z': '1', 'Mixed-Case': 'v' };
    const authorization = buildAuthorization({ secretId: SECRET_ID, secretKey: SECRET_KEY, method: 'GET', pathname: '/k', params, headers: { host: 'h' }, keyTime });
    expect(parseAuthorization(authorization)?.urlParamList).toEqual(['mixed-case', 'x%20y%2fz']);
    const request = { method: 'GET', pathname: '/k', query: Object.entries(params), headers: { host: 'h', authorization } };
    expect(verifyRequest(request, credentials, START + 1)).toEqual({ ok: true });
  });

  it('refuses a missing Authorization with AccessDenied', () => {
    expect(verifyRequest({ method: 'GET', pathname: '/a', query: [], headers: { host: 'h' } }, credentials, START)).toMatchObject({ ok: false, status: 403, code: 'AccessDenied' });
  });

  it('refuses a signature made with the wrong SecretKey', () => {
    expect(verifyRequest(signed({}, 'not-the-secret-key'), credentials, START + 1)).toMatchObject({ ok: false, status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('refuses an unknown SecretId with InvalidAccessKeyId', () => {
    expect(verifyRequest(signed(), { ...credentials, secretId: 'AKIDsomeoneElse' }, START + 1)).toMatchObject({ ok: false, status: 403, code: 'InvalidAccessKeyId' });
  });

  it('refuses outside the q-sign-time window with "Request has expired"', () => {
    const expired = { ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' };
    expect(verifyRequest(signed(), credentials, START + 901)).toEqual(expired);
    expect(verifyRequest(signed(), credentials, START - 1)).toEqual(expired);
  });

  it('refuses a tampered signed header, path, method or parameter', () => {
    const request = signed();
    const fail = { ok: false, status: 403, code: 'SignatureDoesNotMatch' };
    expect(verifyRequest({ ...request, headers: { ...request.headers, 'x-cos-meta-owner': 'eve' } }, credentials, START + 1)).toMatchObject(fail);
    expect(verifyRequest({ ...request, headers: { ...request.headers, host: 'evil.example:4000' } }, credentials, START + 1)).toMatchObject(fail);
    expect(verifyRequest({ ...request, pathname: '/a/c.png' }, credentials, START + 1)).toMatchObject(fail);
    expect(verifyRequest({ ...request, method: 'DELETE' }, credentials, START + 1)).toMatchObject(fail);
    expect(verifyRequest({ ...request, query: [['partNumber', '2'], ['uploadId', 'abc']] }, credentials, START + 1)).toMatchObject(fail);
  });

  it('ignores headers and parameters that were not signed', () => {
    const request = signed();
    const extra = { ...request, headers: { ...request.headers, 'user-agent': 'x', 'content-type': 'text/plain' }, query: [...request.query, ['extra', '1'] as [string, string]] };
    expect(verifyRequest(extra, credentials, START + 1)).toEqual({ ok: true });
  });

  it('refuses when a header of q-header-list is missing from the request', () => {
    const request = signed();
    const { 'x-cos-meta-owner': _dropped, ...rest } = request.headers;
    expect(verifyRequest({ ...request, headers: rest }, credentials, START + 1)).toMatchObject({ ok: false, status: 403, code: 'SignatureDoesNotMatch', message: expect.stringContaining('x-cos-meta-owner') });
  });

  it('refuses a malformed Authorization and a non-sha1 algorithm', () => {
    const base = { method: 'GET', pathname: '/a', query: [] as Array<[string, string]> };
    expect(verifyRequest({ ...base, headers: { authorization: 'q-ak=x' } }, credentials, START)).toMatchObject({ ok: false, code: 'AccessDenied' });
    const md5 = signed().headers.authorization!.toString().replace('q-sign-algorithm=sha1', 'q-sign-algorithm=md5');
    expect(verifyRequest({ ...signed(), headers: { ...headers, authorization: md5 } }, credentials, START + 1)).toMatchObject({ ok: false, code: 'AccessDenied' });
  });
});
