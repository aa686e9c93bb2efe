import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { request, type Result } from './api-result';
import type { Task, TaskPage } from './tasks.service';

export type MidjourneyUserConfig = Schemas['MidjourneyUserConfigDto'];
export type MidjourneyAction = Schemas['MidjourneyActionDto'];
export type MidjourneyActionKey = Schemas['MidjourneyActionKey'];
export type MidjourneyBotType = Schemas['MidjourneyBotType'];
export type MidjourneyBlendDimensions = Schemas['MidjourneyBlendDimensions'];
export type MidjourneyImagine = Schemas['MidjourneyImagineDto'];
export type MidjourneyTaskAction = Schemas['MidjourneyTaskActionDto'];

/** The studio's three ways to start. */
export type MidjourneyTab = 'imagine' | 'blend' | 'describe';

/** The API's prompt limit (MidjourneyImagineDto). */
export const MJ_PROMPT_MAX = 4000;
/** Reference images of an imagine (MidjourneyImagineDto). */
export const MJ_MAX_REFERENCES = 5;
export const MJ_BLEND_MIN = 2;
export const MJ_BLEND_MAX = 5;
export const MJ_BLEND_DIMENSIONS: readonly MidjourneyBlendDimensions[] = ['portrait', 'square', 'landscape'];

/** Parameter chips of the imagine form (--ar, --v / --niji, --q). */
export const MJ_ASPECT_RATIOS = ['1:1', '4:3', '3:2', '16:9', '21:9', '3:4', '2:3', '9:16'] as const;
export const MJ_VERSIONS = ['7', '6.1', '6', '5.2'] as const;
export const MJ_QUALITIES = [0.25, 0.5, 1, 2, 4] as const;

/**
 * The buttons of a finished task, grouped in rows as Midjourney's own message shows them: under a
 * grid U1–U4 with 🔄, then V1–V4; under one image Upscale (Subtle, Creative), Vary (Subtle, Strong,
 * Region), Zoom (2x, 1.5x, Custom) and the four pans.
 */
export const MJ_ACTION_ROWS: readonly (readonly MidjourneyActionKey[])[] = [
  ['upscale:1', 'upscale:2', 'upscale:3', 'upscale:4', 'reroll'],
  ['vary:1', 'vary:2', 'vary:3', 'vary:4'],
  ['upscale:subtle', 'upscale:creative'],
  ['vary:subtle', 'vary:strong', 'vary:region'],
  ['zoom:2', 'zoom:1.5', 'zoom:custom'],
  ['pan:left', 'pan:right', 'pan:up', 'pan:down'],
];

/**
 * The short face of a button where Midjourney shows one (U2, V3, 🔄, the pan arrows); null for
 * those shown with their label.
 */
export function shortActionLabel(key: string): string | null {
  const grid = /^(upscale|vary):([1-4])$/.exec(key);
  if (grid) return `${grid[1] === 'upscale' ? 'U' : 'V'}${grid[2]}`;
  const arrows: Record<string, string> = { reroll: '🔄', 'pan:left': '⬅️', 'pan:right': '➡️', 'pan:up': '⬆️', 'pan:down': '⬇️' };
  return arrows[key] ?? null;
}

/** A catalogue label in the UI's language. */
export function actionLabel(action: Pick<MidjourneyAction, 'label' | 'labelZhCN'>): string {
  return i18n.locale === 'zh-CN' ? action.labelZhCN || action.label : action.label || action.labelZhCN;
}

export function getMidjourneyUserConfig(): Promise<Result<MidjourneyUserConfig>> {
  return request(() => api.GET('/api/v1/midjourney/config/user'));
}

/** Everything Midjourney does here, with labels and prices. */
export function getMidjourneyActions(options: { background?: boolean } = {}): Promise<Result<Schemas['MidjourneyActionsDto']>> {
  return request(() => api.GET('/api/v1/midjourney/actions'), options);
}

/** Field errors come back under the form's names (`fields`); 402/502/503 are toasted in the API's words. */
export function imagine(body: MidjourneyImagine, fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  return request(() => api.POST('/api/v1/midjourney/imagine', { body }), { fields });
}

export function blend(body: Schemas['MidjourneyBlendDto'], fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  return request(() => api.POST('/api/v1/midjourney/blend', { body }), { fields });
}

export function describe(body: Schemas['MidjourneyDescribeDto'], fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  return request(() => api.POST('/api/v1/midjourney/describe', { body }), { fields });
}

/** Presses one of a finished task's buttons: answers with the new child task. */
export function runAction(taskId: string, body: MidjourneyTaskAction, fields: Readonly<Record<string, string>> = {}): Promise<Result<Task>> {
  return request(() => api.POST('/api/v1/midjourney/tasks/{taskId}/actions', { params: { path: { taskId } }, body }), { fields });
}

/** One page of my Midjourney generations, newest first. */
export function listMidjourneyHistory(query: { cursor?: string | null; limit?: number }): Promise<Result<TaskPage>> {
  const params = { ...(query.cursor ? { cursor: query.cursor } : {}), ...(query.limit ? { limit: query.limit } : {}) };
  return request(() => api.GET('/api/v1/midjourney/history', { params: { query: params } }));
}

/** The four prompts of a finished describe (`result.prompts`), or none. */
export function describedPrompts(task: Pick<Task, 'result'>): string[] {
  const prompts = task.result?.prompts;
  return Array.isArray(prompts) ? prompts.filter((prompt): prompt is string => typeof prompt === 'string' && prompt.trim() !== '') : [];
}

/** Where "imagine this" leads: the Midjourney studio with the prompt filled in. */
export function imaginePath(prompt: string): string {
  return `/midjourney?prompt=${encodeURIComponent(prompt)}`;
}

/** Where a task of a family is shown: the Midjourney studio, which puts it on top of its jobs. */
export function midjourneyTaskPath(taskId: string): string {
  return `/midjourney?task=${encodeURIComponent(taskId)}`;
}
