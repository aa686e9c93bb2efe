import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type KlingConfig = Schemas['KlingConfigDto'];
export type SaveKlingConfig = Schemas['SaveKlingConfigDto'];
export type KlingHealth = Schemas['KlingHealthDto'];
export type KlingConnection = Schemas['CheckKlingConfigDto'];
export type KlingRegion = KlingConfig['region'];

/** The API's field names → the inputs of the Kling settings form. */
export const KLING_CONFIG_FIELDS = {
  accessKey: 'klingAccessKey',
  secretKey: 'klingSecretKey',
  region: 'klingRegion',
  baseUrl: 'klingBaseUrl',
  enabled: 'klingEnabled',
  timeout: 'klingTimeout',
  maxConcurrentTasks: 'klingMaxConcurrentTasks',
} as const;

/** The API's limits (SaveKlingConfigDto). */
export const KLING_LIMITS = {
  timeout: { min: 300, max: 86400 },
  maxConcurrentTasks: { min: 1, max: 100 },
} as const;

export const KLING_REGIONS: readonly KlingRegion[] = ['beijing', 'singapore', 'custom'];

export function getKlingConfig(): Promise<Result<KlingConfig>> {
  return request(() => api.GET('/api/v1/kling/config'));
}

export async function saveKlingConfig(body: SaveKlingConfig): Promise<Result<KlingConfig>> {
  const result = await request(() => api.POST('/api/v1/kling/config', { body }), { fields: KLING_CONFIG_FIELDS });
  if (result.ok) toastManager.success(i18n.m.admin.kling.saved);
  return result;
}

/** Whether Kling answers with the keys and address in the form (saved or not); shown beside the button, not toasted. */
export function checkKlingConnection(body: KlingConnection): Promise<Result<KlingHealth>> {
  return request(() => api.POST('/api/v1/kling/config/check', { body }), { fields: KLING_CONFIG_FIELDS });
}
