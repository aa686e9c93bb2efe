import { authManager } from '$lib/managers/auth-manager.svelte';
import { taskEventsManager } from '$lib/managers/task-events-manager.svelte';
import { listHistory } from '$lib/services/history.service';
import type { Task, TaskKind, TaskSource, TaskStatus } from '$lib/services/tasks.service';

/** Generations per page (the API's default). */
export const HISTORY_PAGE_SIZE = 30;

/**
 * My generations: the filters and the pages loaded so far, newest first. The tasks themselves
 * live in the task events manager, so the cards follow their progress; tasks that start (or
 * reach the filtered status) while the page is open join the list in their place, usually the top.
 * Kept while moving between pages, so the filters survive a visit elsewhere; the list is
 * reloaded on each visit.
 */
class HistoryManager {
  /** The ids of the tasks shown, newest first. */
  ids = $state<string[]>([]);
  nextCursor = $state<string | null>(null);
  source = $state<TaskSource | ''>('');
  kind = $state<TaskKind | ''>('');
  status = $state<TaskStatus | ''>('');
  /** `loading`: the first page for the current filters is on its way. */
  loadStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  loadingMore = $state(false);

  /** Only the answer to the latest first-page request is used. */
  #request = 0;
  /** Whose history `ids` is, so another account never sees it, even for a moment. */
  #owner: string | null = null;
  /** Copies of the tasks shown, for when the events manager has forgotten them (signed out). */
  #loaded = new Map<string, Task>();
  /** Tasks the stream brought while a first page was on its way: that page may predate them. */
  #arrivedWhileLoading = new Map<string, Task>();

  constructor() {
    taskEventsManager.subscribe((task) => this.#onTask(task));
  }

  /** The tasks shown, each in its freshest known state. */
  get items(): Task[] {
    const items: Task[] = [];
    for (const id of this.ids) {
      const task = taskEventsManager.get(id) ?? this.#loaded.get(id);
      if (task) items.push(task);
    }
    return items;
  }

  get filtered(): boolean {
    return this.source !== '' || this.kind !== '' || this.status !== '';
  }

  /** Loads the first page for the current filters. */
  async reload(): Promise<void> {
    const owner = authManager.user?.id ?? null;
    if (owner !== this.#owner) {
      this.ids = [];
      this.#loaded.clear();
      this.nextCursor = null;
      this.#owner = owner;
    }
    const id = ++this.#request;
    this.#arrivedWhileLoading.clear();
    this.loadStatus = 'loading';
    this.loadingMore = false;
    const result = await listHistory({ ...this.#query(), limit: HISTORY_PAGE_SIZE });
    if (id !== this.#request) return;
    if (!result.ok) {
      this.loadStatus = 'error';
      return;
    }
    this.#loaded.clear();
    this.ids = this.#take(result.data.items);
    this.nextCursor = result.data.nextCursor;
    this.loadStatus = 'ready';
    const arrived = [...this.#arrivedWhileLoading.values()];
    this.#arrivedWhileLoading.clear();
    for (const task of arrived) this.#onTask(taskEventsManager.get(task.id) ?? task);
  }

  /** Loads the next page; resolves to whether one was added. */
  async loadMore(): Promise<boolean> {
    const cursor = this.nextCursor;
    if (!cursor || this.loadingMore || this.loadStatus !== 'ready') return false;
    const id = this.#request;
    this.loadingMore = true;
    const result = await listHistory({ ...this.#query(), cursor, limit: HISTORY_PAGE_SIZE });
    // The filters changed meanwhile: this page belongs to the old list.
    if (id !== this.#request) return false;
    this.loadingMore = false;
    if (!result.ok) return false;
    const seen = new Set(this.ids);
    this.ids.push(...this.#take(result.data.items).filter((taskId) => !seen.has(taskId)));
    this.nextCursor = result.data.nextCursor;
    return true;
  }

  /** Takes a deleted task out of the list. */
  remove(id: string): void {
    this.ids = this.ids.filter((taskId) => taskId !== id);
    this.#loaded.delete(id);
    taskEventsManager.forget(id);
  }

  #take(tasks: Task[]): string[] {
    for (const task of tasks) this.#loaded.set(task.id, taskEventsManager.put(task));
    return tasks.map((task) => task.id);
  }

  #query() {
    return { source: this.source || undefined, kind: this.kind || undefined, status: this.status || undefined };
  }

  /**
   * A task changed: one not shown yet joins the list when it matches the filters and falls
   * among the pages loaded (an older one comes with a later page).
   */
  #onTask(task: Task): void {
    if (this.#owner !== authManager.user?.id) return;
    if (this.loadStatus === 'loading') {
      this.#arrivedWhileLoading.set(task.id, task);
      return;
    }
    if (this.loadStatus !== 'ready') return;
    if (this.ids.includes(task.id) || !this.#matches(task)) return;
    const items = this.items;
    let index = items.findIndex((shown) => newerFirst(task, shown) < 0);
    if (index === -1) {
      // Older than everything shown: it belongs to a page not loaded yet.
      if (this.nextCursor) return;
      index = items.length;
    }
    this.#loaded.set(task.id, task);
    this.ids.splice(index, 0, task.id);
  }

  #matches(task: Task): boolean {
    if (this.source && task.provider !== this.source) return false;
    if (this.kind && task.kind !== this.kind) return false;
    if (this.status && task.status !== this.status) return false;
    return true;
  }
}

/** The API's order: newest first (created_at, then id, descending). */
function newerFirst(a: Task, b: Task): number {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

export const historyManager = new HistoryManager();
