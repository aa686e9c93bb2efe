import { checkVolcImage, checkVolcInput, VOLC_MODEL_IDS, VOLC_MODELS, volcModelForReqKey, volcReqKey } from './models.js';

describe('Volcengine model catalogue', () => {
  it('maps each model to its documented req_key, overridable', () => {
    expect(Object.fromEntries(VOLC_MODEL_IDS.map((model) => [model, VOLC_MODELS[model].reqKey]))).toEqual({
      'jimeng-video-3.0-720p-t2v': 'jimeng_t2v_v30',
      'jimeng-video-3.0-1080p-t2v': 'jimeng_t2v_v30_1080p',
      'jimeng-video-3.0-720p-i2v': 'jimeng_i2v_first_v30',
      'jimeng-video-3.0-1080p-i2v': 'jimeng_i2v_first_v30_1080',
      'jimeng-video-3.0-720p-first-tail': 'jimeng_i2v_first_tail_v30',
      'jimeng-video-3.0-1080p-first-tail': 'jimeng_i2v_first_tail_v30_1080',
      'jimeng-video-3.0-pro': 'jimeng_ti2v_v30_pro',
      'jimeng-image-t2i-3.0': 'jimeng_t2i_v30',
      'jimeng-image-t2i-3.1': 'jimeng_t2i_v31',
      'jimeng-image-seedream-4.0': 'jimeng_t2i_v40',
      'jimeng-image-i2i-3.0': 'jimeng_i2i_v30',
      'jimeng-image-inpaint': 'jimeng_image2image_dream_inpaint',
    });
    expect(volcReqKey('jimeng-video-3.0-1080p-i2v', { 'jimeng-video-3.0-1080p-i2v': 'jimeng_i2v_first_v30_1080p' })).toBe('jimeng_i2v_first_v30_1080p');
    expect(volcModelForReqKey('jimeng_i2v_first_v30_1080')).toBe('jimeng-video-3.0-1080p-i2v');
    expect(volcModelForReqKey('jimeng_i2v_first_v30_1080', { 'jimeng-video-3.0-1080p-i2v': 'other' })).toBeUndefined();
  });

  it.each([
    ['jimeng-video-3.0-720p-t2v', {}, 'prompt'],
    ['jimeng-video-3.0-720p-t2v', { prompt: 'x'.repeat(801) }, 'prompt'],
    ['jimeng-video-3.0-720p-t2v', { prompt: '😀'.repeat(801) }, 'prompt'],
    ['jimeng-video-3.0-720p-t2v', { prompt: 'x', frames: 120 }, 'frames'],
    ['jimeng-video-3.0-720p-t2v', { prompt: 'x', aspect_ratio: '2:1' }, 'aspect_ratio'],
    ['jimeng-video-3.0-720p-t2v', { prompt: 'x', binary_data_base64: ['AAAA'] }, 'binary_data_base64'],
    ['jimeng-video-3.0-720p-i2v', {}, 'binary_data_base64'],
    ['jimeng-video-3.0-720p-i2v', { image_urls: ['https://a/b.png'], aspect_ratio: '16:9' }, 'aspect_ratio'],
    ['jimeng-video-3.0-720p-i2v', { image_urls: ['ftp://a/b.png'] }, 'image_urls[0]'],
    ['jimeng-video-3.0-720p-i2v', { image_urls: ['https://a'], binary_data_base64: ['AAAA'] }, 'image_urls'],
    ['jimeng-video-3.0-720p-first-tail', { binary_data_base64: ['AAAA'] }, 'binary_data_base64'],
    ['jimeng-video-3.0-pro', { prompt: 'x', width: 1024, height: 1024 }, 'width'],
    ['jimeng-image-t2i-3.1', { prompt: 'x', width: 1328 }, 'height'],
    ['jimeng-image-t2i-3.1', { prompt: 'x', width: 256, height: 256 }, 'width'],
    ['jimeng-image-t2i-3.1', { prompt: 'x', width: 2048, height: 2560 }, 'width'],
    ['jimeng-image-t2i-3.1', { prompt: 'x', width: 2000, height: 600 }, 'height'],
    ['jimeng-image-t2i-3.1', { prompt: 'x', frames: 121 }, 'frames'],
    ['jimeng-image-t2i-3.1', { prompt: 'x', scale: 0.5 }, 'scale'],
    ['jimeng-image-i2i-3.0', { prompt: 'x', binary_data_base64: ['AAAA'], scale: 1.5 }, 'scale'],
    ['jimeng-image-i2i-3.0', { prompt: 'x', binary_data_base64: ['AAAA'], width: 2048, height: 1024 }, 'width'],
    ['jimeng-image-inpaint', { prompt: '删除', binary_data_base64: ['AAAA'] }, 'binary_data_base64'],
    ['jimeng-image-seedream-4.0', { prompt: 'x', image_urls: Array(11).fill('https://a/b.png') }, 'image_urls'],
    ['jimeng-image-seedream-4.0', { prompt: 'x', width: 4097, height: 1024 }, 'width'],
  ] as const)('%s %j is refused for %s', (model, input, field) => {
    expect(checkVolcInput(model, input as never)?.field).toBe(field);
  });

  it.each([
    ['jimeng-video-3.0-1080p-t2v', { prompt: 'x', frames: 241, aspect_ratio: '21:9' }],
    ['jimeng-video-3.0-720p-i2v', { binary_data_base64: ['AAAA'], frames: 121 }],
    ['jimeng-video-3.0-pro', { prompt: 'x', image_urls: ['https://a/b.png'] }],
    ['jimeng-image-t2i-3.0', { prompt: 'x', width: 1664, height: 936, use_pre_llm: false }],
    ['jimeng-image-t2i-3.1', { prompt: 'x', width: 2048, height: 2048, seed: -1 }],
    ['jimeng-image-seedream-4.0', { prompt: 'x', width: 4096, height: 4096, scale: 0.5 }],
    ['jimeng-image-seedream-4.0', { prompt: 'x', width: 4096, height: 256 }],
    ['jimeng-image-i2i-3.0', { prompt: 'x', binary_data_base64: ['AAAA'], width: 512, height: 1024, scale: 0.5 }],
    ['jimeng-image-inpaint', { prompt: '删除', binary_data_base64: ['AAAA', 'BBBB'] }],
    // 800 characters are code points (as JSON Schema's maxLength counts), not UTF-16 units.
    ['jimeng-image-t2i-3.1', { prompt: '😀'.repeat(800) }],
  ] as const)('%s %j is accepted', (model, input) => {
    expect(checkVolcInput(model, input as never)).toBeNull();
  });

  it('holds input images to 4.7 MB, 4096 px, a 320 px short side and 3:1', () => {
    const big = 'A'.repeat(Math.ceil((4.7 * 1024 * 1024 * 4) / 3) + 8);
    expect(checkVolcInput('jimeng-video-3.0-720p-i2v', { binary_data_base64: [big] })?.field).toBe('binary_data_base64[0]');
    expect(checkVolcInput('jimeng-video-3.0-720p-i2v', { binary_data_base64: ['AAAA'] }, [{ bytes: 3, width: 5000, height: 1000 }])?.field).toBe('binary_data_base64[0]');
    expect(checkVolcImage('image', { bytes: 1, width: 4096, height: 4096 })).toBeNull();
    expect(checkVolcImage('image', { bytes: 1, width: 4097, height: 4096 })?.message).toMatch(/4096/);
    expect(checkVolcImage('image', { bytes: 1, width: 319, height: 500 })?.message).toMatch(/320/);
    expect(checkVolcImage('image', { bytes: 1, width: 1000, height: 3001 })?.message).toMatch(/3:1/);
    expect(checkVolcImage('image', { bytes: 5 * 1024 * 1024 })?.message).toMatch(/4.7 MB/);
  });
});
