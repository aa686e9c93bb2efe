import type { PreviousOutput, StudioInput } from '$lib/managers/studio-manager.svelte';
import type { FormErrors } from '$lib/utils/form-errors.svelte';

/** Earlier results a studio offers as inputs ("use a previous result"), paged like its recent list. */
export interface PreviousOutputSource {
  readonly previousOutputs: PreviousOutput[];
  readonly recentStatus: 'idle' | 'loading' | 'ready' | 'error';
  readonly recentCursor: string | null;
  readonly loadingMore: boolean;
  loadMoreRecent(): Promise<void>;
}

/**
 * What ImageInputs shows and changes: a list of input images of one studio form (Flux's inputs,
 * Midjourney's references, blend or describe images), uploaded at once, with earlier results to pick.
 */
export interface ImageInputSource extends PreviousOutputSource {
  readonly inputs: StudioInput[];
  /** How many it takes; one replaces the image. */
  readonly maxImages: number;
  /** Its problems are under `images`. */
  readonly errors: FormErrors;
  upload(files: File[]): Promise<void>;
  removeInput(key: string): void;
  addFile(fileId: string, preview?: string | null): Promise<void>;
}
