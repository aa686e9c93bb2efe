import { tick } from 'svelte';
import type { Messages } from '$lib/i18n/zh-CN';
import { i18n } from '$lib/managers/i18n-manager.svelte';
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
    return this.all[field]?.map((message) => (typeof message === 'function' ? message() : message));
  }

  get empty(): boolean {
    return Object.keys(this.all).length === 0;
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

/**
 * A client-side check's message, worded in whatever language is shown when it is read (null when
 * the value passes). The check should use values captured at submission, not live fields.
 */
export function worded(check: (messages: Messages) => string | null | undefined): ErrorMessage | null {
  return check(i18n.m) ? () => check(i18n.m) ?? '' : null;
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
