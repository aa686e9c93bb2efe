import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { request, type Result } from './api-result';

export type StorageConfig = Schemas['StorageConfigDto'];
export type SaveStorageConfig = Schemas['SaveStorageConfigDto'];
export type StorageProvider = Schemas['StorageProvider'];
export type StorageTestResult = Schemas['StorageTestResultDto'];
export type CheckStorageConfig = Schemas['CheckStorageConfigDto'];
export type StorageStats = Schemas['StorageStatsDto'];
export type MigrationJob = Schemas['MigrationJobDto'];

/** The API's field names → the inputs of the storage settings form. */
export const STORAGE_CONFIG_FIELDS = {
  provider: 'storageProvider',
  enabled: 'storageEnabled',
  sandbox: 'storageSandbox',
  secretId: 'secretId',
  secretKey: 'secretKey',
  region: 'region',
  bucket: 'bucket',
  domain: 'domain',
  protocol: 'protocol',
  autoUpload: 'autoUpload',
  allowedTypes: 'allowImages',
  maxFileSize: 'maxFileSizeMb',
  basePath: 'basePath',
  imagePath: 'imagePath',
  videoPath: 'videoPath',
} as const;

export function getStorageConfig(): Promise<Result<StorageConfig>> {
  return request(() => api.GET('/api/v1/storage/config'));
}

export async function saveStorageConfig(body: SaveStorageConfig): Promise<Result<StorageConfig>> {
  const result = await request(() => api.POST('/api/v1/storage/config', { body }), { fields: STORAGE_CONFIG_FIELDS });
  if (result.ok) toastManager.success(i18n.m.admin.storage.saved);
  return result;
}

/**
 * Tests connection settings as the form holds them, before they are saved (an empty secret means
 * the stored one); the answer (ok or not) is shown beside the button, not toasted.
 */
export function checkStorageConfig(body: CheckStorageConfig): Promise<Result<StorageTestResult>> {
  return request(() => api.POST('/api/v1/storage/config/check', { body }), { fields: STORAGE_CONFIG_FIELDS });
}

export function getStorageStats(): Promise<Result<StorageStats>> {
  return request(() => api.GET('/api/v1/storage/stats'));
}

/** Starts copying every file that still points outside our storage into it. */
export function startMigration(): Promise<Result<Schemas['StartMigrationResultDto']>> {
  return request(() => api.POST('/api/v1/files/migrate'));
}

/** A migration's progress; a job the server does not know (404, or a malformed id: 400) is left to the caller. */
export function getMigration(jobId: string): Promise<Result<MigrationJob>> {
  return request(() => api.GET('/api/v1/files/migrate/{jobId}', { params: { path: { jobId } } }), { inline: [400, 404] });
}
