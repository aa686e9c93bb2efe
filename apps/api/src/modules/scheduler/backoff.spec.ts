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

  it('asks about a running job at least every 3 × the minimum when no webhook will tell', () => {
    expect(pollDelayMs({ ...base, polls: 1, running: true })).toBe(1500);
    expect(pollDelayMs({ ...base, polls: 10, running: true })).toBe(3000);
    expect(pollDelayMs({ ...base, polls: 10, running: false })).toBe(15_000);
    // The provider's own "ask again in" still wins.
    expect(pollDelayMs({ ...base, polls: 10, running: true, retryAfterMs: 20_000 })).toBe(20_000);
  });

  it('polls a job whose provider will call back at least 5 × the minimum apart', () => {
    expect(pollDelayMs({ ...base, polls: 0, webhook: true })).toBe(5000);
    expect(pollDelayMs({ ...base, polls: 10, webhook: true, running: true })).toBe(15_000);
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
