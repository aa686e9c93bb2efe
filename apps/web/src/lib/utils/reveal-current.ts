/**
 * Scrolls a horizontally scrolling strip of links (the admin sections, the phone's navigation) so
 * that the current one (`aria-current`) is in view, centred when it can be, without moving the page.
 */
export function revealCurrent(strip: HTMLElement): void {
  const current = strip.querySelector<HTMLElement>('[aria-current="page"]');
  if (!current || strip.scrollWidth <= strip.clientWidth) return;
  const left = current.getBoundingClientRect().left - strip.getBoundingClientRect().left + strip.scrollLeft;
  strip.scrollLeft = left - (strip.clientWidth - current.offsetWidth) / 2;
}
