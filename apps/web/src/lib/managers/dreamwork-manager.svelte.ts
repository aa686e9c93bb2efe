import type { ImageInputSource } from '$lib/components/studio/image-input-source';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { creditsManager } from '$lib/managers/credits-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { imageOutputs, PreviousImages } from '$lib/managers/previous-images.svelte';
import type { PreviousOutput, StudioInput } from '$lib/managers/studio-manager.svelte';
import { taskEventsManager } from '$lib/managers/task-events-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import {
  createDreamWorkTask,
  DREAMWORK_INPUT_MAX_BYTES,
  jimengPixelProblem,
  DREAMWORK_INPUT_TYPES,
  DREAMWORK_MODES,
  DREAMWORK_ROUTES,
  DREAMWORK_SEED_RANGE,
  type DreamWorkMode,
  dreamWorkMode,
  ERASE_PROMPT,
  getDreamWorkModels,
  getJimengUserConfig,
  type JimengModel,
  type JimengUserConfig,
  listDreamWorkHistory,
  sizeProblem,
  type SizeProblem,
  squareOf,
} from '$lib/services/dreamwork.service';
import { getFile, type MediaFile, thumbnailOf, uploadFile } from '$lib/services/files.service';
import type { Task, TaskOutput } from '$lib/services/tasks.service';
import { type ErrorMessage, FormErrors } from '$lib/utils/form-errors.svelte';
import { RecentTasks } from '$lib/managers/recent-tasks.svelte';

/** The API's names → the form's: every image field is `images`, the mask `mask`, width and height `size`. */
const FIELDS: Record<string, string> = {
  model: 'model',
  prompt: 'prompt',
  seed: 'seed',
  width: 'size',
  height: 'size',
  strength: 'strength',
  promptExpansion: 'promptExpansion',
  forceSingle: 'several',
  image: 'images',
  'image.fileId': 'images',
  'image.url': 'images',
  referenceImages: 'images',
  ...Object.fromEntries(
    // The validation pipe names them `referenceImages.0.fileId`, the service's checks `referenceImages[0].fileId`.
    Array.from({ length: 10 }, (_, index) =>
      [`referenceImages.${index}`, `referenceImages[${index}]`].flatMap((name) => [
        [name, 'images'],
        [`${name}.fileId`, 'images'],
        [`${name}.url`, 'images'],
      ]),
    ).flat(),
  ),
  maskDataUrl: 'mask',
  maskFileId: 'mask',
};

/** An input image of a DreamWork form; `url` is the full picture, which the mask is painted on. */
export interface DreamWorkInput extends StudioInput {
  url: string | null;
}

/** `auto`: no size sent (image-to-image follows its input); a preset's label; or `custom`. */
export type SizeChoice = string;

/**
 * DreamWork (Jimeng images) in the image studio: its settings and catalogue, the form (mode,
 * model, inputs, mask, prompt, size, prompt expansion, strength, several images, seed), the jobs
 * submitted here and the recent DreamWork images. Like the Flux form it is kept while moving
 * between pages and dropped when the user changes; the tasks live in the task events manager.
 */
class DreamWorkManager implements ImageInputSource {
  config = $state<JimengUserConfig | null>(null);
  models = $state<JimengModel[]>([]);
  loadStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');

  mode = $state<DreamWorkMode>('text');
  chosen = $state<Record<DreamWorkMode, string>>({ text: '', image: '', inpaint: '' });
  prompt = $state('');
  /** Inpainting: erase the painted area ("删除") rather than repaint it from the prompt. */
  erase = $state(false);
  sizeChoice = $state<SizeChoice>('');
  /** The custom size typed (a number input bound to them hands back numbers, or null when empty). */
  width = $state<string | number | null>('');
  height = $state<string | number | null>('');
  promptExpansion = $state(true);
  strength = $state(0.5);
  /** Seedream 4.0: let it answer with several images (`forceSingle: false`), for the same price. */
  several = $state(false);
  seed = $state('');
  seedLocked = $state(false);
  inputs = $state<DreamWorkInput[]>([]);
  /** Inpainting: whether anything is painted, and how to read the mask (set by the form's painter). */
  painted = $state(false);
  maskReader: (() => string | null) | null = null;
  submitting = $state(false);
  readonly errors = new FormErrors();

  submitted = $state<string[]>([]);
  readonly recent = new RecentTasks(listDreamWorkHistory, (task) => task.provider === 'jimeng' && task.kind === 'image');
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
  /** Earlier images of any provider, to start from. */
  readonly previous = new PreviousImages();

  #owner: string | null = null;
  #inputKey = 0;

  constructor() {
    taskEventsManager.subscribe((task) => this.#onTask(task));
  }

  /** Whether DreamWork can be chosen: set up, turned on, and its catalogue loaded. */
  get available(): boolean {
    return this.loadStatus === 'ready' && !!this.config?.enabled && !this.config.unavailable && this.models.length > 0;
  }

  /** Why DreamWork cannot be chosen, worded for the user; null when it can (or while loading). */
  get unavailableReason(): string | null {
    const m = i18n.m.dreamwork;
    if (this.loadStatus === 'error') return m.unreachable;
    if (this.loadStatus !== 'ready' || !this.config) return null;
    // Turned off: our own words, which follow a switch of language; other reasons (not set up) are the server's.
    if (!this.config.enabled) return m.off;
    if (this.config.unavailable) return this.config.unavailable;
    if (this.models.length === 0) return m.noModels;
    return null;
  }

  modelsOf(mode: DreamWorkMode): JimengModel[] {
    return this.models.filter((model) => model.routes.includes(DREAMWORK_ROUTES[mode]));
  }

  get model(): JimengModel | undefined {
    return this.models.find((model) => model.id === this.chosen[this.mode]);
  }

  /** How many input images the chosen model takes in this mode (inpainting: the picture; its mask is painted). */
  get maxImages(): number {
    if (this.mode !== 'text') return 1;
    return this.model?.images.max ?? 0;
  }

  get uploading(): boolean {
    return this.inputs.some((input) => input.status === 'uploading');
  }

  get cost(): number {
    return this.model?.price.credits ?? 0;
  }

  /** The width and height to send: a preset's, the custom ones typed, or none (`auto`). */
  get size(): { width: number; height: number } | null {
    const rule = this.model?.size;
    if (!rule || this.sizeChoice === 'auto' || this.sizeChoice === '') return null;
    if (this.sizeChoice === 'custom') return { width: Number(this.width), height: Number(this.height) };
    const preset = rule.presets.find((candidate) => candidate.label === this.sizeChoice);
    return preset ? { width: preset.width, height: preset.height } : null;
  }

  /** The custom size's problem under the model's rule, live as it is typed. */
  get sizeProblem(): SizeProblem | null {
    const rule = this.model?.size;
    if (!rule || this.sizeChoice !== 'custom') return null;
    return sizeProblem(rule, Number(this.width), Number(this.height));
  }

  /** The picture the mask is painted on (inpainting). */
  get maskImage(): string | null {
    const input = this.inputs[0];
    return input?.status === 'ready' ? (input.url ?? null) : null;
  }

  get submittedTasks(): Task[] {
    return this.recent.tasks(this.submitted);
  }

  get recentTasks(): Task[] {
    const shown = new Set(this.submitted);
    return this.recent.tasks(this.recentIds.filter((id) => !shown.has(id)));
  }

  /** This studio's results first, then earlier images of every provider. */
  get previousOutputs(): PreviousOutput[] {
    return imageOutputs([...this.submittedTasks, ...this.recentTasks, ...this.previous.loadedTasks]);
  }

  /** Settings, catalogue and recent images (each visit: prices and settings may change). */
  async load(): Promise<void> {
    this.#checkOwner();
    if (this.loadStatus !== 'ready') this.loadStatus = 'loading';
    const [config, models] = await Promise.all([getJimengUserConfig(), getDreamWorkModels()]);
    // Turned off or not set up, the catalogue may be refused too: the settings say why.
    const usable = config.ok && config.data.enabled && !config.data.unavailable;
    if (!config.ok || (usable && !models.ok)) {
      if (this.loadStatus !== 'ready') this.loadStatus = 'error';
      return;
    }
    this.config = config.data;
    this.models = models.ok ? models.data : [];
    for (const mode of DREAMWORK_MODES) {
      const ofMode = this.modelsOf(mode);
      if (ofMode.some((model) => model.id === this.chosen[mode])) continue;
      const preferred = ofMode.find((model) => model.id === config.data.defaultImageModel) ?? ofMode[0];
      this.chosen[mode] = preferred?.id ?? '';
    }
    this.#fitModel();
    this.loadStatus = 'ready';
  }

  /** The recent DreamWork images and earlier images to start from: only once DreamWork is shown. */
  loadResults(): void {
    void this.loadRecent();
    void this.previous.load();
  }

  selectMode(mode: DreamWorkMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.errors.clear();
    this.#fitModel();
    // Image-to-image and inpainting take one picture: the first of the references stays.
    if (mode !== 'text' && this.inputs.length > 1) {
      for (const input of this.inputs.slice(1)) this.removeInput(input.key);
    }
  }

  selectModel(id: string): void {
    const model = this.models.find((candidate) => candidate.id === id);
    if (!model) return;
    this.chosen[this.mode] = id;
    this.errors.clear();
    this.#fitModel();
  }

  chooseSize(choice: SizeChoice): void {
    const rule = this.model?.size;
    if (choice === 'custom' && rule && (!this.width || !this.height)) {
      const current = this.size;
      this.width = String(current?.width ?? rule.defaultWidth);
      this.height = String(current?.height ?? rule.defaultHeight);
    }
    this.sizeChoice = choice;
    this.errors.clear('size');
  }

  randomizeSeed(): void {
    this.seed = String(randomSeed());
    this.seedLocked = true;
    this.errors.clear('seed');
  }

  /** Uploads images picked, dropped or pasted (to my files), as many as the model takes. */
  async upload(files: File[]): Promise<void> {
    const max = this.maxImages;
    if (max === 0) return;
    const m = i18n.m.dreamwork;
    const images: File[] = [];
    for (const file of files) {
      if (!DREAMWORK_INPUT_TYPES.includes(file.type)) toastManager.error(m.notAnInputImage, file.name);
      else if (file.size > DREAMWORK_INPUT_MAX_BYTES) toastManager.error(m.inputTooLarge, file.name);
      else {
        const problem = await jimengPixelProblem(file);
        if (problem) toastManager.error(problem, file.name);
        else images.push(file);
      }
    }
    if (images.length === 0) return;
    const replacing = max === 1 ? this.inputs.map((input) => input.key) : [];
    const room = max === 1 ? 1 : Math.max(0, max - this.inputs.length);
    if (images.length > room) toastManager.error(i18n.format(i18n.m.studio.tooManyImages, { max }));
    this.errors.clear('images');
    await Promise.all(images.slice(0, room).map((file) => this.#uploadOne(file, replacing)));
  }

  /** Adds a stored image (an earlier result, one of my files); `preview` saves asking for it. */
  async addFile(fileId: string, preview?: string | null, url?: string | null): Promise<void> {
    const max = this.maxImages;
    if (max === 0) return;
    if (this.inputs.some((input) => input.fileId === fileId)) return;
    if (max === 1) this.clearInputs();
    else if (this.inputs.length >= max) {
      toastManager.error(i18n.format(i18n.m.studio.tooManyImages, { max }));
      return;
    }
    this.errors.clear('images');
    const input = this.#addInput({ fileId, preview: preview ?? null, url: url ?? null, name: '', status: 'ready', progress: 1 });
    if (!preview || !url) await this.#fillPreview(input.key, fileId);
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

  /** "Use as input" on a result: image-to-image from it. */
  async useAsInput(output: TaskOutput, thumbnail: string | null): Promise<void> {
    this.selectMode('image');
    await this.addFile(output.id, thumbnail, output.url);
  }

  /** "Inpaint" on a result: its picture in the inpainting form, ready to paint on. */
  async inpaint(output: TaskOutput, thumbnail: string | null): Promise<void> {
    this.selectMode('inpaint');
    this.prompt = '';
    this.erase = false;
    await this.addFile(output.id, thumbnail, output.url);
  }

  /** Fills the form from an earlier DreamWork task ("reuse settings"). */
  reuse(task: Task): void {
    const m = i18n.m.studio;
    const model = this.models.find((candidate) => candidate.id === task.model);
    const mode = model ? dreamWorkMode(model) : null;
    if (!model || !mode) {
      toastManager.error(m.reuseUnknown, task.model);
      return;
    }
    const parameters = (task.parameters ?? {}) as Record<string, unknown>;
    this.mode = mode;
    this.chosen[mode] = model.id;
    this.#fitModel();
    const erase = mode === 'inpaint' && task.prompt?.trim() === ERASE_PROMPT;
    this.erase = erase;
    this.prompt = erase ? '' : (task.prompt ?? '');
    if (typeof parameters.width === 'number' && typeof parameters.height === 'number' && model.size) {
      const preset = model.size.presets.find((candidate) => candidate.width === parameters.width && candidate.height === parameters.height);
      this.sizeChoice = preset ? preset.label : 'custom';
      this.width = String(parameters.width);
      this.height = String(parameters.height);
    }
    if (typeof parameters.promptExpansion === 'boolean') this.promptExpansion = parameters.promptExpansion;
    if (typeof parameters.strength === 'number') this.strength = parameters.strength;
    if (typeof parameters.forceSingle === 'boolean') this.several = !parameters.forceSingle;
    const seed = parameters.seed;
    this.seed = typeof seed === 'number' && seed >= 0 ? String(seed) : '';
    this.seedLocked = this.seed !== '';
    this.errors.clear();
    this.clearInputs();
    // The inputs are kept as our files (`imageFileIds`, each named in `imageFields`); an inpainting's mask is painted again.
    const ids = Array.isArray(parameters.imageFileIds) ? parameters.imageFileIds : [];
    const fields = Array.isArray(parameters.imageFields) ? parameters.imageFields : [];
    const images = ids.filter((id, index): id is string => typeof id === 'string' && !String(fields[index] ?? '').startsWith('mask'));
    for (const fileId of images.slice(0, this.maxImages)) {
      const input = this.#addInput({ fileId, preview: null, url: null, name: '', status: 'ready', progress: 1 });
      void this.#fillPreview(input.key, fileId);
    }
    toastManager.info(m.reused);
  }

  /** Checks the form, then starts the generation; resolves to whether it was submitted. */
  async submit(): Promise<boolean> {
    const model = this.model;
    if (!model || this.submitting) return false;
    const m = () => i18n.m.dreamwork;
    const studio = () => i18n.m.studio;
    const mode = this.mode;
    const body: Record<string, unknown> = { model: model.id };
    const problems: Record<string, ErrorMessage | null> = {};

    const prompt = mode === 'inpaint' && this.erase ? ERASE_PROMPT : this.prompt.trim();
    if (prompt) body.prompt = prompt;
    else if (model.promptRequired) problems.prompt = () => (mode === 'inpaint' ? m().inpaintPromptRequired : studio().promptRequired);
    if (prompt.length > model.promptMaxLength) problems.prompt = () => i18n.format(m().promptTooLong, { max: model.promptMaxLength });

    if (model.size && mode !== 'inpaint') {
      const size = this.size;
      const problem = this.sizeProblem;
      if (problem) problems.size = () => sizeMessage(problem);
      else if (size) Object.assign(body, size);
    }
    if (model.promptExpansion) body.promptExpansion = this.promptExpansion;
    if (model.strength) body.strength = this.strength;
    if (model.multipleOutputs) body.forceSingle = !this.several;

    const ids = this.inputs.map((input) => input.fileId).filter((id): id is string => !!id);
    if (this.uploading) problems.images = () => studio().waitForUploads;
    else if (mode === 'text') {
      // A model without references leaves them out (they stay for when one with references is chosen again).
      const max = this.maxImages;
      if (max > 0 && ids.length > max) problems.images = () => i18n.format(studio().tooManyImages, { max });
      else if (max > 0 && ids.length > 0) body.referenceImages = ids.map((fileId) => ({ fileId }));
    } else if (ids.length === 0) problems.images = () => (mode === 'inpaint' ? m().inpaintImageRequired : studio().imageRequired);
    else body.image = { fileId: ids[0] };

    if (mode === 'inpaint' && ids.length > 0) {
      const mask = this.painted ? this.maskReader?.() : null;
      if (!mask) problems.mask = () => m().maskRequired;
      else body.maskDataUrl = mask;
    }

    if (this.seedLocked && this.seed.trim() !== '') {
      const seed = Number(this.seed.trim());
      if (!Number.isInteger(seed) || seed < DREAMWORK_SEED_RANGE.min || seed > DREAMWORK_SEED_RANGE.max) {
        problems.seed = () => i18n.format(studio().valueRange, { min: DREAMWORK_SEED_RANGE.min, max: DREAMWORK_SEED_RANGE.max });
      } else body.seed = seed;
    } else {
      // Unlocked: a new seed each time, shown so it can be locked to repeat this one.
      const seed = randomSeed();
      this.seed = String(seed);
      body.seed = seed;
    }

    this.errors.set(problems);
    if (!this.errors.empty) return false;

    this.submitting = true;
    const result = await createDreamWorkTask(mode, body as never, FIELDS);
    this.submitting = false;
    if (!result.ok) {
      this.errors.set(result.fieldErrors);
      if (result.status === 503) void this.#reloadConfig();
      return false;
    }
    const task = taskEventsManager.put(result.data);
    this.recent.remember(task);
    if (!this.submitted.includes(task.id)) this.submitted.unshift(task.id);
    void creditsManager.refresh();
    return true;
  }

  loadRecent(): Promise<void> {
    this.#checkOwner();
    return this.recent.load();
  }

  loadMoreRecent(): Promise<void> {
    return this.recent.loadMore();
  }

  async #reloadConfig(): Promise<void> {
    const result = await getJimengUserConfig();
    if (result.ok) this.config = result.data;
  }

  /** A change of model (or mode): the size follows its rule; the other settings take its defaults when it has them. */
  #fitModel(): void {
    const model = this.model;
    if (!model) return;
    const rule = model.size;
    if (!rule) this.sizeChoice = '';
    else if (this.sizeChoice === 'custom') {
      // Kept when the typed size fits the new model too; its problem shows otherwise.
    } else if (this.sizeChoice === 'auto' && this.mode === 'image') {
      // Image-to-image follows its input by default.
    } else if (!rule.presets.some((preset) => preset.label === this.sizeChoice)) {
      const fallback = rule.presets.find((preset) => preset.width === rule.defaultWidth && preset.height === rule.defaultHeight);
      this.sizeChoice = this.mode === 'image' ? 'auto' : (fallback?.label ?? 'custom');
      if (!fallback) {
        this.width = String(rule.defaultWidth);
        this.height = String(rule.defaultHeight);
      }
    }
    if (model.strength && (this.strength < model.strength.min || this.strength > model.strength.max)) this.strength = model.strength.default;
  }

  #addInput(fields: Omit<DreamWorkInput, 'key'>): DreamWorkInput {
    const input: DreamWorkInput = { key: `dreamwork-input-${++this.#inputKey}`, ...fields };
    this.inputs.push(input);
    return this.inputs[this.inputs.length - 1];
  }

  #update(key: string, change: Partial<DreamWorkInput>): void {
    const input = this.inputs.find((candidate) => candidate.key === key);
    if (input) Object.assign(input, change);
  }

  async #uploadOne(file: File, replacing: string[]): Promise<void> {
    const owner = this.#owner;
    const local = URL.createObjectURL(file);
    const input = this.#addInput({ fileId: null, preview: local, url: local, name: file.name, status: 'uploading', progress: 0 });
    const result = await uploadFile(file, (loaded, total) => this.#update(input.key, { progress: total ? loaded / total : 0 }));
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
      this.removeInput(key);
      return;
    }
    const file = result.data as MediaFile;
    const input = this.inputs.find((candidate) => candidate.key === key);
    this.#update(key, { preview: input?.preview ?? thumbnailOf(file), url: file.url ?? null, name: file.originalFilename ?? '' });
  }

  /** A DreamWork image the stream brings that is not listed joins the recent ones in its place. */
  #onTask(task: Task): void {
    if (this.#owner === authManager.user?.id) this.recent.offer(task);
  }

  #checkOwner(): void {
    const owner = authManager.user?.id ?? null;
    if (owner === this.#owner) return;
    this.#owner = owner;
    this.recent.reset();
    this.clearInputs();
    this.previous.reset();
    this.config = null;
    this.models = [];
    this.loadStatus = 'idle';
    this.mode = 'text';
    this.chosen = { text: '', image: '', inpaint: '' };
    this.prompt = '';
    this.erase = false;
    this.sizeChoice = '';
    this.width = '';
    this.height = '';
    this.promptExpansion = true;
    this.strength = 0.5;
    this.several = false;
    this.seed = '';
    this.seedLocked = false;
    this.painted = false;
    this.submitting = false;
    this.errors.clear();
    this.submitted = [];
  }
}

/** A size problem in the current language. */
export function sizeMessage(problem: SizeProblem): string {
  const m = i18n.m.dreamwork;
  switch (problem.kind) {
    case 'integer':
      return m.sizeInteger;
    case 'side':
      return i18n.format(m.sizeSide, { min: problem.min, max: problem.max });
    case 'area':
      return i18n.format(m.sizeArea, { min: squareOf(problem.min), max: squareOf(problem.max) });
    case 'ratio':
      return i18n.format(m.sizeRatio, { ratio: problem.max });
  }
}

function randomSeed(): number {
  const { min, max } = DREAMWORK_SEED_RANGE;
  return min + Math.floor(Math.random() * (max - min + 1));
}

export const dreamworkManager = new DreamWorkManager();
