import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { extensionOf, promptFileName } from '$lib/utils/file-names';
import { failureMessage, request, type Result } from './api-result';

export type Task = Schemas['TaskDto'];
export type TaskOutput = Schemas['TaskOutputDto'];
export type TaskStatus = Schemas['TaskStatus'];
export type TaskPage = Schemas['TaskPageDto'];
export type TaskKind = Schemas['MediaKind'];
export type CancelResult = Schemas['CancelResultDto'];
export type TaskEventsToken = Schemas['TaskEventsTokenDto'];

/** The providers the studio offers (history's `source` filter). */
export const TASK_SOURCES = ['flux', 'midjourney', 'kling', 'jimeng'] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];
export const TASK_KINDS: readonly TaskKind[] = ['image', 'video'];
export const TASK_STATUSES: readonly TaskStatus[] = [
  'pending',
  'submitted',
  'queued',
  'running',
  'succeeded',
  'failed',
  'canceled',
];

/** Statuses a task never leaves. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'canceled'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Whether `next` may replace `current`, two copies of the same task: not when it is older, and
 * never when it would move a finished task to another status.
 */
export function supersedes(next: Task, current: Task): boolean {
  if (Date.parse(next.updatedAt) < Date.parse(current.updatedAt)) return false;
  return !isTerminal(current.status) || next.status === current.status;
}

/** One of my tasks, with its outputs; `background` toasts no failure (e.g. a card filling in a child). */
export function getTask(id: string, options: { background?: boolean } = {}): Promise<Result<Task>> {
  return request(() => api.GET('/api/v1/tasks/{id}', { params: { path: { id } } }), options);
}

/**
 * A running task's latest preview (`previewUrl`) as an object URL: the route needs the session's
 * token, which an <img> cannot send. Null when there is none (any more). The caller revokes it.
 */
export async function loadPreview(task: Pick<Task, 'id' | 'previewUrl'>): Promise<string | null> {
  if (!task.previewUrl) return null;
  const v = new URL(task.previewUrl, location.origin).searchParams.get('v') ?? undefined;
  const result = await request(
    () => api.GET('/api/v1/tasks/{id}/preview', { params: { path: { id: task.id }, query: { v } }, parseAs: 'blob' }),
    { background: true },
  );
  return result.ok && result.data instanceof Blob ? URL.createObjectURL(result.data) : null;
}

/**
 * Cancels a task. The outcome is toasted: the API's own words, under a line saying how many
 * credits came back; a refusal (already finished, too late, the provider did not confirm) in
 * the API's words too. A task the provider has started (409 `cancel_not_refunded`) is left
 * running and not toasted: the caller asks the user, then calls again with `acceptLoss`.
 */
export async function cancelTask(task: Pick<Task, 'id'>, acceptLoss = false): Promise<Result<CancelResult>> {
  const m = i18n.m.tasks;
  const result = await request(
    () => api.POST('/api/v1/tasks/{id}/cancel', { params: { path: { id: task.id } }, body: { acceptLoss } }),
    { inline: [409, 502] },
  );
  if (result.ok) {
    const { refunded, task: canceled } = result.data;
    toastManager.success(
      refunded > 0 ? i18n.format(m.canceledRefunded, { amount: i18n.formatNumber(refunded) }) : m.canceledNoRefund,
      // Only a task the provider had started is canceled without its refund.
      refunded === 0 && canceled.cost > 0 ? m.canceledWhileRunning : undefined,
    );
  } else if (result.errorCode === 'cancel_not_refunded') {
    // Asked by the caller.
  } else if (result.status === 409 || result.status === 502) {
    toastManager.error(m.cancelFailed, failureMessage(result));
  }
  return result;
}

/**
 * A short-lived token to open the task event stream with (EventSource cannot send headers).
 * Asked for in the background and retried, so a failure is not toasted.
 */
export function createTaskEventsToken(): Promise<Result<TaskEventsToken>> {
  return request(() => api.POST('/api/v1/tasks/events/token'), { background: true });
}

/** The address of the event stream; `since` resumes after the last event seen. */
export function taskEventsUrl(token: string, since: string | null): string {
  const query = new URLSearchParams({ token });
  if (since) query.set('since', since);
  return `/api/v1/tasks/events?${query}`;
}

/** Where "reuse settings" leads: the studio of the task (Midjourney's, or the one of its kind), which reads `reuse`. */
export function reusePath(task: Pick<Task, 'id' | 'kind' | 'provider'>): string {
  const studio = task.provider === 'midjourney' ? '/midjourney' : task.kind === 'video' ? '/videos' : '/images';
  return `${studio}?reuse=${encodeURIComponent(task.id)}`;
}

/**
 * The outputs a card shows: a task that stores a grid with its single images (Midjourney) shows
 * the grid, as Midjourney does; the viewer has them all.
 */
export function cardOutputs(outputs: readonly TaskOutput[]): TaskOutput[] {
  const grids = outputs.filter((output) => output.metadata?.role === 'grid');
  return grids.length > 0 ? grids : [...outputs];
}

/** Where "use as input" leads: the image studio, in image-to-image, starting from this output. */
export function inputPath(output: Pick<TaskOutput, 'id'>): string {
  return `/images?input=${encodeURIComponent(output.id)}`;
}

/** The picture for an output: its thumbnail, or the image itself. */
export function outputThumbnail(output: TaskOutput): string | null {
  return output.thumbnailUrl ?? (output.kind !== 'video' && output.url ? output.url : null);
}

export function isVideoOutput(output: TaskOutput): boolean {
  return output.kind === 'video' || !!output.mimeType?.startsWith('video/');
}

/**
 * A file name for an output, made from the task's prompt and day, e.g. "a-cat-on-a-sofa-2026-12-04-2.png"
 * (tasks without a prompt, such as variations, are named "atelier-<day>").
 */
export function outputFilename(task: Pick<Task, 'prompt' | 'createdAt'>, output: TaskOutput, index: number): string {
  return promptFileName(task.prompt ?? '', task.createdAt, extensionOf(output.url, output.mimeType), index);
}

export interface OutputRow {
  items: { output: TaskOutput; index: number; ratio: number }[];
  count: number;
  /** Width over height of the whole row. */
  ratio: number;
}

/**
 * How a card lays out its outputs: rows of images sized by their own aspect ratios (a row's items
 * share its height), so side-by-side landscape images are not cropped into squares and three
 * images leave no empty tile. `ratio` is the width over height of all rows together (gaps aside).
 */
export function outputLayout(outputs: readonly TaskOutput[]): { rows: OutputRow[]; ratio: number } {
  const ratioOf = (output: TaskOutput) =>
    output.width && output.height ? Math.min(2, Math.max(0.5, output.width / output.height)) : 1;
  if (outputs.length === 1) {
    // Alone, the card keeps a familiar shape; the image is cropped at most to 3:4 or 16:9.
    const ratio = Math.min(16 / 9, Math.max(3 / 4, ratioOf(outputs[0])));
    return { rows: [{ items: [{ output: outputs[0], index: 0, ratio }], count: 1, ratio }], ratio };
  }
  // Up to three in one row; four as two rows of two.
  const perRow = outputs.length <= 3 ? outputs.length : 2;
  const rows: OutputRow[] = [];
  outputs.forEach((output, index) => {
    if (index % perRow === 0) rows.push({ items: [], count: 0, ratio: 0 });
    const row = rows[rows.length - 1];
    const ratio = ratioOf(output);
    row.items.push({ output, index, ratio });
    row.count++;
    row.ratio += ratio;
  });
  return { rows, ratio: 1 / rows.reduce((sum, row) => sum + 1 / row.ratio, 0) };
}

/** Whole seconds the task has run: from creation until it finished, or until `now`. */
export function elapsedSeconds(task: Pick<Task, 'createdAt' | 'finishedAt'>, now: number): number {
  const start = Date.parse(task.createdAt);
  const end = task.finishedAt ? Date.parse(task.finishedAt) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return 0;
  return Math.max(0, Math.floor((end - start) / 1000));
}
