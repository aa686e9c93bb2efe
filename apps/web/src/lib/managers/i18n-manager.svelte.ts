import en from '$lib/i18n/en';
import zhCN, { type Messages } from '$lib/i18n/zh-CN';
import { format } from '$lib/utils/format';
import { storage } from '$lib/utils/storage';

export type Locale = 'zh-CN' | 'en';

const STORAGE_KEY = 'atelier.locale';
const DEFAULT_LOCALE: Locale = 'zh-CN';

const dictionaries: Record<Locale, Messages> = { 'zh-CN': zhCN, en };

/** The languages offered, each named in its own language. */
export const locales: { value: Locale; label: string }[] = (Object.keys(dictionaries) as Locale[]).map((value) => ({
  value,
  label: dictionaries[value].app.languageName,
}));

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && value in dictionaries;
}

class I18nManager {
  #locale = $state<Locale>(DEFAULT_LOCALE);

  constructor() {
    const stored = storage.get(STORAGE_KEY);
    this.#locale = isLocale(stored) ? stored : DEFAULT_LOCALE;
    this.#apply();
  }

  get locale(): Locale {
    return this.#locale;
  }

  /** The messages of the current language; reading it in a template tracks the language. */
  get m(): Messages {
    return dictionaries[this.#locale];
  }

  setLocale(locale: Locale): void {
    this.#locale = locale;
    storage.set(STORAGE_KEY, locale);
    this.#apply();
  }

  toggle(): void {
    this.setLocale(this.#locale === 'zh-CN' ? 'en' : 'zh-CN');
  }

  /** Fills a message's `{placeholders}`. */
  format(template: string, params?: Record<string, string | number>): string {
    return format(template, params);
  }

  formatDateTime(iso: string | null | undefined): string {
    if (!iso) return this.m.common.never;
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return this.m.common.none;
    return new Intl.DateTimeFormat(this.#locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
  }

  formatNumber(value: number): string {
    return new Intl.NumberFormat(this.#locale).format(value);
  }

  #apply(): void {
    if (typeof document !== 'undefined') document.documentElement.lang = this.#locale;
  }
}

export const i18n = new I18nManager();
