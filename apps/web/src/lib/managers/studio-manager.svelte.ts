import { authManager } from '$lib/managers/auth-manager.svelte';
import { creditsManager } from '$lib/managers/credits-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { taskEventsManager } from '$lib/managers/task-events-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import { getFile, type MediaFile, thumbnailOf } from '$lib/services/files.service';
import {
  createFluxTask,
  type FluxCatalogue,
  type FluxModel,
  type FluxParameter,
  type FluxUserConfig,
  fits,
  getFluxModels,
  getFluxUserConfig,
  isCustomSize,
  listFluxHistory,
  type ParameterValue,
  type ParameterValues,
  randomSeed,
  type StudioMode,
  studioMode,
  uploadFluxImage,
  valuesFor,
} from '$lib/services/flux.service';
import { getTask, isVideoOutput, type Task, type TaskOutput } from '$lib/services/tasks.service';
import { type ErrorMessage, FormErrors } from '$lib/utils/form-errors.svelte';
import { RecentTasks } from '$lib/managers/recent-tasks.svelte';

/** What POST /flux/upload-image takes (checked again by the server, by content). */
const INPUT_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const INPUT_MAX_BYTES = 10 * 1024 * 1024;

/** The providers whose form is the image studio's (Midjourney has a studio of its own). */
export type ImageStudioProvider = 'flux' | 'jimeng';

/** One input image of an image-to-image generation: being uploaded, or a stored file. */
export interface StudioInput {
  /** Local key, for the list. */
  key: string;
  /** The stored file, once uploaded (or an earlier result). */
  fileId: string | null;
  /** What the preview shows: the picked file (object URL) or the stored thumbnail. */
  preview: string | null;
  name: string;
  status: 'uploading' | 'ready';
  /** Upload progress, 0..1. */
  progress: number;
}

/** An output of an earlier generation, offered as an input. */
export interface PreviousOutput {
  task: Task;
  output: TaskOutput;
}

/**
 * The image studio (Flux): the catalogue, the form (mode, model, prompt, parameters, seed, input
 * images), the jobs submitted here and the recent Flux generations. The form is kept while moving
 * between pages, so a visit to the history does not lose it; everything is dropped when the user
 * changes. The tasks themselves live in the task events manager, so every card follows them.
 */
class StudioManager {
  /** The provider the image studio's form is for: Flux, or DreamWork (Jimeng's images, dreamwork-manager). */
  provider = $state<ImageStudioProvider>('flux');
  config = $state<FluxUserConfig | null>(null);
  catalogue = $state<FluxCatalogue | null>(null);
  loadStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');

  mode = $state<StudioMode>('text');
  /** The model chosen in each mode. */
  chosen = $state<Record<StudioMode, string>>({ text: '', image: '' });
  prompt = $state('');
  values = $state<ParameterValues>({});
  /** The parameters the user set (or reused from a task): they follow a change of model when they fit it. */
  #chosenValues = new Set<string>();
  /** The seed field's text; empty means none chosen yet. */
  seed = $state('');
  /** Locked: every submission uses `seed`. Unlocked: each one gets a new random seed. */
  seedLocked = $state(false);
  inputs = $state<StudioInput[]>([]);
  submitting = $state(false);
  readonly errors = new FormErrors();

  /** The tasks submitted from this studio, newest first. */
  submitted = $state<string[]>([]);
  /** The recent Flux generations below, newest first. */
  readonly recent = new RecentTasks(listFluxHistory, (task) => task.provider === 'flux');
  get recentIds(): string[] {
    return this.recent.ids;
  }
  get recentCursor(): string | null {
    return this.recent.cursor;
  }
  get recentStatus(): RecentTasks['status'] {
    return this.recent.status;
  }
  get loadingMore(): boolean {
    return this.recent.loadingMore;
  }

  #owner: string | null = null;
  #inputKey = 0;

  constructor() {
    taskEventsManager.subscribe((task) => this.#onTask(task));
  }

  /** The models of the current mode, in the catalogue's order. */
  get models(): FluxModel[] {
    return this.catalogue?.models.filter((model) => studioMode(model) === this.mode) ?? [];
  }

  get model(): FluxModel | undefined {
    return this.catalogue?.models.find((model) => model.id === this.chosen[this.mode]);
  }

  /** The model's spec of a parameter, when it takes it. */
  spec(name: string): FluxParameter | undefined {
    return this.model?.parameters.find((parameter) => parameter.name === name);
  }

  /** Images this submission asks for. */
  get count(): number {
    const value = this.values.numImages;
    return this.spec('numImages') && typeof value === 'number' ? value : 1;
  }

  /** Credits this submission costs: the price per image × the images. */
  get cost(): number {
    return (this.model?.price ?? 0) * this.count;
  }

  /** How many input images the chosen model takes. */
  get maxImages(): number {
    return this.model?.maxImages ?? 0;
  }

  get uploading(): boolean {
    return this.inputs.some((input) => input.status === 'uploading');
  }

  /** The tasks submitted here, freshest copies. */
  get submittedTasks(): Task[] {
    return this.recent.tasks(this.submitted);
  }

  /** The recent generations, without those already shown as submitted here. */
  get recentTasks(): Task[] {
    const shown = new Set(this.submitted);
    return this.recent.tasks(this.recentIds.filter((id) => !shown.has(id)));
  }

  /** Stored image outputs of the generations listed, newest first, to start from. */
  get previousOutputs(): PreviousOutput[] {
    const seen = new Set<string>();
    const outputs: PreviousOutput[] = [];
    for (const task of [...this.submittedTasks, ...this.recentTasks]) {
      if (task.status !== 'succeeded') continue;
      for (const output of task.outputs) {
        if (!output.url || !output.stored || isVideoOutput(output) || seen.has(output.id)) continue;
        seen.add(output.id);
        outputs.push({ task, output });
      }
    }
    return outputs;
  }

  /** Loads the settings, the catalogue and the recent generations (each visit: prices may change). */
  async load(): Promise<void> {
    this.#checkOwner();
    if (this.loadStatus !== 'ready') this.loadStatus = 'loading';
    void this.loadRecent();
    const [config, catalogue] = await Promise.all([getFluxUserConfig(), getFluxModels()]);
    if (!config.ok || !catalogue.ok) {
      if (this.loadStatus !== 'ready') this.loadStatus = 'error';
      return;
    }
    this.config = config.data;
    this.catalogue = catalogue.data;
    for (const mode of ['text', 'image'] as const) {
      const ofMode = catalogue.data.models.filter((model) => studioMode(model) === mode);
      if (ofMode.some((model) => model.id === this.chosen[mode])) continue;
      const preferred = ofMode.find((model) => model.id === config.data.defaultModel) ?? ofMode[0];
      this.chosen[mode] = preferred?.id ?? '';
    }
    this.#fitValues();
    this.loadStatus = 'ready';
  }

  selectMode(mode: StudioMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.errors.clear();
    this.#fitValues();
  }

  selectModel(id: string): void {
    const model = this.catalogue?.models.find((candidate) => candidate.id === id);
    if (!model) return;
    this.mode = studioMode(model);
    this.chosen[this.mode] = id;
    this.errors.clear();
    this.#fitValues();
  }

  setValue(name: string, value: ParameterValue | undefined): void {
    this.values[name] = value;
    this.#chosenValues.add(name);
    this.errors.clear(name);
  }

  /** A new random seed in the field, locked so it is the one used. */
  randomizeSeed(): void {
    this.seed = String(randomSeed(this.spec('seed')));
    this.seedLocked = true;
    this.errors.clear('seed');
  }

  /** Uploads images picked, dropped or pasted, as many as the model takes. */
  async upload(files: File[]): Promise<void> {
    const model = this.model;
    if (!model || model.imageInput === 'none') return;
    const m = i18n.m.studio;
    // Refused here, in the user's language, rather than after the whole upload.
    const images = files.filter((file) => {
      if (!INPUT_TYPES.includes(file.type)) toastManager.error(m.notAnInputImage, file.name);
      else if (file.size > INPUT_MAX_BYTES) toastManager.error(i18n.format(m.inputTooLarge, { max: INPUT_MAX_BYTES / 1024 / 1024 }), file.name);
      else return true;
      return false;
    });
    if (images.length === 0) return;
    // One image at a time: a new one replaces it once it is uploaded (a refused one leaves it).
    const replacing = model.maxImages === 1 ? this.inputs.map((input) => input.key) : [];
    const room = model.maxImages === 1 ? 1 : Math.max(0, model.maxImages - this.inputs.length);
    if (images.length > room) toastManager.error(i18n.format(m.tooManyImages, { max: model.maxImages }));
    this.errors.clear('images');
    await Promise.all(images.slice(0, room).map((file) => this.#uploadOne(file, replacing)));
  }

  /** Adds a stored image (an earlier result) as an input; `preview` saves asking for it. */
  async addFile(fileId: string, preview?: string | null): Promise<void> {
    if (this.mode !== 'image') this.selectMode('image');
    const model = this.model;
    if (!model) return;
    if (this.inputs.some((input) => input.fileId === fileId)) return;
    if (model.maxImages === 1) this.clearInputs();
    else if (this.inputs.length >= model.maxImages) {
      toastManager.error(i18n.format(i18n.m.studio.tooManyImages, { max: model.maxImages }));
      return;
    }
    this.errors.clear('images');
    const input = this.#addInput({ fileId, preview: preview ?? null, name: '', status: 'ready', progress: 1 });
    if (!preview) await this.#fillPreview(input.key, fileId);
  }

  removeInput(key: string): void {
    const input = this.inputs.find((candidate) => candidate.key === key);
    if (input?.preview?.startsWith('blob:')) URL.revokeObjectURL(input.preview);
    this.inputs = this.inputs.filter((candidate) => candidate.key !== key);
    this.errors.clear('images');
  }

  clearInputs(): void {
    for (const input of this.inputs) if (input.preview?.startsWith('blob:')) URL.revokeObjectURL(input.preview);
    this.inputs = [];
  }

  /** Fills the form with an earlier task's model, prompt, parameters and inputs ("reuse settings"). */
  async reuse(taskId: string): Promise<void> {
    const m = i18n.m.studio;
    const result = await getTask(taskId);
    if (!result.ok) return;
    const task = result.data;
    const model = this.catalogue?.models.find((candidate) => candidate.id === task.model);
    if (task.provider !== 'flux' || !model) {
      toastManager.error(m.reuseUnknown, task.model);
      return;
    }
    const parameters = task.parameters ?? {};
    const given: ParameterValues = {};
    for (const spec of model.parameters) {
      const value = parameters[spec.name];
      if (value === undefined || value === null) continue;
      given[spec.name] = spec.type === 'enum' && typeof value === 'number' ? String(value) : (value as ParameterValue);
    }
    this.mode = studioMode(model);
    this.chosen[this.mode] = model.id;
    this.values = valuesFor(model, given, this.catalogue?.customSize);
    this.#chosenValues = new Set(Object.keys(given));
    this.prompt = model.prompt === 'none' ? '' : (task.prompt ?? '');
    const seed = parameters.seed;
    this.seed = typeof seed === 'number' ? String(seed) : '';
    this.seedLocked = typeof seed === 'number';
    this.errors.clear();
    if (this.mode === 'image') {
      this.clearInputs();
      for (const fileId of inputFileIds(parameters).slice(0, model.maxImages)) {
        const input = this.#addInput({ fileId, preview: null, name: '', status: 'ready', progress: 1 });
        void this.#fillPreview(input.key, fileId);
      }
    }
    toastManager.info(m.reused);
  }

  /** Checks the form, then starts the generation; resolves to whether it was submitted. */
  async submit(): Promise<boolean> {
    const model = this.model;
    const catalogue = this.catalogue;
    if (!model || !catalogue || this.submitting) return false;
    // Worded when shown, so they follow a switch of language.
    const studio = () => i18n.m.studio;
    const body: Record<string, unknown> = { model: model.id };
    const problems: Record<string, ErrorMessage | null> = {};

    if (model.prompt === 'required') {
      const prompt = this.prompt.trim();
      if (!prompt) problems.prompt = () => studio().promptRequired;
      else body.prompt = prompt;
    }
    for (const spec of model.parameters) {
      if (spec.name === 'seed') continue;
      const value = this.values[spec.name];
      if (value === undefined) continue;
      if (!fits(spec, value, catalogue.customSize)) {
        problems[spec.name] =
          spec.type === 'imageSize' && isCustomSize(value)
            ? () => i18n.format(studio().customSizeRange, { min: catalogue.customSize.min ?? 0, max: catalogue.customSize.max ?? 0 })
            : () => i18n.format(studio().valueRange, { min: spec.min ?? '', max: spec.max ?? '' });
      } else body[spec.name] = value;
    }
    const seedSpec = this.spec('seed');
    if (seedSpec) {
      if (this.seedLocked && this.seed.trim() !== '') {
        const seed = Number(this.seed.trim());
        if (!fits(seedSpec, seed)) problems.seed = () => i18n.format(studio().valueRange, { min: seedSpec.min ?? 0, max: seedSpec.max ?? 0 });
        else body.seed = seed;
      } else {
        // Unlocked: a new seed each time, shown so it can be locked to repeat this one.
        const seed = randomSeed(seedSpec);
        this.seed = String(seed);
        body.seed = seed;
      }
    }
    if (this.mode === 'image') {
      const ids = this.inputs.map((input) => input.fileId).filter((id): id is string => !!id);
      if (this.uploading) problems.images = () => studio().waitForUploads;
      else if (ids.length === 0) problems.images = () => (model.imageInput === 'multi' ? i18n.format(studio().imagesRequired, { max: model.maxImages }) : studio().imageRequired);
      else if (ids.length > model.maxImages) problems.images = () => i18n.format(studio().tooManyImages, { max: model.maxImages });
      else if (model.imageInput === 'multi') body.fileIds = ids;
      else body.fileId = ids[0];
    }
    this.errors.set(problems);
    if (!this.errors.empty) return false;

    this.submitting = true;
    const result = await createFluxTask(this.mode, body as never, this.#fieldMap(model));
    this.submitting = false;
    if (!result.ok) {
      this.errors.set(result.fieldErrors);
      // Turned off (or not set up) meanwhile: the form says so from now on.
      if (result.status === 503) void this.#reloadConfig();
      return false;
    }
    const task = taskEventsManager.put(result.data);
    this.recent.remember(task);
    if (!this.submitted.includes(task.id)) this.submitted.unshift(task.id);
    // The price was reserved: the sidebar shows it at once.
    void creditsManager.refresh();
    return true;
  }

  async #reloadConfig(): Promise<void> {
    const result = await getFluxUserConfig();
    if (result.ok) this.config = result.data;
  }

  /** Loads the first page of recent Flux generations. */
  loadRecent(): Promise<void> {
    this.#checkOwner();
    return this.recent.load();
  }

  loadMoreRecent(): Promise<void> {
    return this.recent.loadMore();
  }

  /**
   * Keeps the values the user chose (or reused) that the chosen model takes; the rest come from
   * its defaults, so dev gets its 28 steps after schnell's 4 unless the user set the steps.
   */
  #fitValues(): void {
    const model = this.model;
    if (!model) return;
    const chosen = Object.fromEntries(Object.entries(this.values).filter(([name]) => this.#chosenValues.has(name)));
    this.values = valuesFor(model, chosen, this.catalogue?.customSize);
  }

  /** The API's field names → the studio's: parameters by their own name, every image field as `images`. */
  #fieldMap(model: FluxModel): Record<string, string> {
    const map: Record<string, string> = { prompt: 'prompt', model: 'model', imageUrl: 'images', imageUrls: 'images', fileId: 'images', fileIds: 'images' };
    for (const spec of model.parameters) map[spec.name] = spec.name;
    for (let index = 0; index < Math.max(model.maxImages, 1); index++) {
      map[`fileIds.${index}`] = 'images';
      map[`imageUrls.${index}`] = 'images';
    }
    return map;
  }

  #addInput(fields: Omit<StudioInput, 'key'>): StudioInput {
    const input: StudioInput = { key: `input-${++this.#inputKey}`, ...fields };
    this.inputs.push(input);
    return input;
  }

  #update(key: string, change: Partial<StudioInput>): void {
    const input = this.inputs.find((candidate) => candidate.key === key);
    if (input) Object.assign(input, change);
  }

  async #uploadOne(file: File, replacing: string[]): Promise<void> {
    const owner = this.#owner;
    const input = this.#addInput({ fileId: null, preview: URL.createObjectURL(file), name: file.name, status: 'uploading', progress: 0 });
    const result = await uploadFluxImage(file, (loaded, total) => this.#update(input.key, { progress: total ? loaded / total : 0 }));
    if (owner !== this.#owner) return;
    if (!result.ok) {
      this.removeInput(input.key);
      return;
    }
    this.#update(input.key, { fileId: result.data.id, status: 'ready', progress: 1 });
    for (const key of replacing) this.removeInput(key);
  }

  async #fillPreview(key: string, fileId: string): Promise<void> {
    const result = await getFile(fileId);
    if (!result.ok) {
      // Gone (deleted): it cannot be used.
      this.removeInput(key);
      return;
    }
    this.#update(key, { preview: thumbnailOf(result.data as MediaFile), name: result.data.originalFilename ?? '' });
  }

  /** A Flux task the stream brings that is not listed joins the recent ones in its place. */
  #onTask(task: Task): void {
    if (this.#owner === authManager.user?.id) this.recent.offer(task);
  }

  #checkOwner(): void {
    const owner = authManager.user?.id ?? null;
    if (owner === this.#owner) return;
    this.#owner = owner;
    this.recent.reset();
    this.clearInputs();
    this.provider = 'flux';
    this.config = null;
    this.catalogue = null;
    this.loadStatus = 'idle';
    this.mode = 'text';
    this.chosen = { text: '', image: '' };
    this.prompt = '';
    this.values = {};
    this.#chosenValues.clear();
    this.seed = '';
    this.seedLocked = false;
    this.submitting = false;
    this.errors.clear();
    this.submitted = [];
  }
}

/** The input images an earlier task was given (the API keeps every input as one of our files, in `fileIds`). */
function inputFileIds(parameters: Record<string, unknown>): string[] {
  const ids = [parameters.fileId, ...(Array.isArray(parameters.fileIds) ? parameters.fileIds : [])];
  return ids.filter((id): id is string => typeof id === 'string');
}

export const studioManager = new StudioManager();
