/** Paths the server owns; links to them are real page loads, never client-side routes. */
const SERVER_PATHS = /^\/(api|media|sandbox)(\/|$)/;

export interface GotoOptions {
  /** Replace the current history entry instead of adding one (redirects). */
  replace?: boolean;
}

/**
 * A small history-API router. Same-origin `<a href>` clicks are handled here, so plain links
 * navigate without a page load; back and forward work through `popstate`.
 */
class RouterManager {
  path = $state('/');
  /** The query string (`?reuse=…`), so a page can follow links to itself with other parameters. */
  search = $state('');
  /** Where to go after signing in, remembered when a signed-out user hits a private page. */
  returnTo: string | null = null;
  /** Counts client-side navigations; 0 on the first page. */
  navigations = $state(0);

  constructor() {
    if (typeof window === 'undefined') return;
    this.path = normalize(location.pathname);
    this.search = location.search;
    window.addEventListener('popstate', () => this.#sync());
    document.addEventListener('click', (event) => this.#onClick(event));
  }

  goto(to: string, options: GotoOptions = {}): void {
    const url = new URL(to, location.href);
    const target = url.pathname + url.search + url.hash;
    const current = location.pathname + location.search + location.hash;
    if (target !== current) {
      if (options.replace) history.replaceState(null, '', target);
      else history.pushState(null, '', target);
    }
    if (!options.replace) window.scrollTo(0, 0);
    this.#sync();
  }

  #sync(): void {
    const path = normalize(location.pathname);
    this.search = location.search;
    if (path !== this.path) {
      this.path = path;
      this.navigations++;
    }
  }

  #onClick(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || !anchor.href || anchor.hasAttribute('download')) return;
    if (anchor.target && anchor.target !== '_self') return;
    if (anchor.getAttribute('rel')?.split(/\s+/).includes('external')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || SERVER_PATHS.test(url.pathname)) return;
    // In-page anchors (e.g. the skip link) keep the browser's behaviour.
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    event.preventDefault();
    this.goto(url.pathname + url.search + url.hash);
  }
}

/** `/settings/` and `/settings` are the same route. */
function normalize(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}

export const router = new RouterManager();
