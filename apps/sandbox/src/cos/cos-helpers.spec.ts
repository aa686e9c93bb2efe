import { CosError } from './errors.js';
import { evaluatePreconditions, parseRange } from './http-rules.js';
import { parseCosTarget } from './object-path.js';
import { errorXml, parseCompleteMultipartUpload, xmlDocument } from './xml.js';

describe('parseRange', () => {
  it('answers single ranges and ignores what COS ignores', () => {
    expect(parseRange(undefined, 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=2-5', 10)).toEqual({ kind: 'partial', start: 2, end: 5 });
    expect(parseRange('bytes=2-', 10)).toEqual({ kind: 'partial', start: 2, end: 9 });
    expect(parseRange('bytes=4-100', 10)).toEqual({ kind: 'partial', start: 4, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ kind: 'partial', start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-1,4-5', 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=5-2', 10)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 10)).toEqual({ kind: 'full' });
  });
});

describe('evaluatePreconditions', () => {
  const etag = '"abc"';
  const modified = new Date('2025-01-01T00:00:00Z');
  it('follows the RFC 9110 order', () => {
    expect(evaluatePreconditions({}, etag, modified)).toBe('proceed');
    expect(evaluatePreconditions({ ifNoneMatch: '"abc"' }, etag, modified)).toBe(304);
    expect(evaluatePreconditions({ ifNoneMatch: 'W/"abc"' }, etag, modified)).toBe(304);
    expect(evaluatePreconditions({ ifNoneMatch: '"other"', ifModifiedSince: 'Wed, 01 Jan 2031 00:00:00 GMT' }, etag, modified)).toBe('proceed');
    expect(evaluatePreconditions({ ifModifiedSince: modified.toUTCString() }, etag, modified)).toBe(304);
    expect(evaluatePreconditions({ ifModifiedSince: 'Tue, 31 Dec 2024 23:59:59 GMT' }, etag, modified)).toBe('proceed');
    expect(evaluatePreconditions({ ifMatch: '"other"' }, etag, modified)).toBe(412);
    expect(evaluatePreconditions({ ifMatch: '*' }, etag, modified)).toBe('proceed');
    expect(evaluatePreconditions({ ifUnmodifiedSince: 'Tue, 31 Dec 2024 00:00:00 GMT' }, etag, modified)).toBe(412);
  });
});

describe('parseCosTarget', () => {
  it('splits bucket, decoded key and query', () => {
    expect(parseCosTarget('/atelier-1250000000/')).toEqual({ bucket: 'atelier-1250000000', key: '', query: [] });
    expect(parseCosTarget('/atelier-1250000000')).toEqual({ bucket: 'atelier-1250000000', key: '', query: [] });
    expect(parseCosTarget('/b-1/a/hello%20world%20%281%29/%E7%94%BB.png?partNumber=1&uploadId=ff')).toEqual({
      bucket: 'b-1',
      key: 'a/hello world (1)/画.png',
      query: [
        ['partNumber', '1'],
        ['uploadId', 'ff'],
      ],
    });
    expect(parseCosTarget('/b-1/k?uploads').query).toEqual([['uploads', '']]);
  });

  it('refuses dot segments, also when percent-encoded, and bad encodings', () => {
    for (const url of ['/b-1/../x', '/b-1/a/../../x', '/b-1/a/%2E%2E/x', '/b-1/./x', '/b-1/a/..', '/b-1/%E0%A4%A']) {
      expect(() => parseCosTarget(url)).toThrow(CosError);
    }
    expect(parseCosTarget('/b-1/a..b/.hidden/x..').key).toBe('a..b/.hidden/x..');
  });
});

describe('COS XML', () => {
  it('builds the error body with escaping', () => {
    expect(errorXml('NoSuchKey', 'a <b> & "c"', 'h/k', 'id')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>a &lt;b&gt; &amp; &quot;c&quot;</Message><Resource>h/k</Resource><RequestId>id</RequestId></Error>',
    );
    expect(xmlDocument('R', { Part: [{ N: 1 }, { N: 2 }], Empty: [] })).toBe('<?xml version="1.0" encoding="UTF-8"?><R><Part><N>1</N></Part><Part><N>2</N></Part></R>');
  });

  it('parses CompleteMultipartUpload as the SDK sends it (quotes escaped)', () => {
    const xml = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"bb"</ETag></Part></CompleteMultipartUpload>';
    expect(parseCompleteMultipartUpload(xml)).toEqual([
      { partNumber: 1, etag: '"aa"' },
      { partNumber: 2, etag: '"bb"' },
    ]);
    expect(parseCompleteMultipartUpload('<CompleteMultipartUpload></CompleteMultipartUpload>')).toBeNull();
    expect(parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><ETag>"a"</ETag></Part></CompleteMultipartUpload>')).toBeNull();
    expect(parseCompleteMultipartUpload('not xml')).toBeNull();
  });
});
