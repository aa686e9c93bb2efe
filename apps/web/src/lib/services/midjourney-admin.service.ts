import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type MidjourneyConfig = Schemas['MidjourneyConfigDto'];
export type SaveMidjourneyConfig = Schemas['SaveMidjourneyConfigDto'];
export type MidjourneyHealth = Schemas['MidjourneyHealthDto'];
export type MidjourneyConnection = Schemas['CheckMidjourneyConfigDto'];
export type MidjourneyFlavor = Schemas['MidjourneyFlavor'];
export type MidjourneyMode = Schemas['MidjourneyMode'];

/** The API's field names → the inputs of the Midjourney settings form. */
export const MIDJOURNEY_CONFIG_FIELDS = {
  apiSecret: 'mjApiSecret',
  clearApiSecret: 'mjClearApiSecret',
  baseUrl: 'mjBaseUrl',
  flavor: 'mjFlavor',
  mode: 'mjMode',
  defaultBotType: 'mjDefaultBotType',
  enabled: 'mjEnabled',
  timeout: 'mjTimeout',
  maxConcurrentTasks: 'mjMaxConcurrentTasks',
} as const;

/** The API's limits (SaveMidjourneyConfigDto). */
export const MIDJOURNEY_LIMITS = {
  timeout: { min: 60, max: 7200 },
  maxConcurrentTasks: { min: 1, max: 100 },
} as const;

export const MIDJOURNEY_FLAVORS: readonly MidjourneyFlavor[] = ['trueai', 'novicezk'];
export const MIDJOURNEY_MODES: readonly MidjourneyMode[] = ['fast', 'relax', 'turbo'];

export function getMidjourneyConfig(): Promise<Result<MidjourneyConfig>> {
  return request(() => api.GET('/api/v1/midjourney/config'));
}

export async function saveMidjourneyConfig(body: SaveMidjourneyConfig): Promise<Result<MidjourneyConfig>> {
  const result = await request(() => api.POST('/api/v1/midjourney/config', { body }), { fields: MIDJOURNEY_CONFIG_FIELDS });
  if (result.ok) toastManager.success(i18n.m.admin.midjourney.saved);
  return result;
}

/** Whether the proxy answers with the secret, address and flavor in the form (saved or not); shown beside the button, not toasted. */
export function checkMidjourneyConnection(body: MidjourneyConnection): Promise<Result<MidjourneyHealth>> {
  return request(() => api.POST('/api/v1/midjourney/config/check', { body }), { fields: MIDJOURNEY_CONFIG_FIELDS });
}
