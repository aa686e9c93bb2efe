import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { repoRoot } from '../src/config/app-config.js';
import { bearer, signUp, startTestApp, type TestApp } from './test-app.js';

describe('platform', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  afterAll(() => t.close());

  it('reports health with the database status and version', async () => {
    const response = await t.http.get('/api/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', database: 'up', version: expect.any(String), uptimeSeconds: expect.any(Number) });
  });

  it('serves exactly the committed OpenAPI document (run `npm run openapi` after changing routes)', async () => {
    const committed = JSON.parse(readFileSync(join(repoRoot, 'libs/api-client/openapi.json'), 'utf8'));
    const served = await t.http.get('/api/docs/openapi.json').expect(200);
    expect(served.body).toEqual(committed);
  });

  it('documents every route with a summary, its auth and its responses', async () => {
    const { body } = await t.http.get('/api/docs/openapi.json').expect(200);
    const operations = Object.entries(body.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(10);
    for (const { path, op } of operations) {
      expect([path, op.summary]).toEqual([path, expect.any(String)]);
      expect([path, op.operationId]).toEqual([path, expect.stringMatching(/^[a-z][A-Za-z]+$/)]);
      const anonymous = ['/api/health', '/api/v1/tasks/events', '/api/v1/webhooks/{provider}/{taskId}', '/api/v1/system/info', '/api/v1/auths/signup', '/api/v1/auths/signin', '/api/v1/auths/verify-sms-code', '/api/v1/auths/signup-phone', '/api/v1/auths/signin-phone', '/api/v1/auths/signin-phone-password', '/api/v1/auths/reset-password'];
      // Anyone may ask for a code, but binding a phone needs the caller's token.
      const optional = ['/api/v1/auths/send-sms-code'];
      const expected = anonymous.includes(path) ? [] : optional.includes(path) ? [{ bearer: [] }, {}] : [{ bearer: [] }];
      expect([path, op.security]).toEqual([path, expected]);
      // Every route can fail, and says so in the one error shape.
      expect([path, op.responses['500']?.content?.['application/json']?.schema]).toEqual([path, { $ref: '#/components/schemas/ErrorResponseDto' }]);
    }
    expect(body.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(body.info.license).toEqual(expect.objectContaining({ name: expect.any(String) }));
    const used = new Set(operations.flatMap(({ op }) => op.tags));
    expect(body.tags.map((tag: { name: string }) => tag.name).sort()).toEqual([...used].sort());
    // OAS 3.0 tools ignore `nullable` beside a lone $ref: nullable enums are inlined, null listed.
    expect(body.components.schemas.MediaFileDto.properties.kind).toEqual({ type: 'string', enum: ['image', 'video', null], nullable: true });
    // Rules come from the validation itself: integers with their bounds, in queries too.
    const limit = body.paths['/api/v1/history'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1 });
    expect(body.components.schemas.SaveSmsConfigDto.properties.template).toMatchObject({ pattern: '\\{code\\}', maxLength: 200 });
    expect(body.paths['/api/v1/tasks/events'].get.responses['401'].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } });
  });

  it('serves the Swagger UI', async () => {
    const response = await t.http.get('/api/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger');
  });

  describe('request values', () => {
    let admin: { token: string };
    let user: { token: string };
    beforeAll(async () => {
      admin = await signUp(t.http); // the first account is the admin
      user = await signUp(t.http);
    });

    it('are checked only after the guards: 401/403 first, then a 400 naming the field', async () => {
      const prices = { prices: [{ provider: 'flux\u0000', model: 'fal-ai/flux-1/schnell', price: 3 }] };
      await t.http.put('/api/v1/admin/prices').send(prices).expect(401);
      await t.http.put('/api/v1/admin/prices').set(bearer(user.token)).send(prices).expect(403);
      const refused = await t.http.put('/api/v1/admin/prices').set(bearer(admin.token)).send(prices).expect(400);
      expect(refused.body.details).toEqual([{ field: 'prices.0.provider', messages: [expect.stringContaining('cannot be stored')] }]);
      await t.http.get('/api/v1/history').query({ cursor: 'a\u0000' }).expect(401);
      const query = await t.http.get('/api/v1/history').query({ cursor: 'a\u0000' }).set(bearer(user.token)).expect(400);
      expect(query.body.details).toEqual([{ field: 'cursor', messages: [expect.stringContaining('cannot be stored')] }]);
    });

    it('say nothing about a body that is not JSON, or not valid JSON, before the guards: 401/403 first, then 415 or 400', async () => {
      const put = (type: string, body: string, token?: string) => {
        const call = t.http.put('/api/v1/admin/prices').set('Content-Type', type);
        return (token ? call.set(bearer(token)) : call).send(body);
      };
      for (const [type, body, status, message] of [
        ['text/plain', 'prices=1', 415, expect.stringContaining('Send the body as JSON')],
        ['application/json', '{"prices": ', 400, 'The request body is not valid JSON'],
      ] as const) {
        await put(type, body).expect(401);
        await put(type, body, user.token).expect(403);
        const refused = await put(type, body, admin.token).expect(status);
        expect(refused.body).toEqual({ statusCode: status, error: status === 415 ? 'Unsupported Media Type' : 'Bad Request', message });
      }
    });

    it('refuse null for a field the document does not declare nullable, and take it where it means something', async () => {
      const name = await t.http.patch('/api/v1/users/me').set(bearer(user.token)).send({ name: null }).expect(400);
      expect(name.body.details).toEqual([{ field: 'name', messages: ['name must not be null (leave out an optional field instead)'] }]);
      const nested = await t.http.put('/api/v1/admin/prices').set(bearer(admin.token)).send({ prices: [{ provider: null, model: 'x' }] }).expect(400);
      expect(nested.body.details).toEqual([{ field: 'prices.0.provider', messages: [expect.stringContaining('must not be null')] }]);
      const reset = await t.http
        .put('/api/v1/admin/prices')
        .set(bearer(admin.token))
        .send({ prices: [{ provider: 'flux', model: 'fal-ai/flux-1/schnell', price: null }] })
        .expect(200);
      expect(reset.body.prices).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'flux', model: 'fal-ai/flux-1/schnell', custom: false })]));
      const { body: document } = await t.http.get('/api/docs/openapi.json').expect(200);
      expect(document.components.schemas.PriceChangeDto.properties.price).toMatchObject({ type: 'integer', nullable: true });
      expect(document.components.schemas.UpdateMyUserDto).toMatchObject({ additionalProperties: false });
    });
  });

  it('answers unknown API routes with the JSON error shape', async () => {
    const response = await t.http.get('/api/v1/nothing-here').expect(404);
    expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/v1/nothing-here' });
    await t.http.delete('/api/v1/auths/signup').expect(404);
  });

  it('answers malformed JSON with 400 and oversized bodies with 413, never 500', async () => {
    const malformed = await t.http.post('/api/v1/auths/signin').set('Content-Type', 'application/json').send('{"email": ').expect(400);
    expect(malformed.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The request body is not valid JSON' });
    const big = await t.http
      .post('/api/v1/auths/signup')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(5000), email: 'a@example.com', password: 'password-123' }))
      .expect(413);
    expect(big.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'The request body is too large' });
    const array = await t.http.post('/api/v1/auths/signin').send([1, 2]).expect(400);
    expect(array.body.statusCode).toBe(400);
    const empty = await t.http.post('/api/v1/auths/signin').expect(400);
    expect(empty.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'password']);
    // A field left out is said to be required, once, rather than failing each of its rules.
    expect(empty.body.details.find((d: { field: string }) => d.field === 'email').messages).toEqual(['email is required']);
    // Bodies that are not JSON are refused as such, not read as empty ones.
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      const other = await t.http.post('/api/v1/auths/signin').set('Content-Type', type).send('email=a@example.com&password=x').expect(415);
      expect(other.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringContaining('Send the body as JSON') });
    }
    await t.http.post('/api/v1/auths/signin').set('Content-Type', 'application/json; charset=utf-8').send('{}').expect(400);
    // Nesting that would exhaust the validator's stack is refused before it gets there.
    const deep = await t.http.post('/api/v1/auths/signin').set('Content-Type', 'application/json').send(`{"email":${'['.repeat(900)}${']'.repeat(900)}}`).expect(400);
    expect(deep.body).toMatchObject({ statusCode: 400, details: [{ field: expect.stringMatching(/^email(\.0)+$/), messages: [expect.stringContaining('nested too deeply')] }] });
  });

  it('sets security headers and a request id', async () => {
    const response = await t.http.get('/api/health').set('X-Request-Id', 'trace-123').expect(200);
    expect(response.headers['x-request-id']).toBe('trace-123');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    // Stored files may come from COS or a CDN, and in sandbox mode from the sandbox COS.
    expect(response.headers['content-security-policy']).toContain("img-src 'self' data: blob: https: http://127.0.0.1:* http://localhost:*");
    expect(response.headers['x-powered-by']).toBeUndefined();
    const generated = await t.http.get('/api/health').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not send CORS headers unless origins are configured', async () => {
    const response = await t.http.get('/api/health').set('Origin', 'https://evil.example').expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the single-page app with client-side routes falling back to index.html', async () => {
    const index = await t.http.get('/').expect(200);
    expect(index.headers['content-type']).toContain('text/html');
    const deep = await t.http.get('/settings').expect(200);
    expect(deep.text).toBe(index.text);
    expect(deep.headers['cache-control']).toBe('no-cache');
  });

  describe('media files', () => {
    it('answers 404 in the one error shape for a key that does not exist, even before any file was stored', async () => {
      // A fresh install has no media folder yet: this answered 500, and logged nothing.
      for (const path of ['/media/nothing.png', '/media/generated/images/2026/01/missing.png', '/media/generated/', `/media/${'a'.repeat(300)}.png`]) {
        const response = await t.http.get(path).expect(404);
        expect(response.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'File not found' });
      }
      expect((await t.http.get('/media/nothing.png').set('Accept-Language', 'zh-CN').expect(404)).body.message).toBe('文件不存在');
    });

    it('logs every 5xx it answers at error level with the stack and the request id', async () => {
      // A file the server cannot read (a symbolic link to itself): a real 500, not the client's fault.
      mkdirSync(join(t.dataDir, 'media'), { recursive: true });
      symlinkSync('loop.png', join(t.dataDir, 'media', 'loop.png'));
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const response = await t.http.get('/media/loop.png').set('X-Request-Id', 'loop-request-1').expect(500);
        expect(response.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
        expect(response.headers['x-request-id']).toBe('loop-request-1');
        const entry = logged.mock.calls.map(([first]) => first as any).find((first) => first?.requestId === 'loop-request-1');
        expect(entry).toMatchObject({ statusCode: 500, msg: expect.stringContaining('GET /media/loop.png answered 500') });
        expect(entry.err.stack).toMatch(/\n\s+at /);
      } finally {
        logged.mockRestore();
      }
    });
  });
});

describe('platform with CORS', () => {
  it('allows only the configured origins', async () => {
    const t = await startTestApp({ env: { CORS_ORIGINS: 'https://studio.example.com' } });
    try {
      const allowed = await t.http.get('/api/health').set('Origin', 'https://studio.example.com').expect(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://studio.example.com');
      const other = await t.http.get('/api/health').set('Origin', 'https://evil.example').expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});

describe('provider sandbox mounting', () => {
  it('is mounted under /sandbox by default and announced by /system/info', async () => {
    const t = await startTestApp();
    try {
      const info = await t.http.get('/api/v1/system/info').expect(200);
      expect(info.body).toEqual({
        version: expect.any(String),
        hasAccounts: false,
        sandbox: { enabled: true, path: '/sandbox', smsOutboxPath: '/sandbox/_control/sms' },
      });
      // A fresh install says so (the first account becomes the administrator), until one signs up.
      await signUp(t.http);
      expect((await t.http.get('/api/v1/system/info').expect(200)).body.hasAccounts).toBe(true);
      const balance = await t.http.get('/sandbox/smsbao/query').query({ u: 'sandbox', p: 'x' }).expect(200);
      expect(balance.text).toBe('30');
      // The sandbox answers in the provider's format, not ours.
      const fal = await t.http.post('/sandbox/fal/fal-ai/flux-1/dev').send({ prompt: 'x' }).expect(401);
      expect(fal.body).toEqual({ detail: expect.any(String) });
      // Large provider bodies (data URIs) are not cut by the API's own body limit.
      const big = await t.http
        .post('/sandbox/fal/fal-ai/flux-1/dev')
        .set('Authorization', 'Key sandbox-fal-key')
        .send({ prompt: 'x'.repeat(2 * 1024 * 1024) })
        .expect(200);
      expect(big.body.request_id).toEqual(expect.any(String));
    } finally {
      await t.close();
    }
  });

  it('is off when SANDBOX=false, and off by default in production', async () => {
    const off = await startTestApp({ env: { SANDBOX: 'false' } });
    try {
      await off.http.get('/sandbox/smsbao/query').expect(404);
      expect((await off.http.get('/api/v1/system/info').expect(200)).body.sandbox).toEqual({ enabled: false, path: null, smsOutboxPath: null });
    } finally {
      await off.close();
    }
    const production = await startTestApp({ env: { NODE_ENV: 'production' } });
    try {
      await production.http.get('/sandbox/smsbao/query').expect(404);
    } finally {
      await production.close();
    }
    const explicit = await startTestApp({ env: { NODE_ENV: 'production', SANDBOX: 'true' } });
    try {
      await explicit.http.get('/sandbox/smsbao/query').expect(200);
    } finally {
      await explicit.close();
    }
  });
});

describe('guarded fetching and the sandbox', () => {
  it('allows the sandbox origin of this server only while sandbox mode is on', async () => {
    const { GuardedFetcher } = await import('../src/modules/storage/guarded-fetcher.js');
    const on = await startTestApp({ listen: true });
    try {
      const fetcher = on.app.get(GuardedFetcher);
      expect(fetcher.isAllowListed(new URL(`${on.baseUrl}/sandbox/fal-media/files/x/y.png`))).toBe(true);
      expect(fetcher.isAllowListed(new URL(`${on.baseUrl}/api/v1/users/me`))).toBe(false);
      expect(fetcher.isAllowListed(new URL('http://127.0.0.1:1/sandbox/x'))).toBe(false);
      // An image from the sandbox CDN can be fetched; the API on the same origin cannot.
      const submitted = await fetch(`${on.baseUrl}/sandbox/fal/fal-ai/flux-1/schnell`, {
        method: 'POST',
        headers: { Authorization: 'Key sandbox-fal-key', 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt: 'guarded' }),
      }).then((r) => r.json());
      let result: { images?: Array<{ url: string }> } = {};
      for (let i = 0; i < 200 && !result.images; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const response = await fetch(submitted.response_url, { headers: { Authorization: 'Key sandbox-fal-key' } });
        if (response.status === 200) result = await response.json();
      }
      const limits = { maxBytes: 10_000_000, allowedTypes: ['image/*'], timeoutMs: 5000, connectTimeoutMs: 2000 };
      const image = await fetcher.fetch(result.images![0].url, limits);
      expect(image.contentType).toBe('image/jpeg');
      image.body.resume();
      await expect(fetcher.fetch(`${on.baseUrl}/api/health`, { ...limits, allowedTypes: [] })).rejects.toMatchObject({ reason: 'address' });
    } finally {
      await on.close();
    }
    const off = await startTestApp({ listen: true, env: { SANDBOX: 'false' } });
    try {
      expect(off.app.get(GuardedFetcher).isAllowListed(new URL(`${off.baseUrl}/sandbox/fal-media/x`))).toBe(false);
    } finally {
      await off.close();
    }
  });
});

describe('an exception escaping from a callback while a request is in flight', () => {
  it('is answered 500 in the one error shape and logged with the request id, and the app keeps answering', async () => {
    const t = await startTestApp({
      beforeInit: (app) =>
        app.use('/api/v1/test-escape', (_req: unknown, _res: unknown) => {
          // What Node does with an exception thrown from a timer (or an emitter's listener) that
          // nothing catches; jest owns the real process's handler, so the event is raised by hand.
          setTimeout(() => process.emit('uncaughtException', new Error('thrown from a callback'), 'uncaughtException'), 1);
        }),
    });
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      // A route of this test only, not of the API: asked without the OpenAPI contract check.
      const response = await request(t.app.getHttpServer()).get('/api/v1/test-escape').set('X-Request-Id', 'escape-1').expect(500);
      expect(response.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
      const entry = logged.mock.calls.map(([first]) => first as any).find((first) => first?.requestId === 'escape-1');
      expect(entry?.err?.message).toBe('thrown from a callback');
      await t.http.get('/api/health').expect(200);
    } finally {
      logged.mockRestore();
      await t.close();
    }
  });
});
