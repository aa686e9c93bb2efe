import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { failureMessage, request, type Result } from './api-result';
import type { Task, TaskKind, TaskPage, TaskSource, TaskStatus } from './tasks.service';

export interface HistoryQuery {
  source?: TaskSource;
  kind?: TaskKind;
  status?: TaskStatus;
  cursor?: string;
  limit?: number;
}

/** One page of my generations across every provider, newest first; `nextCursor` asks for the next one. */
export function listHistory({ source, kind, status, cursor, limit }: HistoryQuery): Promise<Result<TaskPage>> {
  const query = {
    ...(source ? { source } : {}),
    ...(kind ? { kind } : {}),
    ...(status ? { status } : {}),
    ...(cursor ? { cursor } : {}),
    ...(limit ? { limit } : {}),
  };
  return request(() => api.GET('/api/v1/history', { params: { query } }));
}

/**
 * Deletes a finished generation and its files (idempotent: already gone counts as deleted). A
 * task still running (409) is refused in the API's words: cancel it first.
 */
export async function deleteHistoryItem(task: Pick<Task, 'id'>): Promise<boolean> {
  const m = i18n.m.history;
  const result = await request(
    () => api.DELETE('/api/v1/history/{taskId}', { params: { path: { taskId: task.id } } }),
    { inline: [409] },
  );
  const gone = result.ok || result.status === 404;
  if (gone) toastManager.success(m.deleted);
  else if (result.status === 409) toastManager.error(m.deleteRefused, failureMessage(result));
  return gone;
}
