import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import COS from 'cos-nodejs-sdk-v5';
import express from 'express';
import { createSandbox, SANDBOX_CREDENTIALS } from '../src/index.js';

/**
 * Contract test: the real cos-nodejs-sdk-v5 against the sandbox's COS stand-in, pointed at it the
 * way Atelier does, with a path-style Domain (cos.md §6).
 */
const { secretId: SecretId, secretKey: SecretKey, bucket: Bucket, region: Region } = SANDBOX_CREDENTIALS.cos;

let dataDir: string;
let server: Server;
let sandbox: ReturnType<typeof createSandbox>;
let domain: string;
let cos: COS;

function client(options: Partial<COS.COSOptions> = {}): COS {
  // ConfCwd keeps the SDK's resumable-upload cache out of the home directory.
  return new COS({ SecretId, SecretKey, Domain: domain, Protocol: 'http:', ConfCwd: dataDir, ...options });
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SDK's typings demand a Delimiter that ListMultipartUploads does not need. */
const listUploads = (Prefix: string) => cos.multipartList({ Bucket, Region, Prefix } as COS.MultipartListParams);

/** Every file below a directory, to prove nothing was written outside the bucket folder. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesBelow(path) : [path];
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'atelier-cos-contract-'));
  sandbox = createSandbox({ dataDir: join(dataDir, 'sandbox') });
  const app = express();
  // A JSON parser in front must not swallow object bodies that are not JSON.
  app.use(express.json());
  app.use('/sandbox', sandbox.router);
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  domain = `127.0.0.1:${port}/sandbox/cos/{Bucket}`;
  cos = client();
});

afterEach(() => {
  sandbox.faults.clear();
});

afterAll(async () => {
  sandbox.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  // The SDK writes its upload cache into ConfCwd on a 400 ms debounce (sdk/session.js).
  await sleep(500);
  await rm(dataDir, { recursive: true, force: true });
});

describe('COS sandbox with the real cos-nodejs-sdk-v5', () => {
  it('answers headBucket for the sandbox bucket, 404 for any other', async () => {
    const result = await cos.headBucket({ Bucket, Region });
    expect(result.statusCode).toBe(200);
    expect(result.RequestId).toEqual(expect.any(String));
    await expect(cos.headBucket({ Bucket: 'someone-else-1250000000', Region })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('stores a Buffer with metadata and serves it back (headObject, getObject)', async () => {
    const body = randomBytes(4096);
    const Key = 'images/hello world (1)/画廊.png';
    const put = await cos.putObject({ Bucket, Region, Key, Body: body, ContentType: 'image/png', 'x-cos-meta-owner': 'ada' } as COS.PutObjectParams);
    expect(put.statusCode).toBe(200);
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect(put.RequestId).toEqual(expect.any(String));

    const head = await cos.headObject({ Bucket, Region, Key });
    expect(head.statusCode).toBe(200);
    expect(head.ETag).toBe(`"${md5(body)}"`);
    expect(head.headers).toMatchObject({ 'content-length': '4096', 'content-type': 'image/png', 'x-cos-meta-owner': 'ada', 'accept-ranges': 'bytes' });
    expect(Date.parse(head.headers!['last-modified'] as string)).not.toBeNaN();

    const got = await cos.getObject({ Bucket, Region, Key });
    expect(got.statusCode).toBe(200);
    expect(Buffer.compare(got.Body as Buffer, body)).toBe(0);
    expect(got.ETag).toBe(`"${md5(body)}"`);
  });

  it('streams a Readable body of unknown length to disk (chunked upload)', async () => {
    const chunks = Array.from({ length: 20 }, () => randomBytes(64 * 1024));
    const whole = Buffer.concat(chunks);
    const Key = 'streams/chunked.bin';
    const put = await cos.putObject({ Bucket, Region, Key, Body: Readable.from(chunks), ContentType: 'application/x-atelier' });
    expect(put.ETag).toBe(`"${md5(whole)}"`);

    const head = await cos.headObject({ Bucket, Region, Key });
    expect(head.headers).toMatchObject({ 'content-length': String(whole.length), 'content-type': 'application/x-atelier', etag: `"${md5(whole)}"` });
    const got = await cos.getObject({ Bucket, Region, Key });
    expect(Buffer.compare(got.Body as Buffer, whole)).toBe(0);
  });

  it('serves byte ranges (206) and response-* overrides through a presigned URL', async () => {
    const Key = 'ranges/alphabet.txt';
    await cos.putObject({ Bucket, Region, Key, Body: 'abcdefghijklmnopqrstuvwxyz', ContentType: 'text/plain' });
    const url = cos.getObjectUrl({ Bucket, Region, Key }, () => undefined);
    expect(url).toContain('q-signature=');

    const partial = await fetch(url, { headers: { Range: 'bytes=2-5' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 2-5/26');
    expect(partial.headers.get('content-length')).toBe('4');
    expect(partial.headers.get('x-cos-request-id')).toBeTruthy();
    expect(await partial.text()).toBe('cdef');

    const suffix = await fetch(url, { headers: { Range: 'bytes=-3' } });
    expect(suffix.status).toBe(206);
    expect(await suffix.text()).toBe('xyz');

    const outside = await fetch(url, { headers: { Range: 'bytes=100-' } });
    expect(outside.status).toBe(416);
    expect(await outside.text()).toContain('<Code>InvalidRange</Code>');

    const disposition = cos.getObjectUrl({ Bucket, Region, Key, Query: { 'response-content-disposition': 'attachment; filename="a.txt"' } }, () => undefined);
    const download = await fetch(disposition);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="a.txt"');

    // The sandbox bucket is public-read: objects can be read unsigned, but not written.
    const unsignedUrl = cos.getObjectUrl({ Bucket, Region, Key, Sign: false }, () => undefined);
    const unsigned = await fetch(unsignedUrl);
    expect(unsigned.status).toBe(200);
    await unsigned.arrayBuffer();
    const unsignedPut = await fetch(unsignedUrl, { method: 'PUT', body: 'x' });
    expect(unsignedPut.status).toBe(403);
    expect(unsignedPut.headers.get('content-type')).toBe('application/xml');
    expect(await unsignedPut.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('checks Content-MD5 when the SDK sends it', async () => {
    const checked = client({ UploadCheckContentMd5: true });
    const body = Buffer.from('integrity matters');
    const put = await checked.putObject({ Bucket, Region, Key: 'md5/ok.txt', Body: body });
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const wrongDigest = createHash('md5').update('something else').digest('base64');
    await expect(cos.putObject({ Bucket, Region, Key: 'md5/bad.txt', Body: body, Headers: { 'Content-MD5': wrongDigest } })).rejects.toMatchObject({ statusCode: 400, code: 'BadDigest' });
    await expect(cos.headObject({ Bucket, Region, Key: 'md5/bad.txt' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('accepts a browser-style upload with a presigned PUT URL, CORS preflight included', async () => {
    const Key = 'browser/upload.txt';
    const url = cos.getObjectUrl({ Bucket, Region, Key, Method: 'PUT' }, () => undefined);
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');

    const put = await fetch(url, { method: 'PUT', body: 'from the browser', headers: { 'Content-Type': 'text/plain', Origin: 'http://localhost:5173' } });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe(`"${md5(Buffer.from('from the browser'))}"`);
    expect(put.headers.get('access-control-expose-headers')).toContain('ETag');
    const got = await cos.getObject({ Bucket, Region, Key });
    expect(got.headers!['content-type']).toBe('text/plain');
    expect((got.Body as Buffer).toString()).toBe('from the browser');
  });

  it('refuses, rather than corrupts, a JSON body already eaten by a body parser mounted before it', async () => {
    // This test app mounts express.json() before the sandbox: mount the sandbox first in real apps.
    const error = await cos.putObject({ Bucket, Region, Key: 'json/doc.json', Body: '{"a":1}', ContentType: 'application/json' }).catch((e: COS.CosSdkError) => e);
    expect(error).toMatchObject({ statusCode: 500, code: 'InternalError', message: expect.stringContaining('body parser') });
  });

  it('deletes objects, and deleting a missing key still succeeds', async () => {
    const Key = 'trash/gone.txt';
    await cos.putObject({ Bucket, Region, Key, Body: 'bye' });
    const deleted = await cos.deleteObject({ Bucket, Region, Key });
    expect(deleted.statusCode).toBe(204);
    await expect(cos.headObject({ Bucket, Region, Key })).rejects.toMatchObject({ statusCode: 404 });
    await expect(cos.getObject({ Bucket, Region, Key })).rejects.toMatchObject({ statusCode: 404, code: 'NoSuchKey' });
    const again = await cos.deleteObject({ Bucket, Region, Key: 'trash/never-existed.txt' });
    expect(again.statusCode).toBe(204);
  });

  it('round-trips a ~3 MB file through uploadFile (multipart)', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 12_345);
    const FilePath = join(dataDir, 'upload-source.bin');
    writeFileSync(FilePath, content);
    const Key = 'uploads/big file.bin';
    const before = sandbox.context.requests.length;

    const result = await cos.uploadFile({ Bucket, Region, Key, FilePath, ContentType: 'application/octet-stream' });
    expect(result.statusCode).toBe(200);
    // 4 parts of the SDK's default 1 MB slice size: a multipart ETag ("<md5 of part md5s>-4").
    expect(result.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);

    const calls = sandbox.context.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(calls.some((c) => c.startsWith('POST') && /\?uploads=?$/.test(c))).toBe(true);
    expect(calls.filter((c) => c.startsWith('PUT') && c.includes('partNumber='))).toHaveLength(4);
    expect(calls.some((c) => c.startsWith('POST') && c.includes('uploadId='))).toBe(true);

    const head = await cos.headObject({ Bucket, Region, Key });
    expect(head.headers!['content-length']).toBe(String(content.length));
    const got = await cos.getObject({ Bucket, Region, Key });
    expect(md5(got.Body as Buffer)).toBe(md5(content));

    // No multipart upload is left behind once completed.
    const uploads = await listUploads('uploads/');
    expect(uploads.Upload).toEqual([]);
  });

  it('supports listing parts and aborting a multipart upload', async () => {
    const Key = 'uploads/aborted.bin';
    const init = await cos.multipartInit({ Bucket, Region, Key });
    expect(init.UploadId).toMatch(/^\d{10}[0-9a-f]+$/);
    const part = await cos.multipartUpload({ Bucket, Region, Key, UploadId: init.UploadId, PartNumber: 1, Body: randomBytes(1024) });
    const parts = await cos.multipartListPart({ Bucket, Region, Key, UploadId: init.UploadId });
    expect(parts.Part).toEqual([expect.objectContaining({ PartNumber: '1', ETag: part.ETag, Size: '1024' })]);
    const listed = await listUploads(Key);
    expect(listed.Upload).toEqual([expect.objectContaining({ Key, UploadId: init.UploadId })]);

    await cos.multipartAbort({ Bucket, Region, Key, UploadId: init.UploadId });
    await expect(cos.multipartListPart({ Bucket, Region, Key, UploadId: init.UploadId })).rejects.toMatchObject({ statusCode: 404, code: 'NoSuchUpload' });
  });

  it('refuses a wrong SecretKey with SignatureDoesNotMatch and a RequestId', async () => {
    const wrong = client({ SecretKey: 'definitely-not-the-sandbox-secret' });
    const error = await wrong.getObject({ Bucket, Region, Key: 'ranges/alphabet.txt' }).catch((e: COS.CosSdkError) => e);
    expect(error).toMatchObject({ statusCode: 403, code: 'SignatureDoesNotMatch' });
    expect((error as COS.CosSdkError).RequestId).toEqual(expect.any(String));
    await expect(wrong.putObject({ Bucket, Region, Key: 'x/forged.txt', Body: 'forged' })).rejects.toMatchObject({ statusCode: 403, code: 'SignatureDoesNotMatch' });
    await expect(cos.headObject({ Bucket, Region, Key: 'x/forged.txt' })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses an unknown SecretId with InvalidAccessKeyId', async () => {
    const stranger = client({ SecretId: 'AKIDnotTheSandboxKey000000000000000' });
    await expect(stranger.getObject({ Bucket, Region, Key: 'ranges/alphabet.txt' })).rejects.toMatchObject({ statusCode: 403, code: 'InvalidAccessKeyId' });
  });

  it('refuses an expired presigned URL with AccessDenied "Request has expired"', async () => {
    const Key = 'ranges/alphabet.txt';
    const url = cos.getObjectUrl({ Bucket, Region, Key, Expires: 1 }, () => undefined);
    await sleep(2100);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(expired.headers.get('x-cos-request-id')).toBeTruthy();
    const xml = await expired.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>AccessDenied<\/Code><Message>Request has expired<\/Message><Resource>[^<]+<\/Resource><RequestId>[^<]+<\/RequestId><\/Error>$/);

    // A client clock an hour behind signs a window that has already ended.
    const skewed = client({ SystemClockOffset: -3600_000, CorrectClockSkew: false });
    await expect(skewed.getObject({ Bucket, Region, Key })).rejects.toMatchObject({ statusCode: 403, code: 'AccessDenied', message: 'Request has expired' });
  });

  it('lets the SDK correct a skewed clock from the Date header, as with real COS', async () => {
    // The SDK logs "error: Local time is too skewed." while correcting.
    const consoleError = console.error;
    console.error = () => undefined;
    try {
      await cos.putObject({ Bucket, Region, Key: 'clock/skew.txt', Body: 'on time' });
      const skewed = client({ SystemClockOffset: -3600_000 });
      const got = await skewed.getObject({ Bucket, Region, Key: 'clock/skew.txt' });
      expect((got.Body as Buffer).toString()).toBe('on time');
    } finally {
      console.error = consoleError;
    }
  });

  it('refuses keys that try to leave the bucket', async () => {
    await expect(cos.putObject({ Bucket, Region, Key: 'a/../../../escape.txt', Body: 'nope' })).rejects.toMatchObject({ statusCode: 400, code: 'InvalidURI' });
    await expect(cos.getObject({ Bucket, Region, Key: '../credentials.ts' })).rejects.toMatchObject({ statusCode: 400, code: 'InvalidURI' });
    const files = filesBelow(dataDir);
    expect(files.some((file) => file.endsWith('escape.txt'))).toBe(false);
    expect(files.filter((file) => file.startsWith(join(dataDir, 'sandbox'))).every((file) => file.startsWith(join(dataDir, 'sandbox', 'cos', Bucket)))).toBe(true);
  });

  it('answers injected faults in COS format with a request id', async () => {
    sandbox.faults.set('cos', { http429: 1 });
    await expect(cos.putObject({ Bucket, Region, Key: 'faults/a.txt', Body: 'x' })).rejects.toMatchObject({ statusCode: 429, code: 'SlowDown', RequestId: expect.any(String) });
    sandbox.faults.set('cos', { http500: 1 });
    // 5xx answers are retried by the SDK (3 retries) before it gives up.
    const before = sandbox.context.requests.length;
    await expect(cos.headBucket({ Bucket, Region })).rejects.toMatchObject({ statusCode: 500 });
    expect(sandbox.context.requests.length - before).toBe(4);
  });

  it('answers a write with 200 text/plain "ok" under the plainText fault, set through the control API', async () => {
    const base = domain.replace('{Bucket}', Bucket).replace(/\/sandbox\/cos\/.*$/, '/sandbox');
    const set = await fetch(`http://${base}/_control/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'cos', plainText: 1 }),
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ provider: 'cos', plainText: 1 });
    const refused = await fetch(`http://${base}/_control/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'cos', plainText: 2 }),
    });
    expect(refused.status).toBe(400);
    // What a CDN or proxy in front of the bucket might say: 2xx, and no COS XML at all. (The real
    // SDK throws inside its own response handler on this answer: Atelier's COS driver guards it.)
    const answer = await fetch(`http://${domain.replace('{Bucket}', Bucket)}/faults/plain.txt`, { method: 'PUT', body: 'x' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await answer.text()).toBe('ok');
    expect(readdirSync(join(dataDir, 'sandbox', 'cos', Bucket), { recursive: true }).some((name) => String(name).includes('plain.txt'))).toBe(false);
  });
});
