import { appOf, classifyError, exactSeed, FalClient, FalError, parseValidationDetail } from './index.js';

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A fetch that records requests and plays back answers in order. */
function fakeFetch(answers: Answer[]) {
  const requests: Array<{ url: string; method: string; headers: Record<string, string>; body: unknown }> = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    requests.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const answer = answers.shift();
    if (!answer) throw new TypeError('fetch failed');
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status, headers: answer.headers });
  }) as unknown as typeof fetch;
  return { fetchImpl, requests };
}

const headers = (values: Record<string, string> = {}) => new Headers(values);

// The documented submit answer (fal.md §3.1).
const submitted = {
  request_id: '80e7a1b2-0000-4000-8000-000000000001',
  gateway_request_id: '80e7a1b2-0000-4000-8000-000000000001',
  response_url: 'https://queue.fal.run/fal-ai/flux-pro/requests/80e7a1b2-0000-4000-8000-000000000001',
  status_url: 'https://queue.fal.run/fal-ai/flux-pro/requests/80e7a1b2-0000-4000-8000-000000000001/status',
  cancel_url: 'https://queue.fal.run/fal-ai/flux-pro/requests/80e7a1b2-0000-4000-8000-000000000001/cancel',
  status: 'IN_QUEUE',
  queue_position: 0,
};

const handle = { requestId: submitted.request_id, statusUrl: submitted.status_url, responseUrl: submitted.response_url, cancelUrl: submitted.cancel_url };

describe('fal client', () => {
  it('submits with "Authorization: Key", the full endpoint id and an encoded webhook', async () => {
    const { fetchImpl, requests } = fakeFetch([{ status: 200, body: submitted }]);
    const client = new FalClient({ apiKey: 'id:secret', fetch: fetchImpl });
    const handle = await client.submit('fal-ai/flux-pro/kontext/max/multi', { prompt: 'a cat' }, { webhookUrl: 'https://atelier.example.com/api/v1/webhooks/flux/1?token=a&b' });
    expect(requests[0].url).toBe(
      'https://queue.fal.run/fal-ai/flux-pro/kontext/max/multi?fal_webhook=https%3A%2F%2Fatelier.example.com%2Fapi%2Fv1%2Fwebhooks%2Fflux%2F1%3Ftoken%3Da%26b',
    );
    expect(requests[0].method).toBe('POST');
    expect(requests[0].headers.Authorization).toBe('Key id:secret');
    expect(requests[0].body).toEqual({ prompt: 'a cat' });
    // Status, result and cancel use the URLs fal returned (owner/app only).
    expect(handle).toEqual({ requestId: submitted.request_id, responseUrl: submitted.response_url, statusUrl: submitted.status_url, cancelUrl: submitted.cancel_url, queuePosition: 0 });
  });

  it('builds owner/app URLs only when fal leaves them out', async () => {
    const { fetchImpl } = fakeFetch([{ status: 200, body: { request_id: 'r1' } }]);
    const handle = await new FalClient({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9/sandbox/fal/', fetch: fetchImpl }).submit('fal-ai/flux-1/dev/image-to-image', {});
    expect(handle.statusUrl).toBe('http://127.0.0.1:9/sandbox/fal/fal-ai/flux-1/requests/r1/status');
    expect(appOf('workflows/someone/flow/x')).toBe('workflows/someone/flow');
  });

  it('never sends a submission fal accepted again: an unreadable answer is read by its x-fal-request-id, or is final', async () => {
    const { fetchImpl, requests } = fakeFetch([
      { status: 200, body: '{"request_id": "80e7', headers: { 'x-fal-request-id': 'r2' } },
      { status: 200, body: '<html>oops</html>' },
      { status: 200, body: { status: 'IN_QUEUE' } },
    ]);
    const client = new FalClient({ apiKey: 'k', fetch: fetchImpl });
    const salvaged = await client.submit('fal-ai/flux-1/dev', { prompt: 'x' });
    expect(salvaged).toEqual({
      requestId: 'r2',
      responseUrl: 'https://queue.fal.run/fal-ai/flux-1/requests/r2',
      statusUrl: 'https://queue.fal.run/fal-ai/flux-1/requests/r2/status',
      cancelUrl: 'https://queue.fal.run/fal-ai/flux-1/requests/r2/cancel',
      queuePosition: null,
    });
    await expect(client.submit('fal-ai/flux-1/dev', { prompt: 'x' })).rejects.toMatchObject({ kind: 'final', message: expect.stringMatching(/not sent again/) });
    await expect(client.submit('fal-ai/flux-1/dev', { prompt: 'x' })).rejects.toMatchObject({ kind: 'final' });
    expect(requests).toHaveLength(3);
  });

  it('reads 202 status answers as answers and maps each documented state', async () => {
    const { fetchImpl, requests } = fakeFetch([
      { status: 202, body: { ...submitted, status: 'IN_QUEUE', queue_position: 3 } },
      { status: 202, body: { status: 'IN_PROGRESS', logs: [{ message: 'step 1', level: 'INFO', source: 'USER', timestamp: '2026-01-01T00:00:00Z' }] } },
      { status: 200, body: { status: 'COMPLETED', logs: [], metrics: { inference_time: 1.2 } } },
      { status: 200, body: { status: 'SOMETHING_NEW' } },
    ]);
    const client = new FalClient({ apiKey: 'k', fetch: fetchImpl });
    expect(await client.status(handle)).toEqual({ status: 'IN_QUEUE', queuePosition: 3 });
    expect(await client.status(handle, { logs: true })).toMatchObject({ status: 'IN_PROGRESS', logs: [{ message: 'step 1' }] });
    expect(requests[1].url).toBe(`${submitted.status_url}?logs=1`);
    expect(await client.status(handle)).toEqual({ status: 'COMPLETED', logs: [] });
    await expect(client.status(handle)).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('parses a result with an exact seed beyond safe integers', async () => {
    const text = '{"images":[{"url":"https://v3.fal.media/files/a.jpg","width":1024,"height":768,"content_type":"image/jpeg"}],"seed":196619188014358660,"has_nsfw_concepts":[false],"prompt":"p","timings":{"inference":1.23}}';
    const { fetchImpl } = fakeFetch([{ status: 200, body: text }]);
    const result = await new FalClient({ apiKey: 'k', fetch: fetchImpl }).result(handle);
    expect(result).toEqual({
      images: [{ url: 'https://v3.fal.media/files/a.jpg', width: 1024, height: 768, contentType: 'image/jpeg' }],
      seed: '196619188014358660',
      hasNsfwConcepts: [false],
      prompt: 'p',
    });
    expect(exactSeed('{"seed": 42}')).toBe('42');
  });

  it('classifies errors as the protocol note says', () => {
    const validation = classifyError(422, { detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }] }, headers());
    expect(validation).toMatchObject({ kind: 'validation', message: 'prompt: field required', details: { fields: [{ field: 'prompt', message: 'field required', type: 'value_error.missing' }] } });
    expect(classifyError(401, { detail: 'Invalid API key' }, headers())).toMatchObject({ kind: 'auth', message: 'Invalid API key' });
    expect(classifyError(504, { detail: 'Request timed out', error_type: 'request_timeout' }, headers({ 'X-Fal-Error-Type': 'request_timeout' }))).toMatchObject({ kind: 'retryable', details: { errorType: 'request_timeout' } });
    expect(classifyError(503, { detail: 'x' }, headers())).toMatchObject({ kind: 'retryable' });
    expect(classifyError(429, { detail: 'slow down' }, headers({ 'Retry-After': '7' }))).toMatchObject({ kind: 'retryable', details: { retryAfterMs: 7000 } });
    expect(classifyError(400, { detail: 'runner_disconnected', error_type: 'runner_disconnected' }, headers())).toMatchObject({ kind: 'retryable' });
    expect(classifyError(500, { detail: 'boom' }, headers({ 'X-Fal-Retryable': 'false' }))).toMatchObject({ kind: 'final' });
    const policy = classifyError(422, { detail: [{ loc: ['body', 'prompt'], msg: 'flagged', type: 'content_policy_violation' }] }, headers({ 'X-Fal-Retryable': 'false' }));
    expect(policy).toMatchObject({ kind: 'validation', details: { fields: [{ type: 'content_policy_violation' }] } });
    expect(classifyError(404, { detail: 'not found' }, headers())).toMatchObject({ kind: 'final' });
    expect(parseValidationDetail([{ loc: ['body', 'image_size', 'width'], msg: 'too big' }])).toEqual([{ field: 'image_size.width', message: 'too big', type: null }]);
    expect(parseValidationDetail('plain')).toEqual([]);
  });

  it('treats network failures, timeouts and unreadable answers as retryable', async () => {
    const { fetchImpl } = fakeFetch([{ status: 200, body: '{"status": "COMPL' }]);
    const client = new FalClient({ apiKey: 'k', fetch: fetchImpl });
    await expect(client.status(handle)).rejects.toMatchObject({ kind: 'retryable' });
    await expect(client.status(handle)).rejects.toBeInstanceOf(FalError);
  });

  it('cancels, and reads ALREADY_COMPLETED and NOT_FOUND', async () => {
    const { fetchImpl, requests } = fakeFetch([
      { status: 202, body: { status: 'CANCELLATION_REQUESTED' } },
      { status: 400, body: { status: 'ALREADY_COMPLETED' } },
      { status: 404, body: { status: 'NOT_FOUND' } },
    ]);
    const client = new FalClient({ apiKey: 'k', fetch: fetchImpl });
    expect(await client.cancel(handle)).toBe('CANCELLATION_REQUESTED');
    expect(requests[0]).toMatchObject({ method: 'PUT', url: submitted.cancel_url });
    expect(await client.cancel(handle)).toBe('ALREADY_COMPLETED');
    expect(await client.cancel(handle)).toBe('NOT_FOUND');
  });

  it('checks a key without spending: 404 for a made-up request is fine, 401 is not', async () => {
    const { fetchImpl } = fakeFetch([
      { status: 404, body: { detail: 'Request not found' } },
      { status: 401, body: { detail: 'Invalid API key' } },
    ]);
    const client = new FalClient({ apiKey: 'k', fetch: fetchImpl });
    await expect(client.check()).resolves.toBeUndefined();
    await expect(client.check()).rejects.toMatchObject({ kind: 'auth' });
  });
});
