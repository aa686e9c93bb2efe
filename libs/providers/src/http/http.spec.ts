import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { axiosFetch, MAX_REQUEST_BYTES } from './index.js';

describe('axiosFetch (the shared provider HTTP client)', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<unknown>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      sockets.add(req.socket);
      const chunks: Buffer[] = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/moved') return void res.writeHead(301, { Location: '/elsewhere' }).end();
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
        if (req.url === '/huge') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const block = Buffer.alloc(1024 * 1024, 0x20);
          for (let i = 0; i < 9; i++) res.write(block);
          return void res.end();
        }
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'Content-Type': 'application/json', 'X-Fal-Retryable': 'false', 'Set-Cookie': ['a=1', 'b=2'] });
        res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), key: req.headers.authorization, length: req.headers['content-length'] ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a JSON body with its headers and reads the answer, reusing the connection', async () => {
    const before = sockets.size;
    for (let i = 0; i < 3; i++) {
      const response = await axiosFetch(`${base}/queue`, { method: 'POST', headers: { Authorization: 'Key k', 'Content-Type': 'application/json' }, body: '{"prompt":"猫"}' });
      expect(response).toMatchObject({ status: 200, ok: true });
      expect(JSON.parse(await response.text())).toEqual({ method: 'POST', body: '{"prompt":"猫"}', key: 'Key k', length: String(Buffer.byteLength('{"prompt":"猫"}')) });
      expect(response.headers.get('X-FAL-RETRYABLE')).toBe('false');
      expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
      expect(response.headers.get('retry-after')).toBeNull();
    }
    expect(sockets.size - before).toBe(1);
  });

  it('answers error statuses as answers, not failures', async () => {
    const response = await axiosFetch(`${base}/missing`, { method: 'GET', headers: {} });
    expect(response).toMatchObject({ status: 404, ok: false });
  });

  it('fails with the signal’s reason when it times out, and refuses oversized answers', async () => {
    await expect(axiosFetch(`${base}/slow`, { method: 'GET', headers: {}, signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(axiosFetch(`${base}/huge`, { method: 'GET', headers: {} })).rejects.toThrow(/larger than/);
    await expect(axiosFetch('ftp://example.com/', { method: 'GET', headers: {} })).rejects.toThrow(/Unsupported protocol/);
  });

  it('refuses oversized requests before sending them and does not follow redirects', async () => {
    await expect(axiosFetch(`${base}/queue`, { method: 'POST', headers: {}, body: 'x'.repeat(MAX_REQUEST_BYTES + 1) })).rejects.toThrow(/maxBodyLength/);
    const moved = await axiosFetch(`${base}/moved`, { method: 'POST', headers: {}, body: '{}' });
    expect(moved).toMatchObject({ status: 301, ok: false });
    expect(moved.headers.get('location')).toBe('/elsewhere');
  });
});
