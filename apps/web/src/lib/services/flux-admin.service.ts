import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type FluxConfig = Schemas['FluxConfigDto'];
export type SaveFluxConfig = Schemas['SaveFluxConfigDto'];
export type FluxHealth = Schemas['FluxHealthDto'];
export type FluxConnection = Schemas['CheckFluxConfigDto'];

/** The API's field names → the inputs of the Flux settings form. */
export const FLUX_CONFIG_FIELDS = {
  apiKey: 'fluxApiKey',
  clearApiKey: 'fluxClearApiKey',
  baseUrl: 'fluxBaseUrl',
  enabled: 'fluxEnabled',
  timeout: 'fluxTimeout',
  maxConcurrentTasks: 'fluxMaxConcurrentTasks',
  defaultModel: 'fluxDefaultModel',
} as const;

/** The API's limits (SaveFluxConfigDto). */
export const FLUX_LIMITS = {
  timeout: { min: 60, max: 7200 },
  maxConcurrentTasks: { min: 1, max: 100 },
} as const;

/** fal's queue API, used when the base URL is left empty. */
export const FAL_DEFAULT_BASE_URL = 'https://queue.fal.run';

export function getFluxConfig(): Promise<Result<FluxConfig>> {
  return request(() => api.GET('/api/v1/flux/config'));
}

export async function saveFluxConfig(body: SaveFluxConfig): Promise<Result<FluxConfig>> {
  const result = await request(() => api.POST('/api/v1/flux/config', { body }), { fields: FLUX_CONFIG_FIELDS });
  if (result.ok) toastManager.success(i18n.m.admin.flux.saved);
  return result;
}

/** Whether fal.ai answers with the key and address in the form (saved or not); shown beside the button, not toasted. */
export function checkFluxConnection(body: FluxConnection): Promise<Result<FluxHealth>> {
  return request(() => api.POST('/api/v1/flux/config/check', { body }), { fields: FLUX_CONFIG_FIELDS });
}
