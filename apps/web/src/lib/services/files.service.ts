import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { extensionOf, promptFileName } from '$lib/utils/file-names';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { fetchWithUploadProgress } from '$lib/utils/upload-fetch';
import { failureMessage, request, type Result } from './api-result';

export type MediaFile = Schemas['MediaFileDto'];
export type MediaFilePage = Schemas['MediaFilePageDto'];
export type MediaKind = Schemas['MediaKind'];
export type MediaSource = Schemas['MediaSource'];
export type MediaStatus = Schemas['MediaStatus'];

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video'];
export const MEDIA_SOURCES: readonly MediaSource[] = ['flux', 'midjourney', 'kling', 'jimeng', 'upload', 'migration'];

export interface FileQuery {
  kind?: MediaKind;
  source?: MediaSource;
  search?: string;
  cursor?: string;
  limit?: number;
}

/** One page of my files, newest first; `nextCursor` asks for the next one. */
export function listFiles({ kind, source, search, cursor, limit }: FileQuery): Promise<Result<MediaFilePage>> {
  const query = {
    ...(kind ? { kind } : {}),
    ...(source ? { source } : {}),
    ...(search?.trim() ? { search: search.trim() } : {}),
    ...(cursor ? { cursor } : {}),
    ...(limit ? { limit } : {}),
  };
  return request(() => api.GET('/api/v1/files/generated', { params: { query } }));
}

/** The multipart upload routes: both take the field `file` and answer the stored file. */
export type UploadPath = '/api/v1/files/upload' | '/api/v1/flux/upload-image';

/**
 * Uploads one file (multipart field `file`) to `path`, reporting progress. A refusal (413 too
 * big, 415 not an accepted type) is toasted in the API's words, naming the file.
 */
export async function uploadTo(
  path: UploadPath,
  file: File,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Result<MediaFile>> {
  const form = new FormData();
  form.append('file', file, file.name);
  const result = await request(
    () =>
      // Both routes have the same body and answer, so one of them stands for the pair in the types.
      api.POST(path as '/api/v1/files/upload', {
        // The browser writes the multipart body and its boundary; no Content-Type is set here.
        body: form as unknown as { file: string },
        bodySerializer: (body) => body as unknown as FormData,
        fetch: fetchWithUploadProgress(onProgress, signal),
      }),
    { inline: [400, 413, 415] },
  );
  if (!result.ok && result.status !== 0 && result.status !== 401 && result.status !== 429) {
    toastManager.error(failureMessage(result), i18n.format(i18n.m.files.uploadFailedFile, { name: file.name }));
  }
  return result;
}

/** Uploads one image or video to my files. */
export function uploadFile(file: File, onProgress: (loaded: number, total: number) => void, signal?: AbortSignal): Promise<Result<MediaFile>> {
  return uploadTo('/api/v1/files/upload', file, onProgress, signal);
}

/** Deletes one of my files (idempotent: already gone counts as deleted). */
export async function deleteFile(file: MediaFile): Promise<boolean> {
  const result = await request(() => api.DELETE('/api/v1/files/generated/{id}', { params: { path: { id: file.id } } }));
  const gone = result.ok || result.status === 404;
  if (gone) toastManager.success(i18n.format(i18n.m.files.deleted, { name: displayName(file) }));
  return gone;
}

/**
 * The name to show and to download as: the name it was uploaded with; for a generated file, one
 * made from its prompt and day ("a-cat-on-a-sofa-2026-12-04.jpg") rather than its stored hash.
 */
export function displayName(file: MediaFile): string {
  if (file.originalFilename) return file.originalFilename;
  if (file.prompt) return promptFileName(file.prompt, file.createdAt, extensionOf(file.filename, file.mimeType));
  return file.filename;
}

/** Where "use as input" leads for an image I can start an image-to-image generation from. */
export function fileInputPath(file: MediaFile): string | null {
  const usable = file.kind === 'image' && file.status === 'stored' && ['image/jpeg', 'image/png', 'image/webp'].includes(file.mimeType ?? '');
  return usable && file.source !== 'upload' ? `/images?input=${encodeURIComponent(file.id)}` : null;
}

/** The picture for a card: the thumbnail, or the image itself. */
export function thumbnailOf(file: MediaFile): string | null {
  return file.thumbnailUrl ?? (file.kind === 'image' ? file.url : null);
}

/**
 * One of my files (e.g. an earlier result to start from, or a video whose poster is awaited);
 * `background`: no toast on failure (the caller retries or gives up quietly).
 */
export function getFile(id: string, { background = false } = {}): Promise<Result<MediaFile>> {
  return request(() => api.GET('/api/v1/files/generated/{id}', { params: { path: { id } } }), { background });
}
