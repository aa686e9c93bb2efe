import type { PreviousOutput } from '$lib/managers/studio-manager.svelte';
import { listHistory } from '$lib/services/history.service';
import { isVideoOutput, type Task } from '$lib/services/tasks.service';

/** Earlier images per page (any provider: a Flux image, a Midjourney upscale, a DreamWork result, …). */
const PAGE_SIZE = 24;

/** Earlier image results of any provider, offered as inputs ("use a previous result"), paged. */
export class PreviousImages {
  tasks = $state<Task[]>([]);
  cursor = $state<string | null>(null);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  loadingMore = $state(false);
  #request = 0;

  get outputs(): PreviousOutput[] {
    return imageOutputs(this.tasks);
  }

  async load(): Promise<void> {
    const id = ++this.#request;
    if (this.status !== 'ready') this.status = 'loading';
    const result = await listHistory({ kind: 'image', status: 'succeeded', limit: PAGE_SIZE });
    if (id !== this.#request) return;
    if (!result.ok) {
      if (this.status !== 'ready') this.status = 'error';
      return;
    }
    this.tasks = result.data.items;
    this.cursor = result.data.nextCursor;
    this.status = 'ready';
  }

  async loadMore(): Promise<void> {
    const cursor = this.cursor;
    if (!cursor || this.loadingMore || this.status !== 'ready') return;
    const id = this.#request;
    this.loadingMore = true;
    const result = await listHistory({ kind: 'image', status: 'succeeded', limit: PAGE_SIZE, cursor });
    if (id !== this.#request) return;
    this.loadingMore = false;
    if (!result.ok) return;
    const seen = new Set(this.tasks.map((task) => task.id));
    this.tasks.push(...result.data.items.filter((task) => !seen.has(task.id)));
    this.cursor = result.data.nextCursor;
  }

  reset(): void {
    this.#request++;
    this.tasks = [];
    this.cursor = null;
    this.status = 'idle';
    this.loadingMore = false;
  }
}

/** The stored image outputs of finished tasks, in order, each once (a Midjourney grid is left out: its single images are there). */
export function imageOutputs(tasks: readonly Task[]): PreviousOutput[] {
  const seen = new Set<string>();
  const outputs: PreviousOutput[] = [];
  for (const task of tasks) {
    if (task.status !== 'succeeded') continue;
    for (const output of task.outputs) {
      if (!output.url || !output.stored || isVideoOutput(output) || output.metadata?.role === 'grid' || seen.has(output.id)) continue;
      seen.add(output.id);
      outputs.push({ task, output });
    }
  }
  return outputs;
}
