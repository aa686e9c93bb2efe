import { KlingError, klingErrorKind } from '@atelier/providers/kling';
import { translateKlingError } from './kling.adapter.js';
import { apiFieldName, checkTaskInput, wireOf } from './kling-request.js';

const error = (code: number, message = `code ${code}`) => new KlingError(klingErrorKind(code), message, { code });

describe('Kling requests', () => {
  it('sends our request in Kling words: duration and sound as strings, no aspect ratio for frames', () => {
    expect(wireOf({ family: 'text2video', model: 'kling-v2-6', prompt: 'x', mode: 'pro', duration: 10, sound: true, aspectRatio: '9:16' })).toEqual({
      model_name: 'kling-v2-6',
      prompt: 'x',
      mode: 'pro',
      duration: '10',
      sound: 'on',
      aspect_ratio: '9:16',
    });
    expect(wireOf({ family: 'image2video', model: 'kling-v1', mode: 'std', duration: 5, startFileId: 'a' }, { image: 'QUJD' })).toEqual({ model_name: 'kling-v1', mode: 'std', duration: '5', image: 'QUJD' });
  });

  it('names our field and the allowed values', () => {
    expect(apiFieldName('camera_control.config.pan')).toBe('cameraControl.config.pan');
    expect(apiFieldName('image_tail')).toBe('endImage');
    expect(checkTaskInput({ family: 'text2video', model: 'kling-v2-6', prompt: 'x', mode: 'std', duration: 7 })).toEqual({ field: 'duration', messages: ['duration must be one of: 5, 10 (for kling-v2-6)'] });
    expect(checkTaskInput({ family: 'text2video', model: 'kling-v2-master', prompt: 'x', mode: 'std', duration: 5, cfgScale: 0.5 })).toEqual({ field: 'cfgScale', messages: ['kling-v2-master does not take cfgScale here: leave it out'] });
    expect(checkTaskInput({ family: 'text2video', model: 'kling-v2-6', prompt: 'x', mode: 'pro', duration: 5, sound: true })).toBeNull();
  });
});

describe('Kling codes in the task engine words', () => {
  it('refuses on balance, waits on busy and 5xx, rejects content and fields', () => {
    expect(translateKlingError(error(1101)).kind).toBe('refused');
    expect(translateKlingError(error(1102)).kind).toBe('refused');
    expect(translateKlingError(error(1302)).kind).toBe('transient');
    expect(translateKlingError(error(1303)).kind).toBe('transient');
    expect(translateKlingError(error(5001)).kind).toBe('transient');
    const policy = translateKlingError(error(1301));
    expect([policy.kind, policy.options.contentFlagged]).toEqual(['rejected', true]);
    const field = translateKlingError(new KlingError('validation', 'bad', { code: 1201, field: 'cfg_scale' }));
    expect([field.kind, field.options.fields]).toEqual(['rejected', [{ field: 'cfgScale', messages: ['bad'] }]]);
    expect(translateKlingError(error(1000)).kind).toBe('refused');
  });
});
