import type { PreviousOutput } from '$lib/managers/studio-manager.svelte';
import { RecentTasks } from '$lib/managers/recent-tasks.svelte';
import { listHistory } from '$lib/services/history.service';
import { isVideoOutput, type Task } from '$lib/services/tasks.service';

/** Earlier images per page (any provider: a Flux image, a Midjourney upscale, a DreamWork result, …). */
const PAGE_SIZE = 24;

/** Earlier image results of any provider, offered as inputs ("use a previous result"), paged. */
export class PreviousImages extends RecentTasks {
  constructor() {
    // Only pages: a new result reaches the studio's own lists, and this list when it loads again.
    super((query) => listHistory({ ...query, kind: 'image', status: 'succeeded' }), () => false, PAGE_SIZE);
  }

  /** The tasks of the pages loaded, newest first. */
  get loadedTasks(): Task[] {
    return this.tasks(this.ids);
  }

  get outputs(): PreviousOutput[] {
    return imageOutputs(this.loadedTasks);
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
