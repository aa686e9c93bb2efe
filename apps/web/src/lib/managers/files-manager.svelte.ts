import { authManager } from '$lib/managers/auth-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import {
  displayName,
  getFile,
  listFiles,
  type MediaFile,
  type MediaKind,
  type MediaSource,
  uploadFile,
} from '$lib/services/files.service';

/** Files per page (the API's default). */
export const FILES_PAGE_SIZE = 30;

export interface UploadItem {
  id: number;
  name: string;
  size: number;
  /** 0..1 of the request sent. */
  progress: number;
  state: 'queued' | 'uploading' | 'done' | 'failed';
}

/**
 * My files: the filters, the pages loaded so far and the uploads under way. Kept while moving
 * between pages, so the filters survive a visit elsewhere; the list is reloaded on each visit.
 */
class FilesManager {
  items = $state<MediaFile[]>([]);
  nextCursor = $state<string | null>(null);
  kind = $state<MediaKind | ''>('');
  source = $state<MediaSource | ''>('');
  search = $state('');
  /** `loading`: the first page for the current filters is on its way. */
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  loadingMore = $state(false);
  uploads = $state<UploadItem[]>([]);

  /** Only the answer to the latest first-page request is used. */
  #request = 0;
  #nextUploadId = 1;
  /** Whose files `items` are, so another account never sees them, even for a moment. */
  #owner: string | null = null;

  get filtered(): boolean {
    return this.kind !== '' || this.source !== '' || this.search.trim() !== '';
  }

  get uploading(): boolean {
    return this.uploads.some((upload) => upload.state === 'queued' || upload.state === 'uploading');
  }

  /** 0..1 of all the bytes of the uploads under way. */
  get uploadProgress(): number {
    const total = this.uploads.reduce((sum, upload) => sum + Math.max(upload.size, 1), 0);
    if (total === 0) return 0;
    return this.uploads.reduce((sum, upload) => sum + Math.max(upload.size, 1) * upload.progress, 0) / total;
  }

  /** Loads the first page for the current filters. */
  async reload(): Promise<void> {
    const owner = authManager.user?.id ?? null;
    if (owner !== this.#owner) {
      this.items = [];
      this.nextCursor = null;
      this.#owner = owner;
    }
    const id = ++this.#request;
    this.status = 'loading';
    this.loadingMore = false;
    const result = await listFiles({ ...this.#query(), limit: FILES_PAGE_SIZE });
    if (id !== this.#request) return;
    if (!result.ok) {
      this.status = 'error';
      return;
    }
    this.items = result.data.items;
    this.nextCursor = result.data.nextCursor;
    this.status = 'ready';
  }

  /** Loads the next page; resolves to whether one was added. */
  async loadMore(): Promise<boolean> {
    const cursor = this.nextCursor;
    if (!cursor || this.loadingMore || this.status !== 'ready') return false;
    const id = this.#request;
    this.loadingMore = true;
    const result = await listFiles({ ...this.#query(), cursor, limit: FILES_PAGE_SIZE });
    // The filters changed meanwhile: this page belongs to the old list.
    if (id !== this.#request) return false;
    this.loadingMore = false;
    if (!result.ok) return false;
    const seen = new Set(this.items.map((file) => file.id));
    this.items.push(...result.data.items.filter((file) => !seen.has(file.id)));
    this.nextCursor = result.data.nextCursor;
    return true;
  }

  remove(id: string): void {
    this.items = this.items.filter((file) => file.id !== id);
  }

  /** Uploads files one after another; each one that arrives joins the list if it matches the filters. */
  /**
   * A video's poster is made just after its upload is answered (the server runs ffmpeg off the
   * request's path): its card is updated once the poster exists, asking for a little while.
   */
  async #awaitPoster(id: string): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500 + attempt * 100));
      const result = await getFile(id, { background: true });
      if (!result.ok) return;
      if (result.data.posterUrl) {
        const index = this.items.findIndex((file) => file.id === id);
        if (index !== -1) this.items[index] = result.data;
        return;
      }
    }
  }

  async upload(files: File[]): Promise<void> {
    if (files.length === 0) return;
    const ids = files.map(() => this.#nextUploadId++);
    this.uploads.push(
      ...files.map((file, i): UploadItem => ({ id: ids[i], name: file.name, size: file.size, progress: 0, state: 'queued' })),
    );
    const uploaded: MediaFile[] = [];
    for (const [i, file] of files.entries()) {
      const item = this.uploads.find((upload) => upload.id === ids[i]);
      if (!item) continue;
      item.state = 'uploading';
      const result = await uploadFile(file, (loaded, total) => {
        item.progress = total > 0 ? Math.min(1, loaded / total) : 0;
      });
      item.progress = 1;
      item.state = result.ok ? 'done' : 'failed';
      if (result.ok) {
        uploaded.push(result.data);
        if (this.status === 'ready' && this.#matches(result.data) && !this.items.some((f) => f.id === result.data.id)) {
          this.items.unshift(result.data);
        }
        if (result.data.kind === 'video' && !result.data.posterUrl) void this.#awaitPoster(result.data.id);
      }
    }
    this.uploads = this.uploads.filter((upload) => !ids.includes(upload.id));
    const m = i18n.m.files;
    if (uploaded.length === 1) toastManager.success(i18n.format(m.uploaded, { name: displayName(uploaded[0]) }));
    else if (uploaded.length > 1) toastManager.success(i18n.format(m.uploadedMany, { count: uploaded.length }));
  }

  #query() {
    return { kind: this.kind || undefined, source: this.source || undefined, search: this.search };
  }

  /** Whether a new file belongs in the list as filtered now (the API searches names and prompts). */
  #matches(file: MediaFile): boolean {
    if (this.kind && file.kind !== this.kind) return false;
    if (this.source && file.source !== this.source) return false;
    const search = this.search.trim().toLowerCase();
    if (!search) return true;
    return [file.filename, file.originalFilename, file.prompt].some((text) => text?.toLowerCase().includes(search));
  }
}

export const filesManager = new FilesManager();
