/** Mainland China mobile numbers, 11 digits. */
export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

/**
 * Normalises what people type: spaces, dashes, dots and brackets go, as does a +86 or 0086
 * country prefix. Returns null when what remains is not a mainland mobile number.
 */
export function normalizePhone(input: string): string | null {
  let digits = input.trim().replace(/[\s\-().]/g, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  else if (digits.startsWith('0086')) digits = digits.slice(4);
  return MAINLAND_MOBILE.test(digits) ? digits : null;
}
