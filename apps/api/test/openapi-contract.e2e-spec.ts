import express from 'express';
import type { Document } from 'openapi-backend';
import request from 'supertest';
import { contractCheckedAgent, contractFor } from './openapi-contract.js';

/** The contract check itself must be able to fail: a small document and a server that breaks it on purpose. */
const document = {
  openapi: '3.0.0',
  info: { title: 'contract', version: '1' },
  servers: [{ url: '/' }],
  paths: {
    '/api/v1/things/{id}': {
      get: {
        operationId: 'getThing',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingDto' } } } },
          '204': { description: 'nothing' },
          '404': { description: 'missing', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } } },
        },
      },
    },
    '/api/v1/things/{id}/stream': {
      get: {
        operationId: 'streamThing',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      ThingKind: { type: 'string', enum: ['image', 'video'] },
      ThingDto: {
        type: 'object',
        required: ['count', 'kind', 'createdAt'],
        properties: {
          count: { type: 'integer' },
          kind: { type: 'string', enum: ['image', 'video', null], nullable: true },
          createdAt: { type: 'string', format: 'date-time' },
        },
      },
      ErrorResponseDto: {
        type: 'object',
        required: ['statusCode', 'error', 'message'],
        properties: { statusCode: { type: 'number' }, error: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as unknown as Document;

const good = { count: 2, kind: null, createdAt: '2026-01-01T00:00:00.000Z' };
const answers: Record<string, { status: number; type?: string; body?: unknown }> = {
  good: { status: 200, body: good },
  image: { status: 200, body: { ...good, kind: 'image' } },
  fraction: { status: 200, body: { ...good, count: 2.5 } },
  otherKind: { status: 200, body: { ...good, kind: 'audio' } },
  badDate: { status: 200, body: { ...good, createdAt: 'yesterday' } },
  undocumented: { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'no' } },
  text: { status: 200, type: 'text/plain', body: 'hello' },
  empty: { status: 204 },
};

function server() {
  const app = express();
  app.get('/api/v1/things/:id', (req, res) => {
    const answer = answers[req.params.id];
    if (!answer) return void res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'no such thing' });
    res.status(answer.status);
    if (answer.type) res.type(answer.type).send(answer.body);
    else if (answer.body !== undefined) res.json(answer.body);
    else res.end();
  });
  app.get('/api/v1/things/:id/stream', (_req, res) => void res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'no' }));
  app.get('/api/v1/unknown', (_req, res) => void res.status(200).json({}));
  app.get('/media/x', (_req, res) => void res.status(418).send('not the API'));
  app.use((_req: express.Request, res: express.Response) => void res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'Cannot GET' }));
  return app;
}

describe('OpenAPI contract check of the test agent', () => {
  const http = contractCheckedAgent(request(server()), async () => document);

  it('passes responses that agree with the document, null included where it is nullable', async () => {
    await http.get('/api/v1/things/good').expect(200);
    await http.get('/api/v1/things/image').expect(200);
    await http.get('/api/v1/things/nothing').expect(404);
    await http.get('/api/v1/things/empty').expect(204);
  });

  it.each([
    ['fraction', /body that does not match the document.*must be integer/],
    ['otherKind', /body that does not match the document.*allowed values/],
    ['badDate', /body that does not match the document.*date-time/],
    ['undocumented', /answered 400, which the document does not list \(it lists 200, 204, 404\)/],
    ['text', /with text\/plain, but the document gives application\/json/],
  ])('fails a test whose response disagrees: %s', async (id, message) => {
    await expect(http.get(`/api/v1/things/${id}`)).rejects.toThrow(message);
  });

  it('checks the content type per status, and unknown routes get only a 404 in the error shape', async () => {
    await expect(http.get('/api/v1/things/x/stream')).rejects.toThrow(/answered 401, which the document does not list/);
    await expect(http.get('/api/v1/unknown')).rejects.toThrow(/has no operation GET \/api\/v1\/unknown, yet it answered 200/);
    await http.get('/api/v1/not-there').expect(404);
  });

  it('leaves routes that are not the API alone', async () => {
    await http.get('/media/x').expect(418);
  });

  it('reports the contract even when the test expected something else', async () => {
    await expect(http.get('/api/v1/things/undocumented').expect(200)).rejects.toThrow(/OpenAPI contract: .*\n\(and the test's own expectation failed: expected 200 "OK", got 400/);
  });

  it('refuses a document that is not valid OpenAPI', async () => {
    const broken = { ...document, paths: { '/api/v1/x': { get: { operationId: 'x' } } } } as unknown as Document;
    await expect(contractFor(broken)).rejects.toThrow(/Document is not valid OpenAPI/);
  });
});
