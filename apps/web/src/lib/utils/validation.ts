import type { Messages } from '$lib/i18n/zh-CN';
import { format } from './format';

/** Client-side checks mirroring the API's; the API's answer stays authoritative. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const NAME_MAX = 100;

export function validateName(value: string, m: Messages): string | null {
  const name = value.trim();
  if (!name) return m.validation.nameRequired;
  if (name.length > NAME_MAX) return m.validation.nameTooLong;
  return null;
}

export function validateEmail(value: string, m: Messages): string | null {
  const email = value.trim();
  if (!email) return m.validation.emailRequired;
  if (!EMAIL.test(email)) return m.validation.emailInvalid;
  return null;
}

/** For a password being chosen: 8 to 128 characters. */
export function validateNewPassword(value: string, m: Messages): string | null {
  if (!value) return m.validation.passwordRequired;
  if (value.length < PASSWORD_MIN || value.length > PASSWORD_MAX) return m.validation.passwordLength;
  return null;
}

/** For a password being checked: only required. */
export function validatePassword(value: string, m: Messages): string | null {
  return value ? null : m.validation.passwordRequired;
}

/** Mainland China mobile numbers, 11 digits (as the API checks them). */
export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
/** What people type around a number: spaces, dashes, dots, brackets. */
const PHONE_DECORATION = /[\s\-().]/g;

/**
 * Mirrors the API's normalisation: drops spaces, dashes, dots and brackets and a +86 or 0086
 * prefix. Returns the 11 digits, or null when what remains is not a mainland mobile number.
 */
export function normalizePhone(value: string): string | null {
  let digits = value.trim().replace(PHONE_DECORATION, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  else if (digits.startsWith('0086')) digits = digits.slice(4);
  return MAINLAND_MOBILE.test(digits) ? digits : null;
}

/** Whether the text so far can only be (the start of) a phone number: digits and phone punctuation. */
export function looksLikePhone(value: string): boolean {
  const text = value.trim();
  return /\d/.test(text) && /^\+?[\d\s\-().]+$/.test(text);
}

export function validatePhone(value: string, m: Messages): string | null {
  if (!value.trim()) return m.validation.phoneRequired;
  return normalizePhone(value) ? null : m.validation.phoneInvalid;
}

/** The 6 digits from the SMS. */
export function validateSmsCode(value: string, m: Messages): string | null {
  const code = value.trim();
  if (!code) return m.validation.codeRequired;
  return /^\d{6}$/.test(code) ? null : m.validation.codeInvalid;
}

/** "138 0013 8000" → "138****8000", to say where a code went without spelling the number out. */
export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : phone;
}

/** What a number input bound with bind:value hands back (a number, a string, or null when empty), checked as a whole number in a range. */
export function validateIntegerRange(input: unknown, range: { min: number; max: number }, m: Messages): string | null {
  const text = String(input ?? '').trim();
  const value = Number(text);
  if (!text || !Number.isInteger(value) || value < range.min || value > range.max) return format(m.validation.integerRange, range);
  return null;
}

/**
 * A provider's base URL as the API takes it (`@IsUrl` http(s) with a host, and no query or
 * fragment, since paths are appended to it). Empty passes unless `required`.
 */
export function validateServiceUrl(input: string, m: Messages, required = false): string | null {
  const url = input.trim();
  if (!url) return required ? m.validation.baseUrlRequired : null;
  if (!/^https?:\/\/[^\s/?#]+(\/\S*)?$/i.test(url)) return m.validation.baseUrlInvalid;
  if (/[?#]/.test(url)) return m.validation.baseUrlQuery;
  return null;
}
