import { buildImaginePrompt, promptHasFlag } from './params.js';

describe('imagine parameters', () => {
  it('appends every parameter as its flag', () => {
    expect(
      buildImaginePrompt(' a red fox ', { aspectRatio: '16:9', version: '6.1', stylize: 250, chaos: 10, weird: 0, quality: 0.5, seed: 42, no: 'trees,  cars', raw: true, tile: true }),
    ).toEqual({ ok: true, prompt: 'a red fox --ar 16:9 --v 6.1 --stylize 250 --chaos 10 --weird 0 --quality 0.5 --seed 42 --no trees, cars --style raw --tile' });
    expect(buildImaginePrompt('cat', { niji: true })).toEqual({ ok: true, prompt: 'cat --niji' });
    expect(buildImaginePrompt('cat', { niji: '6', raw: false, tile: false })).toEqual({ ok: true, prompt: 'cat --niji 6' });
    expect(buildImaginePrompt('cat')).toEqual({ ok: true, prompt: 'cat' });
  });

  it('leaves a parameter out when the prompt already has its flag, in any spelling', () => {
    expect(buildImaginePrompt('cat --aspect 2:3 --s 50', { aspectRatio: '16:9', stylize: 100, chaos: 5 })).toEqual({ ok: true, prompt: 'cat --aspect 2:3 --s 50 --chaos 5' });
    expect(buildImaginePrompt('cat --niji 6', { version: '7' })).toEqual({ ok: true, prompt: 'cat --niji 6' });
    expect(buildImaginePrompt('cat --style cute', { raw: true, tile: true })).toEqual({ ok: true, prompt: 'cat --style cute --tile' });
    expect(promptHasFlag('cat --ar 1:1', ['ar'])).toBe(true);
    expect(promptHasFlag('cat --arx 1:1', ['ar'])).toBe(false);
    expect(promptHasFlag('cat--ar', ['ar'])).toBe(false);
  });

  it.each([
    [{ aspectRatio: '16x9' }, 'aspectRatio', '--ar'],
    [{ aspectRatio: '0:1' }, 'aspectRatio', '--ar'],
    [{ version: '9' }, 'version', '--v'],
    [{ stylize: 1001 }, 'stylize', '--stylize'],
    [{ stylize: 1.5 }, 'stylize', '--stylize'],
    [{ chaos: -1 }, 'chaos', '--chaos'],
    [{ chaos: 101 }, 'chaos', '--chaos'],
    [{ weird: 3001 }, 'weird', '--weird'],
    [{ quality: 3 }, 'quality', '--quality'],
    [{ seed: 4_294_967_296 }, 'seed', '--seed'],
    [{ seed: -1 }, 'seed', '--seed'],
    [{ no: 'a --tile' }, 'no', '--no'],
    [{ niji: '3' }, 'niji', '--niji'],
    [{ niji: '8' }, 'niji', '--niji'],
    [{ version: '6.10' }, 'version', '--v'],
    [{ version: '6', niji: true }, 'niji', '--niji'],
    [{ raw: 'yes' as unknown as boolean }, 'raw', '--style raw'],
  ])('refuses %j naming %s', (params, field, flag) => {
    expect(buildImaginePrompt('cat', params)).toEqual({ ok: false, field, flag, message: expect.any(String) });
  });

  it('names a bad value even when the prompt has its own flag', () => {
    expect(buildImaginePrompt('cat --s 50', { stylize: 5000 })).toMatchObject({ ok: false, field: 'stylize' });
  });
});
