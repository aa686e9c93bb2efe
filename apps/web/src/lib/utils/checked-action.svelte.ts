import type { Result } from '$lib/services/api-result';

/**
 * A check run from a button ("check connection", "test storage"): a second press while it runs is
 * ignored, and its last answer is kept (for the form to show) until the next run or `clear()`.
 */
export class CheckedAction<T> {
  running = $state(false);
  answer = $state<T | null>(null);

  constructor(private readonly run: () => Promise<Result<T>>) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.answer = null;
    const result = await this.run();
    this.running = false;
    if (result.ok) this.answer = result.data;
  }

  clear(): void {
    this.answer = null;
  }
}
