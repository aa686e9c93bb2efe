import { pollDelayMs } from './backoff.js';

const base = { minMs: 1000, maxMs: 15_000, random: 0.5 };

describe('pollDelayMs', () => {
  it('starts at the minimum and grows by half each poll', () => {
    expect(pollDelayMs({ ...base, polls: 0 })).toBe(1000);
    expect(pollDelayMs({ ...base, polls: 1 })).toBe(1500);
    expect(pollDelayMs({ ...base, polls: 2 })).toBe(2250);
  });

  it('never waits longer than the maximum', () => {
    expect(pollDelayMs({ ...base, polls: 50 })).toBe(15_000);
    expect(pollDelayMs({ ...base, polls: 5000 })).toBe(15_000);
  });

  it('asks less often about tasks far back in the queue', () => {
    expect(pollDelayMs({ ...base, polls: 0, queuePosition: 10 })).toBe(6000);
    expect(pollDelayMs({ ...base, polls: 0, queuePosition: 1000 })).toBe(15_000);
    expect(pollDelayMs({ ...base, polls: 0, queuePosition: 0 })).toBe(1000);
  });

  it('follows the provider asking to wait, within reason', () => {
    expect(pollDelayMs({ ...base, polls: 0, retryAfterMs: 30_000 })).toBe(30_000);
    expect(pollDelayMs({ ...base, polls: 0, retryAfterMs: 3_600_000 })).toBe(60_000);
    expect(pollDelayMs({ ...base, polls: 3, retryAfterMs: 10 })).toBe(3375);
  });

  it('spreads by at most 10% either way', () => {
    expect(pollDelayMs({ ...base, polls: 0, random: 0 })).toBe(900);
    expect(pollDelayMs({ ...base, polls: 0, random: 1 })).toBe(1100);
    for (let i = 0; i < 100; i++) {
      const delay = pollDelayMs({ minMs: 1000, maxMs: 15_000, polls: 4 });
      expect(delay).toBeGreaterThanOrEqual(4556);
      expect(delay).toBeLessThanOrEqual(5569);
    }
  });
});
