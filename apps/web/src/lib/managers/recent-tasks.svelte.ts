import { taskEventsManager } from '$lib/managers/task-events-manager.svelte';
import type { Result } from '$lib/services/api-result';
import type { Task, TaskPage } from '$lib/services/tasks.service';

/** Recent tasks per page below a studio's form. */
export const RECENT_PAGE_SIZE = 12;

/** The API's order: newest first (created_at, then id, descending). */
export function newerFirst(a: Task, b: Task): number {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

/**
 * A studio's recent tasks (its provider's, or its kind's), newest first, a page at a time, kept
 * current by the task stream: a task the stream brings that belongs here joins the list in its
 * place. Also keeps a copy of every task it was given, for when the events manager does not know
 * one. An answer to a request made before `reset()` (another user signed in) is dropped.
 */
export class RecentTasks {
  ids = $state<string[]>([]);
  cursor = $state<string | null>(null);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  loadingMore = $state(false);

  #loaded = new Map<string, Task>();
  #request = 0;

  constructor(
    private readonly list: (query: { limit: number; cursor?: string }) => Promise<Result<TaskPage>>,
    private readonly belongs: (task: Task) => boolean,
    private readonly pageSize = RECENT_PAGE_SIZE,
  ) {}

  /** Loads the first page (again). */
  async load(): Promise<void> {
    const id = ++this.#request;
    if (this.status !== 'ready') this.status = 'loading';
    const result = await this.list({ limit: this.pageSize });
    if (id !== this.#request) return;
    if (!result.ok) {
      if (this.status !== 'ready') this.status = 'error';
      return;
    }
    this.ids = this.#take(result.data.items);
    this.cursor = result.data.nextCursor;
    this.status = 'ready';
  }

  async loadMore(): Promise<void> {
    const cursor = this.cursor;
    if (!cursor || this.loadingMore || this.status !== 'ready') return;
    const id = this.#request;
    this.loadingMore = true;
    const result = await this.list({ limit: this.pageSize, cursor });
    if (id !== this.#request) return;
    this.loadingMore = false;
    if (!result.ok) return;
    const seen = new Set(this.ids);
    this.ids.push(...this.#take(result.data.items).filter((taskId) => !seen.has(taskId)));
    this.cursor = result.data.nextCursor;
  }

  /** Keeps a copy of a task given elsewhere (one just submitted). */
  remember(task: Task): void {
    this.#loaded.set(task.id, task);
  }

  /** The tasks of these ids, as the task stream or the pages loaded know them. */
  tasks(ids: readonly string[]): Task[] {
    const tasks: Task[] = [];
    for (const id of ids) {
      const task = taskEventsManager.get(id) ?? this.#loaded.get(id);
      if (task) tasks.push(task);
    }
    return tasks;
  }

  /** A task the stream brings: one that belongs here and is not listed joins the list in its place. */
  offer(task: Task): void {
    if (!this.belongs(task) || this.status !== 'ready' || this.ids.includes(task.id)) return;
    const recent = this.tasks(this.ids);
    let index = recent.findIndex((shown) => newerFirst(task, shown) < 0);
    if (index === -1) {
      // Older than every task listed: it belongs on a page not loaded yet, unless there is none.
      if (this.cursor) return;
      index = recent.length;
    }
    this.#loaded.set(task.id, task);
    this.ids.splice(index, 0, task.id);
  }

  /** Forgets everything (another user signed in); answers still on their way are dropped. */
  reset(): void {
    this.#request++;
    this.#loaded.clear();
    this.ids = [];
    this.cursor = null;
    this.status = 'idle';
    this.loadingMore = false;
  }

  #take(tasks: Task[]): string[] {
    for (const task of tasks) this.#loaded.set(task.id, taskEventsManager.put(task));
    return tasks.map((task) => task.id);
  }
}
