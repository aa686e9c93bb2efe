import { SvelteMap } from 'svelte/reactivity';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { creditsManager } from '$lib/managers/credits-manager.svelte';
import {
  cancelTask,
  createTaskEventsToken,
  isTerminal,
  supersedes,
  type Task,
  taskEventsUrl,
} from '$lib/services/tasks.service';

/** Waits before reopening a lost stream: 1 s, 2 s, 4 s … up to 30 s, each give or take a quarter. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Several tasks changing at once (the burst a new stream starts with) refresh the balance once. */
const CREDITS_DELAY_MS = 300;

/** `live`: the stream is open; `connecting`: it is being opened or reopened; `off`: signed out. */
export type TaskEventsState = 'off' | 'connecting' | 'live';

export type TaskListener = (task: Task, previous: Task | undefined) => void;

/**
 * My tasks, by id, kept live by the server's event stream (`GET /api/v1/tasks/events`). Every
 * view of a task (a card in the history, in a studio) reads it from here, so all of them follow
 * its progress. Whatever brings a task (the stream, a page of history, a cancellation), an older
 * copy never replaces a newer one, and a finished task (succeeded, failed, canceled) never goes
 * back to running.
 *
 * The stream is opened with a token that is valid for a minute; when the stream is lost, it is
 * reopened with a new token, resuming after the last event seen, waiting longer after each failure.
 */
class TaskEventsManager {
  state = $state<TaskEventsState>('off');

  #tasks = new SvelteMap<string, Task>();
  #listeners = new Set<TaskListener>();
  /** Deleted here: an event still on its way must not bring them back. */
  #deleted = new Set<string>();
  #owner: string | null = null;
  #source: EventSource | null = null;
  /** The id of the last event received, to resume after it. */
  #lastEventId: string | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #creditsTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts stops, so an answer meant for a stopped stream is dropped. */
  #generation = 0;

  /** The freshest copy of a task, when one is known. */
  get(id: string): Task | undefined {
    return this.#tasks.get(id);
  }

  /** Opens the stream for the signed-in user (once: later calls for the same user do nothing). */
  start(): void {
    const owner = authManager.user?.id ?? null;
    if (!owner) return;
    if (owner === this.#owner && this.state !== 'off') return;
    this.stop();
    this.#owner = owner;
    this.state = 'connecting';
    void this.#connect(this.#generation);
  }

  /** Closes the stream and forgets every task (on sign-out). */
  stop(): void {
    this.#generation++;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#creditsTimer);
    this.#source?.close();
    this.#source = null;
    this.#tasks.clear();
    this.#deleted.clear();
    this.#lastEventId = null;
    this.#attempt = 0;
    this.#owner = null;
    this.state = 'off';
  }

  /**
   * Takes in a copy of a task from elsewhere (a page of history): kept if it is newer than the
   * one known. Returns the copy kept.
   */
  put(task: Task): Task {
    this.#apply(task, false);
    return this.#tasks.get(task.id) ?? task;
  }

  /** Forgets a deleted task. */
  forget(id: string): void {
    this.#deleted.add(id);
    this.#tasks.delete(id);
  }

  /** Called with every change the stream (or a cancellation) brings; returns the unsubscribe. */
  subscribe(listener: TaskListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Cancels a task (the outcome is toasted). Resolves to `canceled`, `failed`, or `started` when
   * the provider has started it and `acceptLoss` was not given: it keeps running, and the caller
   * asks the user whether to cancel it anyway, without a refund.
   */
  async cancel(task: Task, acceptLoss = false): Promise<'canceled' | 'started' | 'failed'> {
    const owner = this.#owner;
    const result = await cancelTask(task, acceptLoss);
    if (!result.ok) return result.errorCode === 'cancel_not_refunded' ? 'started' : 'failed';
    if (owner === this.#owner) this.#apply(result.data.task, true);
    // A refund shows in the balance at once.
    this.#refreshCredits(0);
    return 'canceled';
  }

  async #connect(generation: number): Promise<void> {
    const result = await createTaskEventsToken();
    if (generation !== this.#generation) return;
    if (!result.ok) {
      // The session ended: the app signs out, which stops this.
      if (result.status === 401) return;
      this.#retry(generation);
      return;
    }
    const source = new EventSource(taskEventsUrl(result.data.token, this.#lastEventId ?? this.#newestUpdate()));
    this.#source = source;
    source.addEventListener('open', () => {
      if (this.#source !== source) return;
      this.state = 'live';
      this.#attempt = 0;
    });
    source.addEventListener('task', (event) => {
      if (this.#source !== source) return;
      const message = event as MessageEvent<string>;
      if (message.lastEventId) this.#lastEventId = message.lastEventId;
      let task: Task;
      try {
        task = JSON.parse(message.data) as Task;
      } catch {
        return;
      }
      if (task && typeof task.id === 'string') this.#apply(task, true);
    });
    source.addEventListener('error', () => {
      if (this.#source !== source) return;
      // EventSource would retry with the same token, which expires: reopen with a new one instead.
      source.close();
      this.#source = null;
      this.state = 'connecting';
      this.#retry(generation);
    });
  }

  #retry(generation: number): void {
    clearTimeout(this.#retryTimer);
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.#attempt) * (0.75 + Math.random() * 0.5);
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      if (generation === this.#generation) void this.#connect(generation);
    }, delay);
  }

  /**
   * Where to resume when no event has been seen yet: the newest change among the tasks known
   * (server times), so a task that finished while the stream was down is not missed.
   */
  #newestUpdate(): string | null {
    let newest = 0;
    for (const task of this.#tasks.values()) newest = Math.max(newest, Date.parse(task.updatedAt) || 0);
    return newest > 0 ? String(newest) : null;
  }

  /** Keeps `task` unless the copy known is newer or finished; `notify` tells the listeners. */
  #apply(task: Task, notify: boolean): boolean {
    if (this.#deleted.has(task.id)) return false;
    const previous = this.#tasks.get(task.id);
    if (previous && !supersedes(task, previous)) return false;
    this.#tasks.set(task.id, task);
    if (!notify) return true;
    // Submitted (charged), or finished (refunded when it failed or was canceled early).
    const started = !previous && !isTerminal(task.status);
    const finished = isTerminal(task.status) && previous?.status !== task.status;
    if (started || finished) this.#refreshCredits(CREDITS_DELAY_MS);
    for (const listener of this.#listeners) listener(task, previous);
    return true;
  }

  #refreshCredits(delay: number): void {
    clearTimeout(this.#creditsTimer);
    this.#creditsTimer = setTimeout(() => void creditsManager.refresh(), delay);
  }
}

export const taskEventsManager = new TaskEventsManager();
