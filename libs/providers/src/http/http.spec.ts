import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FalClient } from '../fal/index.js';
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
        if (req.url === '/fal-ai/flux-1/dev') {
          // Accepted, but the body is cut short: only the header names the job.
          res.writeHead(200, { 'Content-Type': 'application/json', 'X-Fal-Request-Id': 'r-header' });
          return void res.end('{"request_id": "r-');
        }
        if (req.url === '/fal-ai/flux-1/requests/busy/status') return void res.writeHead(429, { 'Retry-After': '3', 'Content-Type': 'application/json' }).end('{"detail":"slow down"}');
        if (req.url === '/fal-ai/flux-1/requests/down/status') return void res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html>');
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

  it('keeps fal’s rules over real HTTP: x-fal-request-id recovery, 429/5xx/timeouts/network errors are "try later"', async () => {
    const fal = new FalClient({ apiKey: 'k', baseUrl: base, timeoutMs: 200 });
    expect(await fal.submit('fal-ai/flux-1/dev', { prompt: 'x' })).toMatchObject({ requestId: 'r-header', statusUrl: `${base}/fal-ai/flux-1/requests/r-header/status` });
    await expect(fal.status({ statusUrl: `${base}/fal-ai/flux-1/requests/busy/status` })).rejects.toMatchObject({ kind: 'retryable', details: { status: 429, retryAfterMs: 3000 } });
    await expect(fal.status({ statusUrl: `${base}/fal-ai/flux-1/requests/down/status` })).rejects.toMatchObject({ kind: 'retryable', details: { status: 503 } });
    await expect(fal.status({ statusUrl: `${base}/slow` })).rejects.toMatchObject({ kind: 'retryable', message: expect.stringMatching(/no answer within 200 ms/) });
    await expect(fal.status({ statusUrl: 'http://127.0.0.1:1/status' })).rejects.toMatchObject({ kind: 'retryable', message: expect.stringMatching(/could not be reached/) });
  });

  it('refuses oversized requests before sending them and does not follow redirects', async () => {
    await expect(axiosFetch(`${base}/queue`, { method: 'POST', headers: {}, body: 'x'.repeat(MAX_REQUEST_BYTES + 1) })).rejects.toThrow(/maxBodyLength/);
    const moved = await axiosFetch(`${base}/moved`, { method: 'POST', headers: {}, body: '{}' });
    expect(moved).toMatchObject({ status: 301, ok: false });
    expect(moved.headers.get('location')).toBe('/elsewhere');
  });
});
