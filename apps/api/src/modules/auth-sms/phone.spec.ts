import { normalizePhone } from './phone.js';

describe('normalizePhone', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+8613800138000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['0086-138-0013-8000', '13800138000'],
    [' 199 9999 9999 ', '19999999999'],
    ['(138) 0013.8000', '13800138000'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(['12800138000', '1380013800', '138001380000', '+1 415 555 0100', '+85213800138000', '86 13800138000x', 'phone', ''])('refuses %s', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});
