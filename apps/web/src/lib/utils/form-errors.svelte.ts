import { tick } from 'svelte';
import type { FieldErrors } from '$lib/services/api-result';

/** The errors shown next to a form's fields, from client-side checks or the API's `details`. */
export class FormErrors {
  all = $state<FieldErrors>({});

  get(field: string): string[] | undefined {
    return this.all[field];
  }

  get empty(): boolean {
    return Object.keys(this.all).length === 0;
  }

  /** Replaces every error; `null` entries (passed checks) are dropped. */
  set(errors: Record<string, string | string[] | null | undefined>): void {
    const next: FieldErrors = {};
    for (const [field, value] of Object.entries(errors)) {
      if (!value || (Array.isArray(value) && value.length === 0)) continue;
      next[field] = Array.isArray(value) ? value : [value];
    }
    this.all = next;
  }

  /** Adds errors to the ones shown, keeping the others (e.g. a second action in the same form). */
  merge(errors: Record<string, string | string[] | null | undefined>): void {
    const next: FieldErrors = { ...this.all };
    for (const [field, value] of Object.entries(errors)) {
      if (!value || (Array.isArray(value) && value.length === 0)) continue;
      next[field] = Array.isArray(value) ? value : [value];
    }
    this.all = next;
  }

  clear(field?: string): void {
    if (field === undefined) this.all = {};
    else if (field in this.all) delete this.all[field];
  }
}

/** Moves the focus to the first field marked invalid, once the errors have rendered. */
export async function focusFirstInvalid(container: HTMLElement | null | undefined): Promise<void> {
  await tick();
  container?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
