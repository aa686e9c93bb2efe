import type { Messages } from '$lib/i18n/zh-CN';
import { looksLikePhone, normalizePhone, validateEmail, validatePhone } from '$lib/utils/validation';

/**
 * The ways a person can identify themselves when signing in or up. The forms have one input
 * (`identifier`) and recognise, as the person types, which of these they are entering; each kind
 * brings its own second factor (an SMS code for a phone, a password for an email).
 */
export interface IdentifierDefinition {
  /** The API's field for this identifier; errors in `details` naming it land on the identifier input. */
  apiField: 'email' | 'phone';
  /** What proves the identifier is yours. */
  secret: 'code' | 'password';
  /** Whether the text typed so far is this kind (checked in the order of `identifiers`). */
  matches: (value: string) => boolean;
  label: (m: Messages) => string;
  /** Client-side check; the API's answer stays authoritative. */
  validate: (value: string, m: Messages) => string | null;
  /** What is sent to the API. */
  normalize: (value: string) => string;
}

export const identifiers = {
  phone: {
    apiField: 'phone',
    secret: 'code',
    // Digits and phone punctuation only: "138 0013 8000", "+86 138-0013-8000".
    matches: looksLikePhone,
    label: (m) => m.auth.phone,
    validate: validatePhone,
    normalize: (value) => normalizePhone(value) ?? value.trim(),
  },
  email: {
    apiField: 'email',
    secret: 'password',
    // Anything else: a QQ address such as "12345@qq.com" reads as a phone until the "@" is typed.
    matches: (value) => value.trim() !== '',
    label: (m) => m.auth.email,
    validate: validateEmail,
    normalize: (value) => value.trim(),
  },
} satisfies Record<string, IdentifierDefinition>;

export type IdentifierKind = keyof typeof identifiers;

/** The name of the one identifier input, and of its errors (`field-error-identifier`). */
export const IDENTIFIER_FIELD = 'identifier';

/** What was typed is, or null while the field is empty. */
export function detectIdentifier(value: string): IdentifierKind | null {
  for (const kind of Object.keys(identifiers) as IdentifierKind[]) {
    if (identifiers[kind].matches(value)) return kind;
  }
  return null;
}

/** Maps the API's `phone` and `email` fields to the identifier input, plus the form's other fields. */
export function identifierFields(...others: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const definition of Object.values(identifiers)) fields[definition.apiField] = IDENTIFIER_FIELD;
  for (const field of others) fields[field] = field;
  return fields;
}
