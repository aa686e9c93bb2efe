import { createHash, randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import tls from 'node:tls';
import { readFully } from './byte-source.js';
import { get, Http1Error, MAX_HEADER_BYTES, type Http1Options } from './http1.js';

// A self-signed certificate for localhost and 127.0.0.1 (valid until 2126), for the TLS test only.
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAxw/zcvhdZ2f4Z2u
+0jlSQAJAJvmLk16XVNZr6cTlJqhRANCAATUOPI9Syr2WnEu0QlZ2zU1EltCt1lz
eRj6IkBDpWI3+FDJeenzYDXZJmQi3x+XhMtfme1AZoP/kIX1nDMGTcjq
-----END PRIVATE KEY-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUBefsEkxX7AVWmqSP1h0DkMHo0FowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMTExMTI1NFoYDzIxMjYxMDI4
MTExMjU0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATUOPI9Syr2WnEu0QlZ2zU1EltCt1lzeRj6IkBDpWI3+FDJeenzYDXZ
JmQi3x+XhMtfme1AZoP/kIX1nDMGTcjqo28wbTAdBgNVHQ4EFgQU6w9shxaZqadj
EIdM4tRWL5LC67EwHwYDVR0jBBgwFoAU6w9shxaZqadjEIdM4tRWL5LC67EwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgdrD2C+i7GedQ7AhYkAcrkgXJOvHKt3Rq+RfBEuFlDnMCIGDI
GVtLi2gWA7iU7qbpqVQopaddDCNIEaOQQ2w5WI+r
-----END CERTIFICATE-----`;

const lookup: LookupFunction = (hostname, options, callback) => dnsLookup(hostname, options, callback);
const options: Http1Options = { lookup, headers: { Accept: '*/*' }, connectTimeoutMs: 2000, connectTimeoutError: () => new Error('connect timeout') };

/** A server that answers every connection with `script`: pieces written one by one, then maybe closed. */
type Script = (socket: net.Socket, request: string) => Promise<void> | void;

describe('http1', () => {
  let server: net.Server;
  let port: number;
  let script: Script;
  let lastRequest = '';

  beforeAll(async () => {
    server = net.createServer((socket) => {
      let request = '';
      socket.on('data', (data) => {
        request += data.toString('latin1');
        if (request.includes('\r\n\r\n')) {
          socket.removeAllListeners('data');
          lastRequest = request;
          void Promise.resolve(script(socket, request)).catch(() => socket.destroy());
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const url = (path = '/file.bin?x=1') => new URL(`http://127.0.0.1:${port}${path}`);
  const pieces = (...parts: Array<string | Buffer>) => async (socket: net.Socket) => {
    for (const part of parts) {
      socket.write(part);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    socket.end();
  };
  /** Reads a whole body with reads of `size` bytes. */
  const readAll = async (body: { read(target: Uint8Array): Promise<number> }, size = 64 * 1024): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for (;;) {
      const buffer = Buffer.alloc(size);
      const length = await body.read(buffer);
      if (length === 0) return Buffer.concat(parts);
      parts.push(buffer.subarray(0, length));
    }
  };

  it('sends one GET per connection and reads a Content-Length body of any size, whatever the read sizes', async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    script = (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: ${payload.length}\r\nX-Twice: a\r\nx-twice: b\r\n\r\n`);
      // Bytes past the declared length are not part of the body.
      socket.end(Buffer.concat([payload, Buffer.from('garbage')]));
    };
    for (const size of [1000, 64 * 1024, 1024 * 1024]) {
      const { response } = get(url(), options);
      const { status, headers, body } = await response;
      expect(status).toBe(200);
      expect(headers).toMatchObject({ 'content-type': 'video/mp4', 'content-length': String(payload.length), 'x-twice': 'a, b' });
      const received = await readAll(body, size);
      expect(createHash('sha256').update(received).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
      expect(await body.read(Buffer.alloc(10))).toBe(0);
    }
    expect(lastRequest).toBe(`GET /file.bin?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
  });

  it('decodes chunked bodies, with extensions and trailers, split anywhere', async () => {
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\n0000A\r\n0123456789\r\n0\r\nTrailer: yes\r\n\r\n';
    // Every byte on its own, then all at once.
    script = pieces(...chunked.split(''));
    const slow = await get(url(), options).response;
    expect((await readAll(slow.body, 3)).toString()).toBe('hello 0123456789');
    script = pieces(chunked);
    const fast = await get(url(), options).response;
    expect((await readAll(fast.body)).toString()).toBe('hello 0123456789');
  });

  it('reads to the end of the connection when nothing delimits the body, and skips 1xx answers', async () => {
    script = pieces('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n', 'HTTP/1.0 200 OK\r\n', 'Content-Type: image/png\r\n\r\nabc', 'def');
    const { status, headers, body } = await get(url(), options).response;
    expect([status, headers['content-type'], headers.link]).toEqual([200, 'image/png', undefined]);
    expect((await readAll(body)).toString()).toBe('abcdef');
  });

  it('gives an empty body for 204 and for Content-Length: 0', async () => {
    script = pieces('HTTP/1.1 204 No Content\r\n\r\n');
    expect((await readAll((await get(url(), options).response).body)).length).toBe(0);
    script = pieces('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    expect((await readAll((await get(url(), options).response).body)).length).toBe(0);
  });

  it('fails a body cut short, malformed answers and ambiguous framing', async () => {
    script = pieces('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345');
    const short = await get(url(), options).response;
    await expect(readAll(short.body)).rejects.toThrow('closed before the whole body');
    script = pieces('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await expect(readAll((await get(url(), options).response).body)).rejects.toThrow('closed before the whole body');
    script = pieces('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
    await expect(readAll((await get(url(), options).response).body)).rejects.toThrow('malformed chunk size');
    script = pieces('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n');
    await expect(readAll((await get(url(), options).response).body)).rejects.toThrow('longer than its size');

    const headFailures: Array<[string, string]> = [
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello', 'both Transfer-Encoding and Content-Length'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello', 'invalid Content-Length'],
      ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'invalid Content-Length'],
      ['HTTP/1.1 200 OK\r\nBad Header\r\n\r\n', 'malformed header'],
      ['HTTP/1.1 200 OK\r\nFolded: a\r\n b\r\n\r\n', 'malformed header'],
      ['SSH-2.0-OpenSSH\r\n\r\n', 'did not answer in HTTP/1.x'],
      [`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`, 'head is larger than'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n', 'without an answer'],
      ['', 'without an answer'],
    ];
    for (const [answer, message] of headFailures) {
      script = pieces(answer);
      await expect(get(url(), options).response).rejects.toThrow(message);
    }
    // The same length twice is fine.
    script = pieces('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello');
    expect((await readAll((await get(url(), options).response).body)).toString()).toBe('hello');
  });

  it('stops on destroy, before or during the body, closing the connection', async () => {
    let closed!: Promise<void>;
    script = (socket) => {
      closed = new Promise((resolve) => socket.once('close', () => resolve()));
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n');
      socket.write(Buffer.alloc(100_000));
    };
    const { body } = await get(url(), options).response;
    expect(await body.read(Buffer.alloc(10))).toBe(10);
    const settled = new Promise<void>((resolve) => body.onSettled(resolve));
    body.destroy(new Error('enough'));
    await expect(body.read(Buffer.alloc(10))).rejects.toThrow('enough');
    await settled;
    await closed;

    script = () => undefined; // never answers
    const exchange = get(url(), options);
    setTimeout(() => exchange.body.destroy(new Error('too slow')), 50);
    await expect(exchange.response).rejects.toThrow('too slow');
  });

  it('fails when the connection cannot be made in time', async () => {
    // A listening socket whose backlog is full does not complete new handshakes on most systems;
    // simpler and certain: a lookup that never answers.
    const stuck: LookupFunction = () => undefined;
    await expect(get(new URL('http://stuck.example/'), { ...options, lookup: stuck, connectTimeoutMs: 50 }).response).rejects.toThrow('connect timeout');
    await expect(get(new URL('http://127.0.0.1:1/'), options).response).rejects.toThrow(/ECONNREFUSED/);
  });

  it('speaks TLS, checking the certificate against the host name', async () => {
    const secure = tls.createServer({ key: KEY, cert: CERT }, (socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
    });
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    const securePort = (secure.address() as net.AddressInfo).port;
    try {
      const { body } = await get(new URL(`https://localhost:${securePort}/`), { ...options, ca: CERT }).response;
      const buffer = Buffer.alloc(16);
      expect(buffer.subarray(0, await readFully(body, buffer)).toString()).toBe('hello');
      // Not trusted without the CA.
      await expect(get(new URL(`https://localhost:${securePort}/`), options).response).rejects.toThrow(/self.signed|certificate/i);
      expect(Http1Error).toBeDefined();
    } finally {
      await new Promise((resolve) => secure.close(resolve));
    }
  });
});
