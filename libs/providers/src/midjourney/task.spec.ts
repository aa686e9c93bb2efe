import { normalizeTask, parseDescribePrompts, parseProgress, phaseOf } from './task.js';

describe('Midjourney task', () => {
  it.each([
    ['45%', 45],
    ['0%', 0],
    ['100%', 100],
    ['12.6%', 13],
    ['150%', 100],
    ['', null],
    [null, null],
    [undefined, null],
    ['abc', null],
    [55, 55],
  ])('progress %j → %j', (raw, value) => {
    expect(parseProgress(raw)).toBe(value);
  });

  it.each([
    ['NOT_START', null, 'queued'],
    ['SUBMITTED', null, 'queued'],
    ['MODAL', null, 'modal'],
    ['IN_PROGRESS', null, 'running'],
    ['SUCCESS', null, 'succeeded'],
    ['FAILURE', 'Banned prompt', 'failed'],
    ['FAILURE', '取消任务', 'canceled'],
    ['CANCEL', null, 'canceled'],
    [null, null, 'running'],
  ] as const)('%s (%s) is %s', (status, reason, phase) => {
    expect(phaseOf(status, reason)).toBe(phase);
  });

  it('normalizes the documented task object, keeping ids as strings', () => {
    const task = normalizeTask({
      id: '1689231405853400',
      action: 'IMAGINE',
      status: 'IN_PROGRESS',
      prompt: '猫猫',
      promptEn: 'Cat',
      description: '/imagine 猫猫',
      state: 'my-biz-id',
      submitTime: 1689231405854,
      startTime: 1689231442755,
      finishTime: null,
      progress: '45%',
      imageUrl: 'https://cdn.discordapp.com/x.png',
      failReason: null,
      properties: { finalPrompt: 'Cat --v 6', notifyHook: 'https://x' },
      buttons: [{ customId: 'MJ::JOB::upsample::1::3dbb', emoji: '', label: 'U1', type: 2, style: 2 }],
      seed: '123',
    });
    expect(task).toMatchObject({
      id: '1689231405853400',
      action: 'IMAGINE',
      status: 'IN_PROGRESS',
      phase: 'running',
      terminal: false,
      progress: 45,
      imageUrl: 'https://cdn.discordapp.com/x.png',
      failReason: null,
      finalPrompt: 'Cat --v 6',
      state: 'my-biz-id',
      submitTime: 1689231405854,
      finishTime: null,
      buttons: [expect.objectContaining({ label: 'U1' })],
    });
    expect(task.raw.seed).toBe('123');
  });

  it('normalizes a novicezk failure (progress "", no buttons) and an unknown status', () => {
    expect(normalizeTask({ id: '1', status: 'FAILURE', progress: '', failReason: 'Job failed', finishTime: 5 })).toMatchObject({
      phase: 'failed',
      terminal: true,
      progress: null,
      failReason: 'Job failed',
      buttons: [],
      finalPrompt: null,
    });
    expect(normalizeTask({ id: '1', status: 'SUCCESS', progress: '' }).progress).toBe(100);
    expect(normalizeTask({ id: '1', status: 'WHATEVER' })).toMatchObject({ status: null, phase: 'running', terminal: false });
  });

  it('splits describe answers into four prompts', () => {
    const emoji = '1️⃣ a cat on a mat --ar 1:1\n\n2️⃣ a sleepy cat,\nwatercolor --ar 1:1\n\n3️⃣ kitten --ar 1:1\n\n4️⃣ tabby --ar 1:1';
    expect(parseDescribePrompts(emoji)).toEqual(['a cat on a mat --ar 1:1', 'a sleepy cat, watercolor --ar 1:1', 'kitten --ar 1:1', 'tabby --ar 1:1']);
    expect(parseDescribePrompts('1. one\n2. two\n3. three\n4. four')).toEqual(['one', 'two', 'three', 'four']);
    expect(parseDescribePrompts(null)).toEqual([]);
  });
});
