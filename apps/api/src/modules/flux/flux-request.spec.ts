import { findFluxModel, FLUX_MODELS } from './flux-models.js';
import { checkParameters } from './flux-request.js';

const model = (id: string) => findFluxModel(id)!;

describe('FLUX catalogue', () => {
  it('has the 11 models with unique ids, names in both languages and a price', () => {
    expect(FLUX_MODELS).toHaveLength(11);
    expect(new Set(FLUX_MODELS.map((m) => m.id)).size).toBe(11);
    for (const m of FLUX_MODELS) {
      expect(m.name.en && m.name.zhCN && m.description.en && m.description.zhCN).toBeTruthy();
      expect(m.defaultPrice).toBeGreaterThan(0);
    }
  });

  it('gives flux-1 image sizes and Kontext aspect ratios, strength only to image-to-image', () => {
    const names = (id: string) => model(id).parameters.map((p) => p.name);
    expect(names('fal-ai/flux-1/dev')).toContain('imageSize');
    expect(names('fal-ai/flux-pro/kontext/text-to-image')).toContain('aspectRatio');
    expect(names('fal-ai/flux-pro/kontext/text-to-image')).not.toContain('imageSize');
    expect(FLUX_MODELS.filter((m) => m.parameters.some((p) => p.name === 'strength')).map((m) => m.id)).toEqual(['fal-ai/flux-1/dev/image-to-image']);
    expect(model('fal-ai/flux-1/schnell').parameters.find((p) => p.name === 'numInferenceSteps')).toMatchObject({ min: 1, max: 12, default: 4 });
    expect(model('fal-ai/flux-pro/kontext/max/multi')).toMatchObject({ imageInput: 'multi', maxImages: 4 });
    expect(model('fal-ai/flux-1/dev/redux').prompt).toBe('none');
  });
});

describe('checkParameters', () => {
  it('maps camelCase parameters to fal names', () => {
    const checked = checkParameters(model('fal-ai/flux-1/dev'), ' a fox ', { imageSize: { width: 1024, height: 512 }, numImages: 2, guidanceScale: 4.5, numInferenceSteps: 30, seed: 7, outputFormat: 'png', enableSafetyChecker: false });
    expect(checked).toEqual({
      problems: [],
      wire: { prompt: 'a fox', image_size: { width: 1024, height: 512 }, num_images: 2, guidance_scale: 4.5, num_inference_steps: 30, seed: 7, output_format: 'png', enable_safety_checker: false },
      values: { imageSize: { width: 1024, height: 512 }, numImages: 2, guidanceScale: 4.5, numInferenceSteps: 30, seed: 7, outputFormat: 'png', enableSafetyChecker: false },
    });
  });

  it('sends the safety tolerance as the string fal wants', () => {
    const checked = checkParameters(model('fal-ai/flux-pro/kontext/text-to-image'), 'x', { safetyTolerance: 5, aspectRatio: '16:9' });
    expect(checked.wire).toEqual({ prompt: 'x', safety_tolerance: '5', aspect_ratio: '16:9' });
    // Kept with the task as sent to fal.
    expect(checked.values).toEqual({ safetyTolerance: '5', aspectRatio: '16:9' });
  });

  it('names each bad field with what is allowed', () => {
    const { problems } = checkParameters(model('fal-ai/flux-1/schnell'), '', {
      numInferenceSteps: 13,
      strength: 0.5,
      aspectRatio: '1:1',
      imageSize: 'huge',
      numImages: 1.5,
    });
    expect(problems).toEqual([
      { field: 'prompt', messages: ['prompt is required for FLUX.1 [schnell]'] },
      { field: 'numInferenceSteps', messages: ['numInferenceSteps must be a whole number from 1 to 12'] },
      { field: 'strength', messages: ['FLUX.1 [schnell] does not take strength (it takes: imageSize, numImages, numInferenceSteps, seed, outputFormat, enableSafetyChecker)'] },
      { field: 'aspectRatio', messages: ['FLUX.1 [schnell] does not take aspectRatio (it takes: imageSize, numImages, numInferenceSteps, seed, outputFormat, enableSafetyChecker)'] },
      { field: 'imageSize', messages: ['imageSize must be one of: square_hd, square, portrait_4_3, portrait_16_9, landscape_4_3, landscape_16_9, or { width, height }'] },
      { field: 'numImages', messages: ['numImages must be a whole number from 1 to 4'] },
    ]);
    expect(checkParameters(model('fal-ai/flux-pro/kontext'), 'x', { safetyTolerance: '7', enableSafetyChecker: true }).problems.map((p) => p.field)).toEqual(['safetyTolerance', 'enableSafetyChecker']);
    expect(checkParameters(model('fal-ai/flux-1/dev'), 'x', { imageSize: { width: 100, height: 512 } }).problems[0].messages[0]).toMatch(/from 256 to 2048/);
  });

  it('refuses a prompt for redux', () => {
    expect(checkParameters(model('fal-ai/flux-1/dev/redux'), 'x', {}).problems).toEqual([{ field: 'prompt', messages: ['FLUX.1 [dev] Redux takes no prompt: it makes variations of the image'] }]);
    expect(checkParameters(model('fal-ai/flux-1/dev/redux'), undefined, {}).problems).toEqual([]);
  });
});
