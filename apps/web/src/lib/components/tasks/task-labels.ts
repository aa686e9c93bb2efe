import { i18n } from '$lib/managers/i18n-manager.svelte';
import type { Task, TaskStatus } from '$lib/services/tasks.service';

/** A provider's name in the current language; providers the studio does not list keep their id. */
export function providerName(provider: string): string {
  const names: Record<string, string> = i18n.m.tasks.providers;
  return Object.hasOwn(names, provider) ? names[provider] : provider;
}

/** A task's model by its name in the current language (the API falls back to the id). */
export function modelName(task: Pick<Task, 'modelName' | 'modelNameZhCN'>): string {
  return i18n.locale === 'zh-CN' ? task.modelNameZhCN : task.modelName;
}

/** The badge style of a status. */
export function statusTone(status: TaskStatus): 'success' | 'danger' | 'accent' | 'muted' {
  if (status === 'succeeded') return 'success';
  if (status === 'failed') return 'danger';
  if (status === 'canceled') return 'muted';
  return 'accent';
}
