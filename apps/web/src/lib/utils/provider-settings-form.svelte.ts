import { i18n } from '$lib/managers/i18n-manager.svelte';
import type { Result } from '$lib/services/api-result';
import { CheckedAction } from '$lib/utils/checked-action.svelte';
import { type ErrorMessage, FormErrors, focusFirstInvalid } from '$lib/utils/form-errors.svelte';
import { liveRule } from '$lib/utils/live-rule.svelte';
import { validateIntegerRange } from '$lib/utils/validation';

type Range = { min: number; max: number };
type Rules = Record<string, ErrorMessage | null>;
export type ProviderLimitName = 'timeout' | 'maxConcurrentTasks';

interface Options<Config, Health> {
  /** The fields' name prefix (`kling` → `klingTimeout`), as the form's inputs are named. */
  prefix: string;
  limits: Record<ProviderLimitName, Range>;
  /** The connection fields' rules, checked before a connection check and before saving. */
  connectionRules: () => Rules;
  /** The other fields' rules, checked before saving. */
  otherRules?: () => Rules;
  /** Tries what the form holds (`…/config/check`). */
  check: () => Promise<Result<Health>>;
  /** Saves what the form holds, with the limits it is given. */
  save: (limits: Record<ProviderLimitName, number>) => Promise<Result<Config>>;
  /** Fills the form's own fields from the settings (on load and after a save). */
  fill: (config: Config) => void;
  onsaved: (config: Config) => void;
}

/**
 * What every provider's settings form does the same way (Flux, Midjourney, Kling, Jimeng): the
 * timeout and concurrency fields with their live rules, "check connection" of what the form holds
 * (after its connection fields pass their rules), and saving (after every rule passes), with the
 * API's field errors shown and the first wrong field focused. Create it while the component
 * initialises (the live rules are effects).
 */
export class ProviderSettingsForm<Config extends Record<ProviderLimitName, number>, Health> {
  readonly errors = new FormErrors();
  readonly health: CheckedAction<Health>;
  limits = $state<Record<ProviderLimitName, string>>({ timeout: '', maxConcurrentTasks: '' });
  saving = $state(false);
  /** The form element, for focusing its first wrong field (`bind:this`). */
  element = $state<HTMLFormElement | undefined>();

  constructor(private readonly options: Options<Config, Health>) {
    this.health = new CheckedAction(async () => {
      if (!this.errors.check(options.connectionRules)) {
        void this.focusFirstError();
        return { ok: false as const, status: 0, fieldErrors: {} };
      }
      const result = await options.check();
      if (!result.ok) this.errors.set(result.fieldErrors);
      return result;
    });
    for (const name of ['timeout', 'maxConcurrentTasks'] as const) {
      liveRule(this.errors, this.#field(name), () => this.limits[name], () => this.#checkLimit(name));
    }
  }

  /** Fills the form (limits included) from the settings. */
  fill(config: Config): void {
    this.limits = { timeout: String(config.timeout), maxConcurrentTasks: String(config.maxConcurrentTasks) };
    this.options.fill(config);
  }

  readonly submit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    if (this.saving) return;
    const passed = this.errors.check(() => ({
      ...this.options.connectionRules(),
      [this.#field('timeout')]: this.#checkLimit('timeout'),
      [this.#field('maxConcurrentTasks')]: this.#checkLimit('maxConcurrentTasks'),
      ...this.options.otherRules?.(),
    }));
    if (!passed) return this.focusFirstError();
    this.saving = true;
    const result = await this.options.save({ timeout: Number(this.limits.timeout), maxConcurrentTasks: Number(this.limits.maxConcurrentTasks) });
    this.saving = false;
    if (result.ok) {
      this.fill(result.data);
      this.health.clear();
      this.options.onsaved(result.data);
    } else {
      this.errors.set(result.fieldErrors);
      void this.focusFirstError();
    }
  };

  focusFirstError(): Promise<void> {
    return focusFirstInvalid(this.element);
  }

  #field(name: ProviderLimitName): string {
    return `${this.options.prefix}${name[0].toUpperCase()}${name.slice(1)}`;
  }

  #checkLimit(name: ProviderLimitName): string | null {
    return validateIntegerRange(this.limits[name], this.options.limits[name], i18n.m);
  }
}
