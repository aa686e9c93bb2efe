import { VolcError, volcErrorKind } from '@atelier/providers/volcengine';
import { Readable } from 'node:stream';
import { CONCURRENCY_HOLD_MS, JimengAdapter, translateVolcError } from './jimeng.adapter.js';
import { apiFieldName, checkTaskInput, type JimengTaskInput, resultOptions, wireOf } from './jimeng-request.js';
import { explainAdminError } from './jimeng.service.js';

const business = (code: number, status = 400) => new VolcError(volcErrorKind(code, status), `code ${code}`, { code, status });

describe('Jimeng requests in Volcengine words', () => {
  it('video: seconds as frames (24·n + 1), aspect_ratio for text-to-video only, images as raw base64 or URLs', () => {
    expect(wireOf({ route: 'text-to-video', model: 'jimeng-video-3.0-720p-t2v', prompt: 'boat', duration: 10, aspectRatio: '9:16', seed: 5 })).toEqual({ prompt: 'boat', seed: 5, frames: 241, aspect_ratio: '9:16' });
    expect(wireOf({ route: 'text-to-video', model: 'jimeng-video-3.0-pro', prompt: 'boat' })).toEqual({ prompt: 'boat', frames: 121, aspect_ratio: '16:9' });
    const frames: JimengTaskInput = { route: 'image-to-video', model: 'jimeng-video-3.0-720p-first-tail', duration: 5, imageFileIds: ['a', 'b'], imageFields: ['firstFrame', 'lastFrame'] };
    expect(wireOf(frames, { base64: ['QUJD', 'REVG'] })).toEqual({ frames: 121, binary_data_base64: ['QUJD', 'REVG'] });
    expect(wireOf(frames, { urls: ['https://cos.example.com/a.png', 'https://cos.example.com/b.png'] })).toEqual({ frames: 121, image_urls: ['https://cos.example.com/a.png', 'https://cos.example.com/b.png'] });
  });

  it('images: use_pre_llm for 3.x (on by default), scale = strength (0.5 for i2i), force_single for Seedream', () => {
    expect(wireOf({ route: 'text-to-image', model: 'jimeng-image-t2i-3.1', prompt: 'p', width: 1664, height: 936 })).toEqual({ prompt: 'p', width: 1664, height: 936, use_pre_llm: true });
    expect(wireOf({ route: 'text-to-image', model: 'jimeng-image-t2i-3.0', prompt: 'p', promptExpansion: false })).toEqual({ prompt: 'p', use_pre_llm: false });
    expect(wireOf({ route: 'text-to-image', model: 'jimeng-image-seedream-4.0', prompt: 'p', strength: 0.7 })).toEqual({ prompt: 'p', scale: 0.7, force_single: true });
    expect(wireOf({ route: 'text-to-image', model: 'jimeng-image-seedream-4.0', prompt: 'p', forceSingle: false })).toEqual({ prompt: 'p', force_single: false });
    expect(wireOf({ route: 'image-to-image', model: 'jimeng-image-i2i-3.0', prompt: 'p', imageFileIds: ['a'] }, { base64: ['QUJD'] })).toEqual({ prompt: 'p', scale: 0.5, binary_data_base64: ['QUJD'] });
    expect(wireOf({ route: 'inpaint', model: 'jimeng-image-inpaint', prompt: '删除', seed: 101, imageFileIds: ['a', 'm'] }, { base64: ['QUJD', 'REVG'] })).toEqual({ prompt: '删除', seed: 101, binary_data_base64: ['QUJD', 'REVG'] });
  });

  it('names our field for a wire problem: scale → strength, an image by its position', () => {
    const input = { imageFields: ['firstFrame', 'lastFrame'] };
    expect(apiFieldName('binary_data_base64[1]', input)).toBe('lastFrame');
    expect(apiFieldName('image_urls', input)).toBe('firstFrame');
    expect(apiFieldName('scale', input)).toBe('strength');
    expect(apiFieldName('frames', input)).toBe('duration');
    expect(checkTaskInput({ route: 'text-to-image', model: 'jimeng-image-t2i-3.1', prompt: 'p', width: 300, height: 300 })?.field).toBe('width');
    expect(checkTaskInput({ route: 'text-to-image', model: 'jimeng-image-t2i-3.1', prompt: 'p', width: 1024, height: 1024 })).toBeNull();
    expect(checkTaskInput({ route: 'image-to-video', model: 'jimeng-video-3.0-720p-first-tail', imageFileIds: ['a'], imageFields: ['firstFrame'] })?.field).toBe('firstFrame');
  });

  it('adds logo_info (images only) and aigc_meta to GetResult when the admin turned them on', () => {
    const off = { watermark: { enabled: false, position: 0, language: 0, opacity: 0.3, text: '' }, aigcMeta: { enabled: false, contentProducer: '', producerId: '', contentPropagator: '', propagateId: '' } };
    expect(resultOptions('image', off)).toEqual({});
    const on = { watermark: { enabled: true, position: 3, language: 1, opacity: 0.5, text: 'Atelier' }, aigcMeta: { enabled: true, contentProducer: 'a', producerId: 'b', contentPropagator: 'c', propagateId: 'd' } };
    const aigc = { content_producer: 'a', producer_id: 'b', content_propagator: 'c', propagate_id: 'd' };
    expect(resultOptions('image', on)).toEqual({ logo_info: { add_logo: true, position: 3, language: 1, opacity: 0.5, logo_text_content: 'Atelier' }, aigc_meta: aigc });
    expect(resultOptions('video', on)).toEqual({ aigc_meta: aigc });
  });
});

describe('Volcengine codes in the task engine words', () => {
  it('moderation is rejected and flagged; 50429 and 5xx try later; 50430 also holds the provider', () => {
    for (const code of [50411, 50412, 50413, 50512, 50518, 50511, 50516, 50517, 50519]) {
      const error = translateVolcError(business(code));
      expect([code, error.kind, error.options.contentFlagged]).toEqual([code, 'rejected', true]);
    }
    const qps = translateVolcError(business(50429, 429));
    expect([qps.kind, qps.options.holdProviderMs]).toEqual(['transient', undefined]);
    const concurrency = translateVolcError(business(50430, 429));
    expect([concurrency.kind, concurrency.options.holdProviderMs]).toEqual(['transient', CONCURRENCY_HOLD_MS]);
    expect(translateVolcError(business(50500, 500)).kind).toBe('transient');
    expect(translateVolcError(new Error('socket hang up')).kind).toBe('transient');
  });

  it('50400 and gateway refusals are refused, worded for the admin; a stale X-Date blames the clock', () => {
    const stale = new VolcError('auth', 'InvalidTimestamp: The signature of the request is expired.', { status: 401, gatewayCode: 'InvalidTimestamp', code: 100006 });
    expect(translateVolcError(stale)).toMatchObject({ kind: 'refused', message: expect.stringMatching(/server's clock is off.*NTP/) });
    expect(explainAdminError(stale, 'x').reason).toBe('clock_skew');
    const denied = business(50400, 401);
    expect(translateVolcError(denied)).toMatchObject({ kind: 'refused', message: expect.stringMatching(/activate the Jimeng capability/) });
    expect(explainAdminError(denied, 'x').reason).toBe('not_activated');
    const wrongKey = new VolcError('auth', 'SignatureDoesNotMatch: no', { status: 401, gatewayCode: 'SignatureDoesNotMatch' });
    expect(explainAdminError(wrongKey, 'x')).toMatchObject({ reason: 'key_refused' });
    expect(explainAdminError(new VolcError('retryable', 'Volcengine unreachable: ECONNREFUSED'), 'http://x').reason).toBe('unreachable');
  });

  it('a field the client refuses is our field', () => {
    const error = translateVolcError(new VolcError('validation', 'binary_data_base64[1] must be at least 320 px on its short side', { field: 'binary_data_base64[1]' }), { model: 'jimeng-video-3.0-720p-first-tail', imageFields: ['firstFrame', 'lastFrame'] });
    expect([error.kind, error.options.fields?.[0].field, error.options.fields?.[0].messages[0]]).toEqual(['rejected', 'lastFrame', expect.stringMatching(/^lastFrame must be at least 320 px/)]);
  });
});

describe('input images on the wire', () => {
  const files = [
    { id: 'a', userId: 'u', key: 'a.png', driver: 'cos', url: 'https://bucket.cos.ap-shanghai.myqcloud.com/a.png?sign=1', size: 1000, width: 640, height: 360 },
    { id: 'b', userId: 'u', key: 'b.png', driver: 'cos', url: 'https://bucket.cos.ap-shanghai.myqcloud.com/b.png?sign=2', size: 1000, width: 640, height: 360 },
  ];
  const adapterWith = (publiclyReachable: boolean) => {
    const dataSource = { getRepository: () => ({ findBy: async () => files }) };
    const storage = { driverFor: async () => ({ publiclyReachable, read: async (key: string) => Readable.from([Buffer.from(`bytes of ${key}`)]) }) };
    return new JimengAdapter(dataSource as never, {} as never, storage as never);
  };
  const input: JimengTaskInput = { route: 'image-to-video', model: 'jimeng-video-3.0-720p-first-tail', imageFileIds: ['a', 'b'], imageFields: ['firstFrame', 'lastFrame'] };
  const task = { id: 't', userId: 'u', model: input.model, action: 'image-to-video', input: input as never, providerState: {}, attempts: 0 };

  it('sends the public URLs when storage serves them to the world (COS), in order', async () => {
    const { images, facts } = await adapterWith(true)['images'](task, input);
    expect(images).toEqual({ urls: [files[0].url, files[1].url] });
    expect(facts).toEqual([{ bytes: 1000, width: 640, height: 360 }, { bytes: 1000, width: 640, height: 360 }]);
  });

  it('sends raw base64 (no data: prefix) when Volcengine cannot fetch them', async () => {
    const { images } = await adapterWith(false)['images'](task, input);
    expect(images).toEqual({ base64: [Buffer.from('bytes of a.png').toString('base64'), Buffer.from('bytes of b.png').toString('base64')] });
  });
});
