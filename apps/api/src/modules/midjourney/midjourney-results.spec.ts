import { MidjourneyError, normalizeTask } from '@atelier/providers/midjourney';
import { translateMjError } from './midjourney.adapter.js';
import { offersOf, outputsOf, QUADRANTS, singleImageUrls, updateFromTask } from './midjourney-results.js';

const task = (fields: Record<string, unknown>) => normalizeTask({ id: '1730000000000001', ...fields });
const grid = 'https://cdn.example/grid.png';

describe('updateFromTask', () => {
  it('maps the proxy statuses to ours, keeping the queue place while it has not started', () => {
    expect(updateFromTask(task({ status: 'NOT_START' }), 'imagine', 'trueai', 3)).toEqual({ status: 'queued', progress: 0, queuePosition: 3 });
    expect(updateFromTask(task({ status: 'SUBMITTED' }), 'imagine', 'trueai', 3)).toEqual({ status: 'queued', progress: 0, queuePosition: null });
    expect(updateFromTask(task({ status: 'MODAL' }), 'zoom:custom', 'trueai')).toMatchObject({ status: 'queued' });
    expect(updateFromTask(task({ status: 'IN_PROGRESS', progress: '45%', imageUrl: 'https://cdn.example/p.webp' }), 'imagine', 'trueai')).toEqual({ status: 'running', progress: 45, previewUrl: 'https://cdn.example/p.webp' });
    expect(updateFromTask(task({ status: 'FAILURE', failReason: '[Job failed] boom' }), 'imagine', 'trueai')).toEqual({ status: 'failed', error: '[Job failed] boom', contentFlagged: false });
    expect(updateFromTask(task({ status: 'FAILURE', failReason: 'Banned prompt detected' }), 'imagine', 'trueai')).toMatchObject({ contentFlagged: true });
    expect(updateFromTask(task({ status: 'FAILURE', failReason: '取消任务' }), 'imagine', 'trueai')).toEqual({ status: 'failed', error: 'canceled at the proxy (取消任务)' });
  });

  it('gives a grid with its four images cut from it, and the buttons as our action keys', () => {
    const update = updateFromTask(
      task({ status: 'SUCCESS', imageUrl: grid, seed: '42', buttons: [{ customId: 'MJ::JOB::upsample::2::abc' }, { customId: 'MJ::BOOKMARK::abc' }, { customId: 'MJ::JOB::reroll::0::abc::SOLO' }] }),
      'imagine',
      'trueai',
    );
    expect(update.status).toBe('succeeded');
    expect(update.outputs).toHaveLength(5);
    expect(update.outputs![0]).toEqual({ url: grid, role: 'grid', metadata: { seed: '42' } });
    expect(update.outputs![4]).toEqual({ url: grid, role: 'image', metadata: { seed: '42', index: 4 }, derive: { from: 0, region: { left: 0.5, top: 0.5, width: 0.5, height: 0.5 } } });
    expect(update.providerState).toEqual({ buttons: [{ customId: 'MJ::JOB::upsample::2::abc' }, { customId: 'MJ::BOOKMARK::abc' }, { customId: 'MJ::JOB::reroll::0::abc::SOLO' }], offers: ['upscale:2', 'reroll'] });
  });

  it('takes trueai imageUrls for the four images when given, and one image for an upscale', () => {
    const urls = [1, 2, 3, 4].map((i) => ({ url: `https://cdn.example/${i}.png`, thumbnail: 'x' }));
    const outputs = outputsOf(task({ status: 'SUCCESS', imageUrl: grid, imageUrls: urls }), 'grid');
    expect(outputs.map((o) => [o.url, o.derive])).toEqual([[grid, undefined], ...urls.map((u) => [u.url, undefined])]);
    expect(singleImageUrls({ imageUrls: urls.slice(0, 3) })).toEqual([]);
    expect(updateFromTask(task({ status: 'SUCCESS', imageUrl: grid }), 'upscale:1', 'trueai').outputs).toEqual([{ url: grid, role: 'image', metadata: {} }]);
    expect(QUADRANTS[1]).toEqual({ left: 0.5, top: 0, width: 0.5, height: 0.5 });
  });

  it('gives describe prompts as a text result, and fails one without prompts or an image without a picture', () => {
    const described = updateFromTask(task({ status: 'SUCCESS', properties: { finalPrompt: '1️⃣ a cat --ar 1:1\n\n2️⃣ a dog\n\n3️⃣ a bird\n\n4️⃣ a fish' } }), 'describe', 'trueai');
    expect(described).toMatchObject({ status: 'succeeded', outputs: [], result: { prompts: ['a cat --ar 1:1', 'a dog', 'a bird', 'a fish'] } });
    expect(updateFromTask(task({ status: 'SUCCESS' }), 'describe', 'trueai').status).toBe('failed');
    expect(updateFromTask(task({ status: 'SUCCESS' }), 'imagine', 'trueai').status).toBe('failed');
  });

  it('offers U/V/R of a novicezk grid (no buttons there), nothing else', () => {
    expect(offersOf(task({ status: 'SUCCESS' }), 'novicezk', 'grid')).toEqual(['upscale:1', 'upscale:2', 'upscale:3', 'upscale:4', 'vary:1', 'vary:2', 'vary:3', 'vary:4', 'reroll']);
    expect(offersOf(task({ status: 'SUCCESS' }), 'novicezk', 'image')).toEqual([]);
  });
});

describe('translateMjError', () => {
  it('turns the proxy codes into the engine’s kinds', () => {
    const banned = translateMjError(new MidjourneyError('banned', '可能包含敏感词', { code: 24, bannedWord: 'nsfw' }));
    expect([banned.kind, banned.message, banned.options.contentFlagged, banned.options.fields?.[0].field]).toEqual(['rejected', 'the prompt contains a banned word: nsfw', true, 'prompt']);
    expect(translateMjError(new MidjourneyError('busy', '队列已满', { code: 23 }))).toMatchObject({ kind: 'transient', options: { retryAfterMs: 5000 } });
    expect(translateMjError(new MidjourneyError('not_found', '关联任务不存在', { code: 3 })).kind).toBe('rejected');
    expect(translateMjError(new MidjourneyError('validation', 'base64格式错误', { code: 4 })).kind).toBe('rejected');
    expect(translateMjError(new MidjourneyError('failure', '系统异常', { code: 9 })).kind).toBe('refused');
    expect(translateMjError(new MidjourneyError('auth', 'HTTP 401', { status: 401 })).kind).toBe('refused');
    expect(translateMjError(new MidjourneyError('retryable', 'HTTP 503')).kind).toBe('transient');
    expect(translateMjError(new Error('socket hang up')).kind).toBe('transient');
  });
});
