import type { Messages } from '$lib/i18n/zh-CN';

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
