import { tick } from 'svelte';
import type { FieldErrors } from '$lib/services/api-result';

/**
 * A message, or how to word it: a client-side check may give a function reading the current
 * language's messages, so an error already shown follows a switch of language.
 */
export type ErrorMessage = string | (() => string);
type ErrorInput = Record<string, ErrorMessage | ErrorMessage[] | null | undefined>;

/** The errors shown next to a form's fields, from client-side checks or the API's `details`. */
export class FormErrors {
  all = $state<Record<string, ErrorMessage[]>>({});

  get(field: string): string[] | undefined {
    const messages = worded(this.all[field]);
    return messages.length ? messages : undefined;
  }

  get empty(): boolean {
    return Object.keys(this.all).length === 0;
  }

  /**
   * Runs a form's client-side rules and shows the fields that fail; answers whether all passed.
   * The messages are worded again whenever they are read, so they follow a switch of language
   * (and a field fixed since shows none).
   */
  check(rules: () => ErrorInput): boolean {
    const failing = Object.entries(rules())
      .filter(([, value]) => worded(value).length > 0)
      .map(([field]) => field);
    this.all = Object.fromEntries(failing.map((field) => [field, [() => worded(rules()[field]).join(' ')]]));
    return failing.length === 0;
  }

  /** Replaces every error; `null` entries (passed checks) are dropped. */
  set(errors: ErrorInput | FieldErrors): void {
    this.all = withErrors({}, errors);
  }

  /** Adds errors to the ones shown, keeping the others (e.g. a second action in the same form). */
  merge(errors: ErrorInput | FieldErrors): void {
    this.all = withErrors({ ...this.all }, errors);
  }

  clear(field?: string): void {
    if (field === undefined) this.all = {};
    else if (field in this.all) delete this.all[field];
  }
}

/** The messages as they read now, the empty ones (a rule that passes now) left out. */
function worded(value: ErrorMessage | ErrorMessage[] | null | undefined): string[] {
  const messages = Array.isArray(value) ? value : value ? [value] : [];
  return messages.map((message) => (typeof message === 'function' ? message() : message)).filter(Boolean);
}

function withErrors(next: Record<string, ErrorMessage[]>, errors: ErrorInput | FieldErrors): Record<string, ErrorMessage[]> {
  for (const [field, value] of Object.entries(errors)) {
    if (!value || (Array.isArray(value) && value.length === 0)) continue;
    next[field] = Array.isArray(value) ? value : [value];
  }
  return next;
}

/** Moves the focus to the first field marked invalid, once the errors have rendered. */
export async function focusFirstInvalid(container: HTMLElement | null | undefined): Promise<void> {
  await tick();
  container?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
