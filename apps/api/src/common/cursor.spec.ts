import { decodeCursor, encodeCursor } from './cursor.js';

const id = 'abcdefab-abcd-4bcd-abcd-abcdefabcdef';
const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursor', () => {
  it('reads back what it wrote', () => {
    const createdAt = new Date('2026-11-21T10:20:30.456Z');
    expect(decodeCursor(encodeCursor({ createdAt, id }))).toEqual({ createdAt: createdAt.toISOString(), id });
  });

  it.each([
    ['an impossible date', { createdAt: '2026-02-31T00:00:00.000Z', id }],
    ['a bare number', { createdAt: '1', id }],
    ['words', { createdAt: 'March 7', id }],
    ['an HTTP date', { createdAt: 'Tue, 31 Feb 2026 00:00:00 GMT', id }],
    ['a year beyond PostgreSQL', { createdAt: '+275760-09-13T00:00:00.000Z', id }],
    ['no id', { createdAt: '2026-11-21T10:20:30.456Z' }],
    ['a malformed id', { createdAt: '2026-11-21T10:20:30.456Z', id: '------------------------------------' }],
    ['null', null],
  ])('refuses %s with a 400 naming the cursor', (_name, value) => {
    expect(() => decodeCursor(forged(value))).toThrow(expect.objectContaining({ details: [{ field: 'cursor', messages: [expect.stringMatching(/^cursor is not valid/)] }] }));
  });
});
