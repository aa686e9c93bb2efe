/**
 * When each phone number may be sent another code. The API allows one code per phone per cooldown
 * (whatever the purpose), so the wait is kept per number and survives moving between pages
 * (sign-in → sign-up, or closing and reopening the bind dialog).
 */
class SmsCooldownManager {
  /** Phone → the time (ms since the epoch) another code may be requested. */
  #until = $state<Record<string, number>>({});
  #now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Whole seconds left before `phone` may be sent another code; 0 when it may. */
  remaining(phone: string | null | undefined): number {
    if (!phone) return 0;
    const until = this.#until[phone];
    if (!until) return 0;
    return Math.max(0, Math.ceil((until - this.#now) / 1000));
  }

  /** Starts (or restarts) the wait for `phone`: the API's cooldownSeconds, or Retry-After on a 429. */
  start(phone: string, seconds: number): void {
    if (!(seconds > 0)) return;
    this.#now = Date.now();
    this.#until[phone] = this.#now + seconds * 1000;
    this.#run();
  }

  #run(): void {
    if (this.#timer !== undefined) return;
    // A quarter-second tick keeps the shown seconds in step with the clock.
    this.#timer = setInterval(() => {
      this.#now = Date.now();
      for (const [phone, until] of Object.entries(this.#until)) {
        if (until <= this.#now) delete this.#until[phone];
      }
      if (Object.keys(this.#until).length === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }, 250);
  }
}

export const smsCooldownManager = new SmsCooldownManager();
