import { checkCameraControl, checkKlingVideoInput, KLING_MODEL_NAMES, klingModelsFor } from './models.js';

describe('Kling capability map', () => {
  it('lists the eight models; kling-v1-5 and kling-v2-1 are image-to-video only', () => {
    expect(KLING_MODEL_NAMES).toEqual(['kling-v1', 'kling-v1-5', 'kling-v1-6', 'kling-v2-master', 'kling-v2-1', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6']);
    expect(klingModelsFor('text2video')).not.toContain('kling-v2-1');
    expect(klingModelsFor('text2video')).not.toContain('kling-v1-5');
    expect(klingModelsFor('image2video')).toHaveLength(8);
    expect(checkKlingVideoInput('text2video', { model_name: 'kling-v2-1', prompt: 'x' })).toMatchObject({ field: 'model_name', allowed: klingModelsFor('text2video') });
    expect(checkKlingVideoInput('image2video', { model_name: 'kling-v2-1', image: 'AAAA' })).toBeNull();
  });

  it('accepts a plain request with the defaults', () => {
    expect(checkKlingVideoInput('text2video', { prompt: 'a cat' })).toBeNull();
    expect(checkKlingVideoInput('text2video', { model_name: 'kling-v1-6', prompt: 'a cat', mode: 'pro', duration: '10', aspect_ratio: '9:16', cfg_scale: 0.3, callback_url: 'https://x/cb', external_task_id: 't-1' })).toBeNull();
  });

  it('names the field and its allowed values', () => {
    expect(checkKlingVideoInput('text2video', { prompt: '' })).toMatchObject({ field: 'prompt' });
    expect(checkKlingVideoInput('text2video', { prompt: 'x', duration: 5 as unknown as string })).toMatchObject({ field: 'duration', allowed: ['5', '10'] });
    expect(checkKlingVideoInput('text2video', { prompt: 'x', aspect_ratio: '4:3' as '1:1' })).toMatchObject({ field: 'aspect_ratio', allowed: ['16:9', '9:16', '1:1'] });
    expect(checkKlingVideoInput('text2video', { prompt: 'x', mode: 'max' as 'pro' })).toMatchObject({ field: 'mode', allowed: ['std', 'pro'] });
    expect(checkKlingVideoInput('text2video', { prompt: 'x'.repeat(2501) })).toMatchObject({ field: 'prompt' });
    expect(checkKlingVideoInput('text2video', { prompt: 'x', callback_url: 'javascript:1' })).toMatchObject({ field: 'callback_url' });
  });

  it('cfg_scale only below v2, in 0..1', () => {
    for (const model of ['kling-v2-master', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6']) {
      expect(checkKlingVideoInput('text2video', { model_name: model, prompt: 'x', cfg_scale: 0.5 })).toMatchObject({ field: 'cfg_scale', allowed: [] });
    }
    expect(checkKlingVideoInput('text2video', { prompt: 'x', cfg_scale: 1.5 })).toMatchObject({ field: 'cfg_scale' });
  });

  it('image2video: raw base64 or URL, no data: prefix, no aspect ratio, an end frame only where supported and in pro', () => {
    expect(checkKlingVideoInput('image2video', {})).toMatchObject({ field: 'image' });
    expect(checkKlingVideoInput('image2video', { image: 'data:image/png;base64,AAAA' })).toMatchObject({ field: 'image', message: expect.stringContaining('without the data: prefix') });
    expect(checkKlingVideoInput('image2video', { image: 'https://example.com/a.png' })).toBeNull();
    expect(checkKlingVideoInput('image2video', { image: 'AAAA', aspect_ratio: '1:1' } as object)).toMatchObject({ field: 'aspect_ratio', allowed: [] });
    expect(checkKlingVideoInput('image2video', { image: 'AAAA', image_tail: 'AAAA' })).toMatchObject({ field: 'mode', allowed: ['pro'] });
    expect(checkKlingVideoInput('image2video', { image: 'AAAA', image_tail: 'AAAA', mode: 'pro' })).toBeNull();
    expect(checkKlingVideoInput('image2video', { model_name: 'kling-v2-master', image: 'AAAA', image_tail: 'AAAA', mode: 'pro' })).toMatchObject({ field: 'image_tail', allowed: [] });
    expect(checkKlingVideoInput('image2video', { image: 'AAAA', image_tail: 'AAAA', mode: 'pro', camera_control: { type: 'down_back' } })).toMatchObject({ field: 'camera_control' });
  });

  it('sound only on kling-v2-6 in pro', () => {
    expect(checkKlingVideoInput('text2video', { prompt: 'x', sound: 'on' })).toMatchObject({ field: 'sound', allowed: ['off'] });
    expect(checkKlingVideoInput('text2video', { model_name: 'kling-v2-6', prompt: 'x', sound: 'on' })).toMatchObject({ field: 'mode', allowed: ['pro'] });
    expect(checkKlingVideoInput('text2video', { model_name: 'kling-v2-6', prompt: 'x', sound: 'on', mode: 'pro' })).toBeNull();
  });

  it('camera control: five types; simple needs exactly one non-zero axis in -10..10', () => {
    expect(checkCameraControl({ type: 'forward_up' })).toBeNull();
    expect(checkCameraControl({ type: 'simple', config: { zoom: -10 } })).toBeNull();
    expect(checkCameraControl({ type: 'simple', config: { horizontal: 0, pan: 4.5 } })).toBeNull();
    expect(checkCameraControl({ type: 'orbit' })).toMatchObject({ field: 'camera_control.type', allowed: ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] });
    expect(checkCameraControl({ type: 'simple' })).toMatchObject({ field: 'camera_control.config' });
    expect(checkCameraControl({ type: 'simple', config: { zoom: 1, roll: 2 } })).toMatchObject({ field: 'camera_control.config', message: expect.stringContaining('it has 2') });
    expect(checkCameraControl({ type: 'simple', config: { zoom: 0 } })).toMatchObject({ field: 'camera_control.config' });
    expect(checkCameraControl({ type: 'simple', config: { zoom: 11 } })).toMatchObject({ field: 'camera_control.config.zoom' });
    expect(checkCameraControl({ type: 'simple', config: { dolly: 1 } })).toMatchObject({ field: 'camera_control.config.dolly' });
    expect(checkCameraControl({ type: 'down_back', config: { zoom: 1 } })).toMatchObject({ field: 'camera_control.config', allowed: [] });
    expect(checkKlingVideoInput('text2video', { model_name: 'kling-v1-6', prompt: 'x', camera_control: { type: 'down_back' } })).toMatchObject({ field: 'camera_control', allowed: [] });
    expect(checkKlingVideoInput('text2video', { prompt: 'x', camera_control: { type: 'simple', config: { tilt: 3 } } })).toBeNull();
  });
});
