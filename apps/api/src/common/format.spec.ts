import { formatBytes, formatDuration } from './format.js';

describe('formatDuration', () => {
  it('says short waits in seconds, longer ones in minutes and hours', () => {
    expect(formatDuration(1000)).toBe('1 second');
    expect(formatDuration(45_000)).toBe('45 seconds');
    expect(formatDuration(15 * 60_000)).toBe('15 minutes');
    expect(formatDuration(60 * 60_000)).toBe('60 minutes');
    expect(formatDuration(2 * 3600_000)).toBe('2 hours');
    expect(formatDuration(150 * 60_000)).toBe('2 hours 30 minutes');
  });
});

describe('formatBytes', () => {
  it('counts in steps of 1024', () => {
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB');
  });
});
