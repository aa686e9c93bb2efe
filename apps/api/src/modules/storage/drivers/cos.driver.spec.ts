import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { COS_PART_SIZE, CosStorageDriver } from './cos.driver.js';
import { StorageError } from './storage-driver.js';

/**
 * The driver against servers that are not COS, answering 2xx with something else (a CDN page, a
 * proxy's "ok"): every call must end in a StorageError, never in an exception the SDK throws from
 * its own listeners (which took the whole process down) or a call that never settles.
 */
type Answer = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let answer: Answer;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function driver(): CosStorageDriver {
  const { port } = server.address() as AddressInfo;
  return new CosStorageDriver({
    secretId: 'AKIDtest',
    secretKey: 'test-secret',
    region: 'ap-guangzhou',
    bucket: 'media-1250000000',
    domain: `127.0.0.1:${port}/{Bucket}`,
    protocol: 'http:',
    timeoutMs: 5_000,
  });
}

const plainOk: Answer = (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(req.method === 'HEAD' ? undefined : 'ok');
};

describe('COS driver against an endpoint that is not COS', () => {
  it('refuses a 2xx whose body is not XML, for a simple write, a multipart write and the connection test', async () => {
    answer = plainOk;
    const cos = driver();
    const notCos = /^COS answered 200 \(text\/plain\) with "ok", which is not a COS answer/;
    await expect(cos.put('a/small.png', Buffer.from('small'), { contentType: 'image/png' })).rejects.toMatchObject({ name: 'StorageError', message: expect.stringMatching(notCos) });
    await expect(cos.put('a/large.bin', Buffer.alloc(COS_PART_SIZE + 10), { contentType: 'application/octet-stream' })).rejects.toBeInstanceOf(StorageError);
    await expect(cos.test()).rejects.toMatchObject({ message: expect.stringMatching(notCos) });
  });

  it('refuses a 2xx page (HTML, read as XML) that confirms no write with an ETag', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Welcome to our CDN</body></html>');
    };
    await expect(driver().put('a/page.png', Buffer.from('x'), { contentType: 'image/png' })).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringMatching(/without an ETag, so the write is not confirmed/),
    });
  });

  it('refuses a multipart upload whose completion is answered by something else', async () => {
    answer = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'POST' && url.searchParams.has('uploads')) {
        res.writeHead(200, { 'Content-Type': 'application/xml' });
        res.end('<InitiateMultipartUploadResult><Bucket>media-1250000000</Bucket><Key>a/large.bin</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>');
      } else if (req.method === 'PUT') {
        res.writeHead(200, { ETag: '"part"', 'Content-Length': '0' });
        res.end();
      } else plainOk(req, res);
    };
    await expect(driver().put('a/large.bin', Buffer.alloc(COS_PART_SIZE + 10), { contentType: 'application/octet-stream' })).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringMatching(/not a COS answer|without an ETag/),
    });
  });
});
