import { i18n } from '$lib/managers/i18n-manager.svelte';
import { ERASE_PROMPT } from '$lib/services/dreamwork.service';
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

/**
 * A card's or viewer's title: provider and model, or the model alone when its name already starts
 * with the provider's (Chinese names do: "即梦绘画 文生图 3.1" under 即梦, "可灵 2.6" under 可灵),
 * rather than saying it twice.
 */
export function taskTitle(task: Pick<Task, 'provider' | 'modelName' | 'modelNameZhCN'>): string {
  const provider = providerName(task.provider);
  const model = modelName(task);
  return model.startsWith(provider) ? model : i18n.format(i18n.m.tasks.cardLabel, { provider, model });
}

/**
 * A task's prompt as a reader should see it: a Jimeng inpainting that erased the painted area was
 * sent Volcengine's keyword "删除" as its prompt, which says nothing in English and reads as a
 * command in Chinese; it is named for what it did.
 */
export function promptText(task: Pick<Task, 'provider' | 'action' | 'prompt'>): string | null {
  if (task.provider === 'jimeng' && task.action === 'inpaint' && task.prompt?.trim() === ERASE_PROMPT) return i18n.m.tasks.erasedPrompt;
  return task.prompt || null;
}

/** The badge style of a status. */
export function statusTone(status: TaskStatus): 'success' | 'danger' | 'accent' | 'muted' {
  if (status === 'succeeded') return 'success';
  if (status === 'failed') return 'danger';
  if (status === 'canceled') return 'muted';
  return 'accent';
}
