import { createSubscriber } from 'svelte/reactivity';

/**
 * The time, for things that count up (a running task's elapsed time). Reading `now` in a
 * template or an effect re-runs it every second; the one timer runs only while something reads it.
 */
class ClockManager {
  #subscribe = createSubscriber((update) => {
    const timer = setInterval(update, 1000);
    return () => clearInterval(timer);
  });

  /** Milliseconds since the epoch. */
  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

export const clock = new ClockManager();
