import type { Action } from 'svelte/action';

/**
 * Keeps a sticky panel that scrolls on its own within the window: its height runs from where it
 * is now (below the page header at first, at its sticky offset once the page has scrolled) to
 * `gap` pixels above the window's bottom. A fixed `100vh - offset` would push the panel's end,
 * and whatever sticks there (the studio's price and 生成 button), below the fold until the page
 * is scrolled. Positions other than sticky (the one-column phone layout) are left alone.
 */
export const fitViewport: Action<HTMLElement, { gap?: number } | undefined> = (node, options) => {
  let gap = options?.gap ?? 16;
  let frame = 0;
  const fit = () => {
    frame = 0;
    if (getComputedStyle(node).position !== 'sticky') {
      node.style.removeProperty('max-height');
      return;
    }
    const top = Math.max(0, node.getBoundingClientRect().top);
    node.style.maxHeight = `${Math.max(240, window.innerHeight - top - gap)}px`;
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(fit);
  };
  fit();
  window.addEventListener('scroll', schedule, { passive: true });
  window.addEventListener('resize', schedule);
  return {
    update(next) {
      gap = next?.gap ?? 16;
      schedule();
    },
    destroy() {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
    },
  };
};
