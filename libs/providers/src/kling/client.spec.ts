import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import jwt from 'jsonwebtoken';
import { interpretKlingAnswer, KlingClient, type KlingClientOptions, KlingError } from './client.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
}

/** A client whose axios instance answers from a script instead of the network. */
function clientAnswering(answers: Array<{ status: number; body?: unknown } | Error>, options: Partial<KlingClientOptions> = {}) {
  const seen: Seen[] = [];
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    seen.push({
      method: String(config.method).toUpperCase(),
      url: String(config.url),
      headers: config.headers.toJSON(),
      body: config.data === undefined ? undefined : JSON.parse(String(config.data)),
    });
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected call');
    if (answer instanceof Error) throw answer;
    const data = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const response = { data, status: answer.status, statusText: '', headers: {}, config, request: {} };
    return config.validateStatus!(answer.status) ? response : Promise.reject(new Error(`status ${answer.status}`));
  };
  const client = new KlingClient({ accessKey: 'AK', secretKey: 'SK', region: 'beijing', http: axios.create({ adapter }), ...options });
  return { client, seen };
}

const task = (extra: object = {}) => ({ task_id: '867215451253407744', task_status: 'submitted', task_info: { external_task_id: 'ours-1' }, created_at: 1722769557708, updated_at: 1722769557708, ...extra });
const ok = (data: unknown) => ({ status: 200, body: { code: 0, message: 'SUCCEED', request_id: 'r-1', data } });
const refusal = (status: number, code: number, message: string) => ({ status, body: { code, message, request_id: 'r-2' } });
const notFound = refusal(404, 1203, 'task not found');

describe('KlingClient', () => {
  it('submits text2video to the region host with a Bearer JWT, fields as Kling names them', async () => {
    const { client, seen } = clientAnswering([ok(task())]);
    const submitted = await client.text2video({ model_name: 'kling-v1-6', prompt: 'a cat', duration: '10', aspect_ratio: '9:16', callback_url: 'https://app/cb?t=x', external_task_id: 'ours-1' });
    expect(submitted).toMatchObject({ id: '867215451253407744', status: 'submitted', phase: 'queued', externalTaskId: 'ours-1', createdAt: 1722769557708 });
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'https://api-beijing.klingai.com/v1/videos/text2video', body: { model_name: 'kling-v1-6', prompt: 'a cat', duration: '10', aspect_ratio: '9:16', callback_url: 'https://app/cb?t=x', external_task_id: 'ours-1' } });
    const auth = String(seen[0].headers.Authorization);
    expect(auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(jwt.verify(auth.slice(7), 'SK', { algorithms: ['HS256'], issuer: 'AK' })).toMatchObject({ iss: 'AK' });
    expect(seen[0].headers['Content-Type']).toBe('application/json');
  });

  it('image2video sends raw base64 and refuses a data: URL before sending', async () => {
    const { client, seen } = clientAnswering([ok(task())]);
    await client.image2video({ image: 'iVBORw0KGgo=', image_tail: 'https://x/y.png', mode: 'pro' });
    expect(seen[0]).toMatchObject({ url: 'https://api-beijing.klingai.com/v1/videos/image2video', body: { image: 'iVBORw0KGgo=', image_tail: 'https://x/y.png', mode: 'pro' } });
    await expect(client.image2video({ image: 'data:image/png;base64,iVBORw0KGgo=' })).rejects.toMatchObject({ kind: 'validation', details: { field: 'image' } });
    await expect(client.text2video({ model_name: 'kling-v2-master', prompt: 'x', cfg_scale: 0.5 })).rejects.toMatchObject({ kind: 'validation', details: { field: 'cfg_scale', allowed: [] } });
    expect(seen).toHaveLength(1);
  });

  it('reuses its token across calls', async () => {
    const { client, seen } = clientAnswering([ok(task()), ok(task())]);
    await client.getTask('text2video', '1');
    await client.getTask('text2video', '2');
    expect(seen[0].headers.Authorization).toBe(seen[1].headers.Authorization);
  });

  it.each([
    [401, 1000, 'auth', false],
    [401, 1001, 'auth', false],
    [401, 1002, 'auth', false],
    [401, 1003, 'auth', false],
    [401, 1004, 'auth', false],
    [429, 1100, 'account', false],
    [429, 1101, 'balance', false],
    [429, 1102, 'balance', false],
    [403, 1103, 'account', false],
    [400, 1200, 'validation', false],
    [400, 1201, 'validation', false],
    [404, 1202, 'unexpected', false],
    [404, 1203, 'not_found', false],
    [400, 1300, 'policy', false],
    [400, 1301, 'policy', false],
    [429, 1302, 'busy', true],
    [429, 1303, 'busy', true],
    [429, 1304, 'account', false],
    [500, 5000, 'retryable', true],
    [503, 5001, 'retryable', true],
    [504, 5002, 'retryable', true],
  ])('HTTP %i code %i is %s (retryable: %s)', (status, code, kind, retryable) => {
    const error = (() => {
      try {
        interpretKlingAnswer({ status, text: JSON.stringify({ code, message: 'm', request_id: 'r' }) });
      } catch (e) {
        return e as KlingError;
      }
      throw new Error('no error');
    })();
    expect(error).toBeInstanceOf(KlingError);
    expect(error).toMatchObject({ kind, retryable, details: { code, status, requestId: 'r' } });
    expect(error.contentFlagged).toBe(code === 1301);
  });

  it('answers without an envelope: 5xx, 429 and broken 200s are retryable; a network error too', async () => {
    expect(() => interpretKlingAnswer({ status: 502, text: '<html>Bad Gateway</html>' })).toThrow(expect.objectContaining({ kind: 'retryable' }));
    expect(() => interpretKlingAnswer({ status: 200, text: '{"code":0,"mess' })).toThrow(expect.objectContaining({ kind: 'retryable' }));
    expect(() => interpretKlingAnswer({ status: 404, text: 'Not Found' })).toThrow(expect.objectContaining({ kind: 'unexpected' }));
    const { client } = clientAnswering([new Error('socket hang up')]);
    await expect(client.getTask('text2video', '1')).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('queries a task in the family it was submitted to; unknown (1203) is null', async () => {
    const done = task({ task_status: 'succeed', task_result: { videos: [{ id: 'v1', url: 'https://cdn/v.mp4', duration: '5.1' }] } });
    const { client, seen } = clientAnswering([ok(done), notFound]);
    expect(await client.getTask('image2video', '867215451253407744')).toMatchObject({ phase: 'succeeded', videos: [{ url: 'https://cdn/v.mp4', durationSeconds: 5.1 }] });
    expect(await client.getTaskByExternalId('text2video', 'ours/1')).toBeNull();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET https://api-beijing.klingai.com/v1/videos/image2video/867215451253407744',
      'GET https://api-beijing.klingai.com/v1/videos/text2video/ours%2F1',
    ]);
  });

  it('lists a page of tasks', async () => {
    const { client, seen } = clientAnswering([ok([task(), task({ task_id: '2' })])]);
    expect((await client.listTasks('text2video', 2, 10)).map((t) => t.id)).toEqual(['867215451253407744', '2']);
    expect(seen[0].url).toBe('https://api-beijing.klingai.com/v1/videos/text2video?pageNum=2&pageSize=10');
  });

  describe('submitOnce', () => {
    const input = { prompt: 'a cat', external_task_id: 'ours-1' };

    it('looks the id up first and sends when it is new', async () => {
      const { client, seen } = clientAnswering([notFound, ok(task())]);
      expect(await client.submitOnce('text2video', input)).toMatchObject({ recovered: false, task: { id: '867215451253407744' } });
      expect(seen.map((s) => s.method)).toEqual(['GET', 'POST']);
    });

    it('does not send again when the task already exists (an earlier answer was lost)', async () => {
      const { client, seen } = clientAnswering([ok(task({ task_status: 'processing' }))]);
      expect(await client.submitOnce('text2video', input)).toMatchObject({ recovered: true, task: { phase: 'running' } });
      expect(seen).toHaveLength(1);
    });

    it('a lost answer is found by the id; still missing, the retryable error stands', async () => {
      const lost = clientAnswering([notFound, new Error('timeout of 30000ms exceeded'), ok(task())]);
      expect(await lost.client.submitOnce('text2video', input)).toMatchObject({ recovered: true });
      const gone = clientAnswering([notFound, refusal(500, 5000, 'internal error'), notFound]);
      await expect(gone.client.submitOnce('text2video', input)).rejects.toMatchObject({ kind: 'retryable', details: { code: 5000 } });
    });

    it('a duplicate external_task_id refusal resolves to the existing task', async () => {
      const { client } = clientAnswering([notFound, refusal(400, 1201, 'external_task_id already exists'), ok(task())]);
      expect(await client.submitOnce('text2video', input)).toMatchObject({ recovered: true });
    });

    it('other refusals are not retried or looked up', async () => {
      const { client, seen } = clientAnswering([notFound, refusal(429, 1102, 'resource pack exhausted')]);
      await expect(client.submitOnce('text2video', input)).rejects.toMatchObject({ kind: 'balance', retryable: false });
      expect(seen).toHaveLength(2);
      await expect(client.submitOnce('text2video', { prompt: 'x', external_task_id: '' })).rejects.toMatchObject({ details: { field: 'external_task_id' } });
    });
  });
});
