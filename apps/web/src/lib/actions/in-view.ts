import type { Action } from 'svelte/action';

/**
 * Calls `callback` each time the element comes into (or near) view and when it leaves, e.g. to
 * load the next page at the end of a list, or to load a video's first frame only when it is seen.
 */
export const inView: Action<HTMLElement, { onchange: (visible: boolean) => void; margin?: string }> = (node, params) => {
  let current = params;
  if (typeof IntersectionObserver === 'undefined') {
    current.onchange(true);
    return {};
  }
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) current.onchange(entry.isIntersecting);
    },
    { rootMargin: current.margin ?? '0px' },
  );
  observer.observe(node);
  return {
    update(next) {
      current = next;
    },
    destroy() {
      observer.disconnect();
    },
  };
};
