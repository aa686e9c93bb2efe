import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];

export function listApiKeys(): Promise<Result<ApiKey[]>> {
  return request(() => api.GET('/api/v1/api-keys'));
}

export async function createApiKey(name: string): Promise<Result<CreatedApiKey>> {
  const result = await request(() => api.POST('/api/v1/api-keys', { body: { name } }), {
    fields: { name: 'apiKeyName' },
  });
  if (result.ok) toastManager.success(i18n.format(i18n.m.settings.apiKeys.created, { name: result.data.name }));
  return result;
}

/** Asks for confirmation first; resolves to whether the key is gone. */
export async function deleteApiKey(key: ApiKey): Promise<boolean> {
  const m = i18n.m.settings.apiKeys;
  if (!confirm(i18n.format(m.deleteConfirm, { name: key.name }))) return false;
  const result = await request(() => api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: key.id } } }));
  if (result.ok) toastManager.success(i18n.format(m.deleted, { name: key.name }));
  // Already deleted elsewhere: it is gone all the same.
  return result.ok || result.status === 404;
}
