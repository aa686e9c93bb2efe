import { checkPromptFlags } from './midjourney-prompt.js';

describe('checkPromptFlags', () => {
  it('accepts prompts without flags and with known, well-formed ones', () => {
    for (const prompt of ['a cat', 'a cat --ar 16:9 --v 7 --s 250 --chaos 20 --q .5 --seed 42', 'a cat --no text, people --style raw --tile', 'a cat --niji', 'a cat --niji 6 --iw 1.5', 'a cat --p', 'a--b'])
      expect([prompt, checkPromptFlags(prompt)]).toEqual([prompt, null]);
  });

  it('names an unknown flag', () => {
    expect(checkPromptFlags('a cat --foo 3')).toEqual({ flag: '--foo', message: '--foo is not a Midjourney parameter' });
  });

  it('names a value out of range or malformed, and a missing value', () => {
    expect(checkPromptFlags('a cat --chaos 500')?.message).toBe('--chaos must be a whole number from 0 to 100');
    expect(checkPromptFlags('a cat --s 1.5')?.message).toBe('--s must be a whole number from 0 to 1000');
    expect(checkPromptFlags('a cat --ar 16x9')?.message).toBe('--ar must be two whole numbers like 16:9');
    expect(checkPromptFlags('a cat --ar 0:9')?.message).toBe('--ar must be two whole numbers like 16:9');
    expect(checkPromptFlags('a cat --q 3')?.message).toBe('--q must be one of 0.25, 0.5, 1, 2, 4');
    expect(checkPromptFlags('a cat --v 12')?.message).toBe('--v must be a model version like 6.1 or 7');
    expect(checkPromptFlags('a cat --niji 9')?.message).toBe('--niji must be a niji version from 4 to 7');
    expect(checkPromptFlags('a cat --seed')?.message).toBe('--seed needs a value');
    expect(checkPromptFlags('a cat --zoom 3')?.message).toBe('--zoom must be a number from 1 to 2');
  });
});
