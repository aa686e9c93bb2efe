import { createServer, type Server } from 'node:http';
import { FetchRefusedError, GuardedFetcher, type GuardedFetchLimits } from './guarded-fetcher.js';

const limits: GuardedFetchLimits = { maxBytes: 1000, allowedTypes: ['image/*'], timeoutMs: 2000, connectTimeoutMs: 1000 };

async function read(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function refusal(promise: Promise<unknown>): Promise<FetchRefusedError> {
  try {
    const result = await promise;
    if (result && typeof result === 'object' && 'body' in result) await read((result as { body: NodeJS.ReadableStream }).body);
  } catch (error) {
    expect(error).toBeInstanceOf(FetchRefusedError);
    return error as FetchRefusedError;
  }
  throw new Error('expected the fetch to be refused');
}

describe('GuardedFetcher', () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/sandbox/image.png') return res.writeHead(200, { 'Content-Type': 'image/png' }).end(Buffer.alloc(500, 1));
      if (path === '/sandbox/text') return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>');
      if (path === '/sandbox/big') return res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': '5000' }).end(Buffer.alloc(5000));
      if (path === '/sandbox/chunked-big') {
        res.writeHead(200, { 'Content-Type': 'image/png' });
        res.write(Buffer.alloc(800));
        return res.end(Buffer.alloc(800));
      }
      if (path === '/sandbox/missing') return res.writeHead(404).end();
      if (path === '/sandbox/hang') return undefined;
      if (path === '/sandbox/trickle') {
        // Headers at once, then a byte now and then: only the total time limit stops it.
        res.writeHead(200, { 'Content-Type': 'image/png' });
        const timer = setInterval(() => res.write(Buffer.alloc(1)), 50);
        res.on('close', () => clearInterval(timer));
        return undefined;
      }
      if (path === '/sandbox/to-private') return res.writeHead(302, { Location: `${origin}/private/image.png` }).end();
      if (path === '/sandbox/to-sandbox') return res.writeHead(301, { Location: '/sandbox/image.png' }).end();
      const loop = /^\/sandbox\/loop\/(\d+)$/.exec(path);
      if (loop) return res.writeHead(302, { Location: `/sandbox/loop/${Number(loop[1]) + 1}` }).end();
      res.writeHead(200, { 'Content-Type': 'image/png' }).end('private');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const fetcher = () => new GuardedFetcher(() => [`${origin}/sandbox/`]);

  it('refuses loopback, private and other non-public targets', async () => {
    const plain = new GuardedFetcher(() => []);
    expect((await refusal(plain.fetch(`${origin}/sandbox/image.png`, limits))).reason).toBe('address');
    expect((await refusal(plain.fetch('http://localhost:1/x.png', limits))).reason).toBe('address');
    expect((await refusal(plain.fetch('http://[::1]:1/x.png', limits))).reason).toBe('address');
    expect((await refusal(plain.fetch('http://169.254.169.254/latest/meta-data', limits))).reason).toBe('address');
    expect((await refusal(plain.fetch('http://[::ffff:127.0.0.1]:1/', limits))).reason).toBe('address');
  });

  it('checks the resolved addresses of a name, so a public-looking name pointing inside is refused', async () => {
    const rebinding = new GuardedFetcher(() => [], async () => [{ address: '10.1.2.3', family: 4 }]);
    const error = await refusal(rebinding.fetch('http://images.example.com/a.png', limits));
    expect(error.reason).toBe('address');
    expect(error.message).toContain('10.1.2.3');
    // The same check guards TLS connections.
    expect((await refusal(rebinding.fetch('https://images.example.com/a.png', limits))).reason).toBe('address');
    const mixed = new GuardedFetcher(() => [], async () => [{ address: '8.8.8.8', family: 4 }, { address: '127.0.0.1', family: 4 }]);
    expect((await refusal(mixed.fetch('http://mixed.example.com/a.png', limits))).reason).toBe('address');
  });

  it('refuses other schemes and URLs with credentials', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.png', 'gopher://x', 'not a url', `http://user:pw@example.com/a.png`]) {
      expect((await refusal(fetcher().fetch(url, limits))).reason).toBe('url');
    }
  });

  it('fetches an allow-listed URL, and only below the allowed prefix', async () => {
    const response = await fetcher().fetch(`${origin}/sandbox/image.png`, limits);
    expect(response).toMatchObject({ status: 200, contentType: 'image/png' });
    expect((await read(response.body)).length).toBe(500);
    expect((await refusal(fetcher().fetch(`${origin}/private/image.png`, limits))).reason).toBe('address');
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/../private/image.png`, limits))).reason).toBe('address');
  });

  it('never lends a connection opened for an allow-listed prefix to another path of that origin', async () => {
    const port = new URL(origin).port;
    const loopbackName = async () => [{ address: '127.0.0.1', family: 4 }];
    const named = new GuardedFetcher(() => [`http://sandbox.test:${port}/sandbox/`], loopbackName);
    const allowed = await named.fetch(`http://sandbox.test:${port}/sandbox/image.png`, limits);
    expect((await read(allowed.body)).length).toBe(500);
    // The kept-alive connection to 127.0.0.1 is idle now; the next URL is not allow-listed, so it
    // must get a connection of its own, whose lookup refuses the loopback address.
    expect((await refusal(named.fetch(`http://sandbox.test:${port}/private/image.png`, limits))).reason).toBe('address');
    await named.close();
  });

  it('checks every redirect again, and stops after 5', async () => {
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/to-private`, limits))).reason).toBe('address');
    const followed = await fetcher().fetch(`${origin}/sandbox/to-sandbox`, limits);
    expect(followed.url).toBe(`${origin}/sandbox/image.png`);
    await read(followed.body);
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/loop/0`, limits))).reason).toBe('redirects');
  });

  it('enforces the content type, the size (declared or streamed), the status and the time limit', async () => {
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/text`, limits))).reason).toBe('type');
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/big`, limits))).reason).toBe('size');
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/chunked-big`, limits))).reason).toBe('size');
    const missing = await refusal(fetcher().fetch(`${origin}/sandbox/missing`, limits));
    expect([missing.reason, missing.status]).toEqual(['status', 404]);
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/hang`, { ...limits, timeoutMs: 300 }))).reason).toBe('timeout');
    expect((await refusal(fetcher().fetch(`${origin}/sandbox/trickle`, { ...limits, timeoutMs: 400 }))).reason).toBe('timeout');
  });
});
