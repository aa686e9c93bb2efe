import { storage } from '$lib/utils/storage';

export type Theme = 'light' | 'dark';
export type ThemePreference = Theme | 'system';

const STORAGE_KEY = 'atelier.theme';

function isPreference(value: unknown): value is ThemePreference {
  return value === 'light' || value === 'dark' || value === 'system';
}

/**
 * Light or dark theme. Follows the system until the user picks one, then remembers the pick.
 * The CSS already follows the system before any script runs, so there is no flash on load.
 */
class ThemeManager {
  #preference = $state<ThemePreference>('system');
  #systemDark = $state(false);

  constructor() {
    const stored = storage.get(STORAGE_KEY);
    this.#preference = isPreference(stored) ? stored : 'system';
    const query = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
    if (query) {
      this.#systemDark = query.matches;
      query.addEventListener('change', (event) => {
        this.#systemDark = event.matches;
        this.#apply();
      });
    }
    this.#apply();
  }

  get preference(): ThemePreference {
    return this.#preference;
  }

  /** The theme in effect. */
  get theme(): Theme {
    if (this.#preference === 'system') return this.#systemDark ? 'dark' : 'light';
    return this.#preference;
  }

  setPreference(preference: ThemePreference): void {
    this.#preference = preference;
    storage.set(STORAGE_KEY, preference === 'system' ? null : preference);
    this.#apply();
  }

  /** Switches to the other theme and remembers it. */
  toggle(): void {
    this.setPreference(this.theme === 'dark' ? 'light' : 'dark');
  }

  #apply(): void {
    if (typeof document === 'undefined') return;
    const root = document.documentElement;
    const theme = this.theme;
    root.dataset.theme = theme;
    root.classList.toggle('dark', theme === 'dark');
    root.style.colorScheme = theme;
  }
}

export const themeManager = new ThemeManager();
