import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { interpretVolcAnswer, VolcError, VolcVisualClient, type VolcClientOptions } from './client.js';
import { parseVolcAuthorization, sha256Hex, volcSignature } from './sign.js';

interface Seen {
  url: string;
  headers: Record<string, string>;
  text: string;
}

/** A client whose axios instance answers from a script instead of the network. */
function clientAnswering(answers: Array<{ status: number; body?: unknown } | Error>, options: Partial<VolcClientOptions> = {}) {
  const seen: Seen[] = [];
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    seen.push({ url: String(config.url), headers: config.headers.toJSON() as Record<string, string>, text: String(config.data) });
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected call');
    if (answer instanceof Error) throw answer;
    const data = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return { data, status: answer.status, statusText: '', headers: {}, config, request: {} };
  };
  const client = new VolcVisualClient({ accessKeyId: 'AK', secretAccessKey: 'SK', http: axios.create({ adapter }), now: () => new Date(Date.UTC(2026, 11, 4, 8, 0, 0)), ...options });
  return { client, seen };
}

const ok = (data: unknown) => ({ status: 200, body: { code: 10000, message: 'Success', status: 10000, request_id: 'r-1', time_elapsed: '104.85ms', data } });
const business = (status: number, code: number, message: string) => ({ status, body: { code, message, data: null, status: code, request_id: 'r-2', time_elapsed: '5ms' } });
const gateway = (status: number, code: string, codeN: number) => ({
  status,
  body: { ResponseMetadata: { RequestId: 'g-1', Action: 'CVSync2AsyncSubmitTask', Version: '2022-08-31', Service: 'cv', Region: 'cn-north-1', Error: { CodeN: codeN, Code: code, Message: 'no' } } },
});

describe('VolcVisualClient', () => {
  it('submits a signed POST whose signature covers the exact bytes sent', async () => {
    const { client, seen } = clientAnswering([ok({ task_id: '7392616336519610409' })]);
    const submitted = await client.submit('jimeng-video-3.0-720p-t2v', { prompt: '一只猫', frames: 241, aspect_ratio: '9:16', seed: -1 });
    expect(submitted).toEqual({ taskId: '7392616336519610409', reqKey: 'jimeng_t2v_v30', requestId: 'r-1' });
    const [request] = seen;
    expect(request.url).toBe('https://visual.volcengineapi.com/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31');
    expect(JSON.parse(request.text)).toEqual({ prompt: '一只猫', frames: 241, aspect_ratio: '9:16', seed: -1, req_key: 'jimeng_t2v_v30' });
    expect(request.headers['X-Date']).toBe('20261204T080000Z');
    expect(request.headers['X-Content-Sha256']).toBe(sha256Hex(request.text));
    const auth = parseVolcAuthorization(request.headers.Authorization)!;
    expect(auth).toMatchObject({ accessKeyId: 'AK', shortDate: '20261204', region: 'cn-north-1', service: 'cv', signedHeaders: ['content-type', 'host', 'x-content-sha256', 'x-date'] });
    // The server's recomputation over what arrived.
    const recomputed = volcSignature(
      { method: 'POST', query: { Action: 'CVSync2AsyncSubmitTask', Version: '2022-08-31' }, headers: { ...request.headers, Host: 'visual.volcengineapi.com' }, body: request.text },
      { accessKeyId: 'AK', secretAccessKey: 'SK' },
      { signedHeaders: auth.signedHeaders },
    );
    expect(recomputed.signature).toBe(auth.signature);
  });

  it('refuses bad input before sending, naming the field', async () => {
    const { client, seen } = clientAnswering([]);
    await expect(client.submit('jimeng-video-3.0-720p-t2v', { prompt: 'x', frames: 150 })).rejects.toMatchObject({ kind: 'validation', details: { field: 'frames', allowed: [121, 241] } });
    await expect(client.submit('jimeng-image-i2i-3.0', { prompt: 'x', binary_data_base64: ['data:image/png;base64,AAAA'] })).rejects.toMatchObject({ details: { field: 'binary_data_base64[0]' } });
    expect(seen).toHaveLength(0);
  });

  it('uses the override map for req_keys, on submit and to find the model again', async () => {
    const { client, seen } = clientAnswering([ok({ task_id: 't' })], { reqKeys: { 'jimeng-video-3.0-1080p-first-tail': 'jimeng_i2v_first_tail_v30_1080p' } });
    expect(await client.submit('jimeng-video-3.0-1080p-first-tail', { binary_data_base64: ['AAAA', 'BBBB'] })).toMatchObject({ reqKey: 'jimeng_i2v_first_tail_v30_1080p' });
    expect(JSON.parse(seen[0].text).req_key).toBe('jimeng_i2v_first_tail_v30_1080p');
    expect(client.modelOf('jimeng_i2v_first_tail_v30_1080p')).toBe('jimeng-video-3.0-1080p-first-tail');
  });

  it('reads in_queue, generating and done (video URL; image URLs or base64), asking images with return_url', async () => {
    const { client, seen } = clientAnswering([
      ok({ status: 'in_queue' }),
      ok({ status: 'generating', video_url: '' }),
      ok({ status: 'done', video_url: 'https://v/1.mp4', aigc_meta_tagged: true }),
      ok({ status: 'done', image_urls: ['https://i/1.jpeg'], binary_data_base64: null }),
      ok({ status: 'done', image_urls: null, binary_data_base64: ['/9j/4AAQ'] }),
    ]);
    expect(await client.result('jimeng_t2v_v30', 't1')).toMatchObject({ status: 'in_queue', phase: 'queued', terminal: false });
    expect(await client.result('jimeng_t2v_v30', 't1')).toMatchObject({ status: 'generating', phase: 'running', terminal: false, videoUrl: null });
    expect(await client.result('jimeng_t2v_v30', 't1', { reqJson: { aigc_meta: { producer_id: 'p' } } })).toMatchObject({ phase: 'succeeded', terminal: true, videoUrl: 'https://v/1.mp4' });
    expect(await client.result('jimeng_t2i_v31', 't2')).toMatchObject({ terminal: true, imageUrls: ['https://i/1.jpeg'], imagesBase64: [] });
    expect(await client.result('jimeng_t2i_v31', 't3', { returnUrl: false })).toMatchObject({ imageUrls: [], imagesBase64: ['/9j/4AAQ'] });
    expect(seen[0].url).toBe('https://visual.volcengineapi.com/?Action=CVSync2AsyncGetResult&Version=2022-08-31');
    expect(JSON.parse(seen[0].text)).toEqual({ req_key: 'jimeng_t2v_v30', task_id: 't1' });
    expect(JSON.parse(JSON.parse(seen[2].text).req_json)).toEqual({ aigc_meta: { producer_id: 'p' } });
    expect(JSON.parse(JSON.parse(seen[3].text).req_json)).toEqual({ return_url: true });
    expect(JSON.parse(JSON.parse(seen[4].text).req_json)).toEqual({ return_url: false });
  });

  it('ends not_found and expired tasks as gone; a done failure is its code, not a success', async () => {
    const { client } = clientAnswering([ok({ status: 'not_found' }), ok({ status: 'expired' }), business(400, 50511, 'Post Img Risk Not Pass')]);
    await expect(client.result('jimeng_t2i_v31', 'x')).rejects.toMatchObject({ kind: 'gone' });
    await expect(client.result('jimeng_t2i_v31', 'x')).rejects.toMatchObject({ kind: 'gone', message: expect.stringMatching(/expired/) });
    const error: VolcError = await client.result('jimeng_t2i_v31', 'x').catch((e) => e);
    expect([error.kind, error.contentFlagged, error.retryLimit]).toEqual(['policy', true, 1]);
  });

  it('maps the error table', async () => {
    const cases: Array<[ReturnType<typeof business>, string, boolean, number, boolean]> = [
      [business(400, 50411, 'Pre Img Risk Not Pass'), 'policy', true, 0, false],
      [business(400, 50412, 'Text Risk Not Pass'), 'policy', true, 0, false],
      [business(400, 50413, 'Post Text Risk Not Pass'), 'policy', true, 0, false],
      [business(400, 50518, 'Pre Img Risk Not Pass: Copyright'), 'policy', true, 0, false],
      [business(400, 50511, 'Post Img Risk Not Pass'), 'policy', true, 1, false],
      [business(400, 50516, 'Post Video Risk Not Pass'), 'policy', true, 1, false],
      [business(400, 50517, 'Post Audio Risk Not Pass'), 'policy', true, 1, false],
      [business(400, 50519, 'Post Img Risk Not Pass: Copyright'), 'policy', true, 1, false],
      [business(429, 50429, 'Request Has Reached API Limit'), 'busy', false, Infinity, false],
      [business(429, 50430, 'Request Has Reached API Concurrent Limit'), 'busy', false, Infinity, true],
      [business(500, 50500, 'Internal Error'), 'retryable', false, Infinity, false],
      [business(500, 50501, 'Internal RPC Error'), 'retryable', false, Infinity, false],
      [business(401, 50400, 'Access Denied: Internal Error'), 'auth', false, 0, false],
      [business(400, 50215, 'Input invalid for this service.'), 'validation', false, 0, false],
      [business(400, 50520, 'Risk Internal Error'), 'unexpected', false, 0, false],
    ];
    for (const [answer, kind, flagged, retries, concurrency] of cases) {
      const { client } = clientAnswering([answer]);
      const error: VolcError = await client.submit('jimeng-image-t2i-3.1', { prompt: 'x' }).catch((e) => e);
      expect([answer.body.code, error.kind, error.contentFlagged, error.retryLimit, error.concurrencyLimited, error.details.requestId]).toEqual([answer.body.code, kind, flagged, retries, concurrency, 'r-2']);
    }
  });

  it('reads the gateway’s ResponseMetadata.Error shape: signature and key refusals are auth errors', async () => {
    for (const [status, code, codeN, kind] of [
      [401, 'SignatureDoesNotMatch', 100010, 'auth'],
      [401, 'InvalidAccessKey', 100009, 'auth'],
      [400, 'InvalidTimestamp', 100006, 'auth'],
      [404, 'InvalidActionOrVersion', 100008, 'validation'],
      [503, 'ServiceUnavailable', 100023, 'retryable'],
    ] as const) {
      const { client } = clientAnswering([gateway(status, code, codeN)]);
      await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind, details: { status, gatewayCode: code, code: codeN, requestId: 'g-1' } });
    }
  });

  it('treats unreadable answers, 5xx pages and network errors as "try later", other pages as unexpected', async () => {
    const { client } = clientAnswering([{ status: 200, body: '<html>' }, { status: 502, body: 'Bad Gateway' }, new Error('socket hang up'), { status: 404, body: 'nope' }, ok({})]);
    await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'retryable', details: { status: 200 } });
    await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'retryable', details: { status: 502 } });
    await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'retryable', message: expect.stringMatching(/socket hang up/) });
    await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'unexpected' });
    await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'unexpected', message: expect.stringMatching(/no task_id/) });
  });

  it('never reads data unless code is 10000', () => {
    expect(() => interpretVolcAnswer({ status: 200, text: JSON.stringify({ code: 50412, message: 'Text Risk Not Pass', data: { task_id: 'x' } }) })).toThrow(VolcError);
  });
  it('follows no redirect: a 3xx is reported, and the request is not sent on to where it points', async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url?.startsWith('/elsewhere')) return void res.end(JSON.stringify({ code: 10000, data: { task_id: 'stolen' } }));
      res.writeHead(307, { Location: '/elsewhere' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new VolcVisualClient({ accessKeyId: 'AK', secretAccessKey: 'SK', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      await expect(client.submit('jimeng-image-t2i-3.1', { prompt: 'x' })).rejects.toMatchObject({ kind: 'unexpected', details: { status: 307 } });
      expect(hits).toEqual(['/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
