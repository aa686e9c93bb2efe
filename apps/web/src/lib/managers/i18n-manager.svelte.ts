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

  /** A compact date and time, e.g. "2026/11/21 09:57", for tight places such as cards. */
  formatDateTimeShort(iso: string | null | undefined): string {
    if (!iso) return this.m.common.never;
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return this.m.common.none;
    return new Intl.DateTimeFormat(this.#locale, { dateStyle: 'short', timeStyle: 'short' }).format(date);
  }

  formatNumber(value: number): string {
    return new Intl.NumberFormat(this.#locale).format(value);
  }

  /** A day such as "11月21日" or "Nov 21", for a YYYY-MM-DD date or a timestamp. */
  formatDay(value: string): string {
    // A bare date is a calendar day: read it at noon UTC so no time zone moves it.
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00Z` : value);
    if (Number.isNaN(date.getTime())) return value;
    const options: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' };
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) options.timeZone = 'UTC';
    return new Intl.DateTimeFormat(this.#locale, options).format(date);
  }

  /** 0..1 as a percentage, e.g. "97.5%". */
  formatPercent(ratio: number): string {
    return new Intl.NumberFormat(this.#locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
  }

  /** A size in bytes, in binary units: "1.5 MB". */
  formatBytes(bytes: number | null | undefined): string {
    if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return this.m.common.none;
    const units = this.m.common.byteUnits;
    let value = Math.max(0, bytes);
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    const digits = unit === 0 ? 0 : value < 10 ? 1 : 0;
    const number = new Intl.NumberFormat(this.#locale, { maximumFractionDigits: digits }).format(value);
    return `${number} ${units[unit]}`;
  }

  /** Seconds as m:ss (or h:mm:ss). */
  formatDuration(seconds: number | null | undefined): string {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return this.m.common.none;
    const total = Math.round(seconds);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
  }

  #apply(): void {
    if (typeof document !== 'undefined') document.documentElement.lang = this.#locale;
  }
}

export const i18n = new I18nManager();
