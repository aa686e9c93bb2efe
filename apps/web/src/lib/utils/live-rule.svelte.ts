import type { FormErrors } from './form-errors.svelte';

/**
 * Shows a field's client-side rule while it is typed in, not only on submit: whenever `value`
 * changes after the form was filled, the field's message is set (still failing) or cleared
 * (fixed). Only the value is tracked, so a language switch or another field's edit never clears
 * a message the API gave. Call it while the component initialises.
 */
export function liveRule(errors: FormErrors, field: string, value: () => unknown, rule: () => string | null): void {
  let first = true;
  $effect(() => {
    value();
    if (first) {
      first = false;
      return;
    }
    // After the input event has run its course: the field's own handler (delegated, so it runs
    // after this effect) clears the field's errors on every keystroke.
    const timer = setTimeout(() => {
      if (rule()) errors.merge({ [field]: () => rule() ?? '' });
      else errors.clear(field);
    });
    return () => clearTimeout(timer);
  });
}
