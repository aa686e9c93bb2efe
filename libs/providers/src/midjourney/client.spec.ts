import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { isDataUrl, MidjourneyClient, MidjourneyError, type MidjourneyClientOptions, toDataUrl } from './client.js';
import { normalizeTask } from './task.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: unknown;
}

/** A client whose axios instance answers from a script instead of the network. */
function clientAnswering(answers: Array<{ status: number; body?: unknown } | Error>, options: Partial<MidjourneyClientOptions> = {}) {
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
    // Run the caller's own transform and status check, as axios's real adapters do.
    return config.validateStatus!(answer.status) ? response : Promise.reject(new Error(`status ${answer.status}`));
  };
  const client = new MidjourneyClient({ baseUrl: 'http://proxy:8080/', secret: 's3cret', http: axios.create({ adapter }), ...options });
  return { client, seen };
}

const ok = (result: string, extra: object = {}) => ({ status: 200, body: { code: 1, description: '提交成功', result, properties: { discordInstanceId: '1118' }, ...extra } });

describe('MidjourneyClient', () => {
  it('trueai: raw token in Authorization, speed mode as path prefix, body passed through', async () => {
    const { client, seen } = clientAnswering([ok('1320098173412546')], { flavor: 'trueai', mode: 'relax' });
    const submitted = await client.imagine({ prompt: 'cat --v 6', base64Array: ['data:image/png;base64,AA=='], notifyHook: 'http://hook/x', state: 'abc' });
    expect(submitted).toEqual({ taskId: '1320098173412546', code: 1, outcome: 'submitted', queuePosition: null, description: '提交成功', properties: { discordInstanceId: '1118' } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'http://proxy:8080/mj-relax/mj/submit/imagine', body: { prompt: 'cat --v 6', base64Array: ['data:image/png;base64,AA=='], notifyHook: 'http://hook/x', state: 'abc' } });
    expect(seen[0].headers).toMatchObject({ Authorization: 's3cret', 'Content-Type': 'application/json' });
    expect(seen[0].headers).not.toHaveProperty('mj-api-secret');
  });

  it('novicezk: mj-api-secret header, no mode prefix', async () => {
    const { client, seen } = clientAnswering([ok('1')], { flavor: 'novicezk', mode: 'fast' });
    await client.blend({ base64Array: ['data:image/png;base64,AA==', 'data:image/png;base64,AB=='], dimensions: 'PORTRAIT' });
    expect(seen[0].url).toBe('http://proxy:8080/mj/submit/blend');
    expect(seen[0].headers).toMatchObject({ 'mj-api-secret': 's3cret' });
    expect(seen[0].headers).not.toHaveProperty('Authorization');
  });

  it('code 22 is accepted with the queue position (from properties, else from the description)', async () => {
    const { client } = clientAnswering([
      { status: 200, body: { code: 22, description: '排队中，前面还有3个任务', result: '17', properties: { numberOfQueues: 3 } } },
      { status: 200, body: { code: 22, description: '排队中，前面还有5个任务', result: '18' } },
    ]);
    expect(await client.imagine({ prompt: 'x' })).toMatchObject({ taskId: '17', code: 22, outcome: 'queued', queuePosition: 3 });
    expect(await client.imagine({ prompt: 'x' })).toMatchObject({ taskId: '18', outcome: 'queued', queuePosition: 5 });
  });

  it('code 21 is a MODAL task for trueai and an existing task for novicezk', async () => {
    const trueai = clientAnswering([{ status: 200, body: { code: 21, description: 'Waiting for window confirm', result: '99', properties: { finalPrompt: 'cat', remix: true } } }]);
    expect(await trueai.client.action({ taskId: '1', customId: 'MJ::CustomZoom::h' })).toMatchObject({ taskId: '99', code: 21, outcome: 'modal', properties: { finalPrompt: 'cat' } });
    const novicezk = clientAnswering([{ status: 200, body: { code: 21, description: '任务已存在', result: '98', properties: { status: 'SUCCESS', imageUrl: 'http://x' } } }], { flavor: 'novicezk' });
    expect(await novicezk.client.change({ taskId: '1', action: 'UPSCALE', index: 2 })).toMatchObject({ taskId: '98', outcome: 'existing', properties: { status: 'SUCCESS' } });
  });

  it.each([
    [{ code: 23, description: '队列已满，请稍后尝试', result: null }, 200, 'busy', true],
    [{ code: 24, description: '可能包含敏感词', properties: { promptEn: 'a gun', bannedWord: 'gun' } }, 200, 'banned', false],
    [{ code: 3, description: '关联任务不存在或已失效' }, 404, 'not_found', false],
    [{ code: 4, description: '关联任务状态错误' }, 200, 'validation', false],
    [{ code: 9, description: '提交失败，系统异常' }, 200, 'failure', false],
    [{ code: 77, description: '?' }, 200, 'unexpected', false],
  ])('decides %j (HTTP %d) by its code: %s', async (body, status, kind, retryable) => {
    const { client } = clientAnswering([{ status, body }]);
    const error: MidjourneyError = await client.imagine({ prompt: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(MidjourneyError);
    expect([error.kind, error.retryable, error.message, error.details.code]).toEqual([kind, retryable, body.description, body.code]);
    if (kind === 'banned') expect(error.details).toMatchObject({ bannedWord: 'gun', promptEn: 'a gun' });
  });

  it.each([
    [401, '', 'auth'],
    [401, 'Authorization header missing.', 'auth'],
    [403, '账号不可用', 'auth'],
    [500, '{"timestamp":"x","status":500,"error":"Internal Server Error"}', 'retryable'],
    [429, 'Too many requests', 'retryable'],
    [404, '{"status":404,"error":"Not Found","path":"/mj/submit/action"}', 'unsupported'],
    [200, '{"code":1,"res', 'retryable'],
    [200, '', 'unexpected'],
  ])('answers without a code: HTTP %d %j is %s', async (status, body, kind) => {
    const { client } = clientAnswering([{ status, body }]);
    await expect(client.imagine({ prompt: 'x' })).rejects.toMatchObject({ kind });
  });

  it('network errors and timeouts are retryable', async () => {
    const { client } = clientAnswering([new Error('socket hang up')]);
    await expect(client.imagine({ prompt: 'x' })).rejects.toMatchObject({ kind: 'retryable', message: expect.stringContaining('socket hang up') });
  });

  it('fetch: the task, or null for the empty body of an unknown id (200 novicezk, 204 trueai)', async () => {
    const { client, seen } = clientAnswering([
      { status: 200, body: { id: '1689231405853400', status: 'SUCCESS', progress: '100%', imageUrl: 'http://cdn/x.png', action: 'IMAGINE' } },
      { status: 200, body: '' },
      { status: 204 },
      { status: 503, body: 'down' },
    ]);
    expect(await client.fetchTask('1689231405853400')).toMatchObject({ id: '1689231405853400', phase: 'succeeded', progress: 100, imageUrl: 'http://cdn/x.png' });
    expect(seen[0]).toMatchObject({ method: 'GET', url: 'http://proxy:8080/mj/task/1689231405853400/fetch' });
    expect(await client.fetchTask('nope')).toBeNull();
    expect(await client.fetchTask('nope')).toBeNull();
    await expect(client.fetchTask('x')).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('list-by-condition: one call for many ids, unknown ones simply missing; no call for none', async () => {
    const { client, seen } = clientAnswering([{ status: 200, body: [{ id: '1', status: 'IN_PROGRESS', progress: '30%' }, { id: '3', status: 'NOT_START', progress: '0%' }] }]);
    expect(await client.listByCondition([])).toEqual([]);
    const tasks = await client.listByCondition(['1', '2', '3']);
    expect(tasks.map((t) => [t.id, t.phase, t.progress])).toEqual([['1', 'running', 30], ['3', 'queued', 0]]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'http://proxy:8080/mj/task/list-by-condition', body: { ids: ['1', '2', '3'] } });
  });

  it('cancel: trueai only; the task then reads as canceled', async () => {
    const { client, seen } = clientAnswering([{ status: 200 }, { status: 403, body: '未登录' }]);
    await client.cancel('5');
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'http://proxy:8080/mj/task/5/cancel' });
    await expect(client.cancel('6')).rejects.toMatchObject({ kind: 'auth' });
    const novicezk = clientAnswering([], { flavor: 'novicezk' });
    await expect(novicezk.client.cancel('5')).rejects.toMatchObject({ kind: 'unsupported' });
    await expect(novicezk.client.action({ taskId: '5', customId: 'x' })).rejects.toMatchObject({ kind: 'unsupported' });
    await expect(novicezk.client.modal({ taskId: '5', prompt: 'x' })).rejects.toMatchObject({ kind: 'unsupported' });
    expect(novicezk.seen).toHaveLength(0);
    expect(normalizeTask({ id: '5', status: 'FAILURE', failReason: '取消任务' }).phase).toBe('canceled');
  });

  it('act: trueai presses the button of the key, novicezk uses change', async () => {
    const parent = normalizeTask({
      id: '10',
      status: 'SUCCESS',
      buttons: [{ customId: 'MJ::JOB::upsample::2::h' }, { customId: 'MJ::CustomZoom::h' }],
    });
    const trueai = clientAnswering([ok('11'), { status: 200, body: { code: 21, result: '12', description: 'Waiting for window confirm' } }]);
    expect(await trueai.client.act(parent, 'upscale:2', { notifyHook: 'http://h' })).toMatchObject({ taskId: '11', outcome: 'submitted' });
    expect(trueai.seen[0]).toMatchObject({ url: 'http://proxy:8080/mj/submit/action', body: { taskId: '10', customId: 'MJ::JOB::upsample::2::h', notifyHook: 'http://h' } });
    expect(await trueai.client.act(parent, 'zoom:custom')).toMatchObject({ taskId: '12', outcome: 'modal' });
    await expect(trueai.client.act(parent, 'upscale:3')).rejects.toMatchObject({ kind: 'unsupported' });

    const novicezk = clientAnswering([ok('13')], { flavor: 'novicezk' });
    expect(await novicezk.client.act(parent, 'upscale:2')).toMatchObject({ taskId: '13' });
    expect(novicezk.seen[0]).toMatchObject({ url: 'http://proxy:8080/mj/submit/change', body: { taskId: '10', action: 'UPSCALE', index: 2 } });
    await expect(novicezk.client.act(parent, 'zoom:custom')).rejects.toMatchObject({ kind: 'unsupported' });
  });

  it('refuses image inputs that are not data URLs, naming the field, before calling', async () => {
    const { client, seen } = clientAnswering([]);
    await expect(client.imagine({ prompt: 'x', base64Array: ['data:image/png;base64,AA==', 'iVBORw0KGgo='] })).rejects.toMatchObject({ kind: 'validation', details: { field: 'base64Array[1]' } });
    await expect(client.blend({ base64Array: ['https://example.com/a.png', 'data:image/png;base64,AA=='] })).rejects.toMatchObject({ details: { field: 'base64Array[0]' } });
    await expect(client.describe({ base64: 'AAAA' })).rejects.toMatchObject({ details: { field: 'base64' } });
    await expect(client.describe({})).rejects.toMatchObject({ details: { field: 'base64' } });
    await expect(client.modal({ taskId: '1', prompt: 'x', maskBase64: 'AAAA' })).rejects.toMatchObject({ details: { field: 'maskBase64' } });
    expect(seen).toHaveLength(0);
    expect(toDataUrl(Buffer.from([1, 2, 3]), 'image/jpeg')).toBe('data:image/jpeg;base64,AQID');
    expect(isDataUrl(toDataUrl(Buffer.from('png')))).toBe(true);
  });

  it('modal and describe send the documented fields', async () => {
    const { client, seen } = clientAnswering([ok('20'), ok('21')]);
    await client.modal({ taskId: '20', prompt: 'cat --zoom 1.8', maskBase64: 'data:image/png;base64,AA==' });
    await client.describe({ base64: 'data:image/png;base64,AA==' });
    expect(seen.map((s) => [s.url, s.body])).toEqual([
      ['http://proxy:8080/mj/submit/modal', { taskId: '20', prompt: 'cat --zoom 1.8', maskBase64: 'data:image/png;base64,AA==' }],
      ['http://proxy:8080/mj/submit/describe', { base64: 'data:image/png;base64,AA==' }],
    ]);
  });
});
