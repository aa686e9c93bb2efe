import type { HTMLInputAttributes } from 'svelte/elements';
import type { Messages } from '$lib/i18n/zh-CN';
import { validateEmail } from '$lib/utils/validation';

/**
 * The ways a person can identify themselves when signing in or up. Only email exists today;
 * phone sign-in is added by adding an entry here (and its messages), with no change to the forms'
 * markup: `IdentifierField` renders whichever kind it is given.
 */
export interface IdentifierDefinition {
  /** The input's name, which is also the API's field name (errors in `details` land on it). */
  name: string;
  type: 'email' | 'tel' | 'text';
  autocomplete: HTMLInputAttributes['autocomplete'];
  inputmode: HTMLInputAttributes['inputmode'];
  label: (m: Messages) => string;
  placeholder: (m: Messages) => string;
  /** Client-side check; the API's answer stays authoritative. */
  validate: (value: string, m: Messages) => string | null;
  /** What is sent to the API. */
  normalize: (value: string) => string;
}

export const identifiers = {
  email: {
    name: 'email',
    type: 'email',
    autocomplete: 'email',
    inputmode: 'email',
    label: (m) => m.auth.email,
    placeholder: (m) => m.auth.emailPlaceholder,
    validate: validateEmail,
    normalize: (value) => value.trim(),
  },
} satisfies Record<string, IdentifierDefinition>;

export type IdentifierKind = keyof typeof identifiers;
