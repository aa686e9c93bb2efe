import type { ImageInputSource } from '$lib/components/studio/image-input-source';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { creditsManager } from '$lib/managers/credits-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { taskEventsManager } from '$lib/managers/task-events-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import type { PreviousOutput, StudioInput } from '$lib/managers/studio-manager.svelte';
import { getFile, type MediaFile, thumbnailOf, uploadFile } from '$lib/services/files.service';
import {
  blend,
  describe,
  getMidjourneyActions,
  getMidjourneyUserConfig,
  imagine,
  listMidjourneyHistory,
  MJ_BLEND_MAX,
  MJ_BLEND_MIN,
  MJ_MAX_REFERENCES,
  type MidjourneyAction,
  type MidjourneyBlendDimensions,
  type MidjourneyBotType,
  type MidjourneyImagine,
  type MidjourneyTab,
  type MidjourneyTaskAction,
  type MidjourneyUserConfig,
  runAction,
} from '$lib/services/midjourney.service';
import { getTask, isVideoOutput, type Task } from '$lib/services/tasks.service';
import { type ErrorMessage, FormErrors } from '$lib/utils/form-errors.svelte';
import { RecentTasks } from '$lib/managers/recent-tasks.svelte';

/** What the proxy takes as an image (checked again by the server, by content). */
const INPUT_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const INPUT_MAX_BYTES = 10 * 1024 * 1024;

/**
 * One list of input images of the Midjourney studio (imagine's references, blend's images,
 * describe's image): uploaded to my files at once, or earlier results; sent as file ids.
 */
class MidjourneyInputs implements ImageInputSource {
  inputs = $state<StudioInput[]>([]);
  #key = 0;

  constructor(
    private readonly studio: MidjourneyManager,
    readonly maxImages: number,
  ) {}

  get errors(): FormErrors {
    return this.studio.errors;
  }
  get previousOutputs(): PreviousOutput[] {
    return this.studio.previousOutputs;
  }
  get recentStatus() {
    return this.studio.recentStatus;
  }
  get recentCursor() {
    return this.studio.recentCursor;
  }
  get loadingMore() {
    return this.studio.loadingMore;
  }
  loadMoreRecent(): Promise<void> {
    return this.studio.loadMoreRecent();
  }

  get uploading(): boolean {
    return this.inputs.some((input) => input.status === 'uploading');
  }

  get fileIds(): string[] {
    return this.inputs.map((input) => input.fileId).filter((id): id is string => !!id);
  }

  async upload(files: File[]): Promise<void> {
    const m = i18n.m.studio;
    const images = files.filter((file) => {
      if (!INPUT_TYPES.includes(file.type)) toastManager.error(m.notAnInputImage, file.name);
      else if (file.size > INPUT_MAX_BYTES) toastManager.error(i18n.format(m.inputTooLarge, { max: INPUT_MAX_BYTES / 1024 / 1024 }), file.name);
      else return true;
      return false;
    });
    if (images.length === 0) return;
    const replacing = this.maxImages === 1 ? this.inputs.map((input) => input.key) : [];
    const room = this.maxImages === 1 ? 1 : Math.max(0, this.maxImages - this.inputs.length);
    if (images.length > room) toastManager.error(i18n.format(i18n.m.midjourney.tooManyImages, { max: this.maxImages }));
    this.errors.clear('images');
    await Promise.all(images.slice(0, room).map((file) => this.#uploadOne(file, replacing)));
  }

  async addFile(fileId: string, preview?: string | null): Promise<void> {
    if (this.inputs.some((input) => input.fileId === fileId)) return;
    if (this.maxImages === 1) this.clear();
    else if (this.inputs.length >= this.maxImages) {
      toastManager.error(i18n.format(i18n.m.midjourney.tooManyImages, { max: this.maxImages }));
      return;
    }
    this.errors.clear('images');
    const input = this.#add({ fileId, preview: preview ?? null, name: '', status: 'ready', progress: 1 });
    if (!preview) {
      const result = await getFile(fileId);
      if (!result.ok) this.removeInput(input.key);
      else this.#update(input.key, { preview: thumbnailOf(result.data as MediaFile) });
    }
  }

  removeInput(key: string): void {
    const input = this.inputs.find((candidate) => candidate.key === key);
    if (input?.preview?.startsWith('blob:')) URL.revokeObjectURL(input.preview);
    this.inputs = this.inputs.filter((candidate) => candidate.key !== key);
    this.errors.clear('images');
  }

  clear(): void {
    for (const input of this.inputs) if (input.preview?.startsWith('blob:')) URL.revokeObjectURL(input.preview);
    this.inputs = [];
  }

  #add(fields: Omit<StudioInput, 'key'>): StudioInput {
    const input: StudioInput = { key: `mj-input-${++this.#key}`, ...fields };
    this.inputs.push(input);
    return input;
  }

  #update(key: string, change: Partial<StudioInput>): void {
    const input = this.inputs.find((candidate) => candidate.key === key);
    if (input) Object.assign(input, change);
  }

  async #uploadOne(file: File, replacing: string[]): Promise<void> {
    const input = this.#add({ fileId: null, preview: URL.createObjectURL(file), name: file.name, status: 'uploading', progress: 0 });
    const result = await uploadFile(file, (loaded, total) => this.#update(input.key, { progress: total ? loaded / total : 0 }));
    if (!result.ok) {
      this.removeInput(input.key);
      return;
    }
    this.#update(input.key, { fileId: result.data.id, status: 'ready', progress: 1 });
    for (const key of replacing) this.removeInput(key);
  }
}

/**
 * The Midjourney studio: its settings and action catalogue (labels, prices), the imagine, blend and
 * describe forms, the jobs started here (new ones and the children made by pressing a card's
 * buttons) and the recent Midjourney generations. Kept while moving between pages; dropped when the
 * user changes. The tasks themselves live in the task events manager.
 */
class MidjourneyManager {
  config = $state<MidjourneyUserConfig | null>(null);
  catalogue = $state<MidjourneyAction[] | null>(null);
  loadStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');

  tab = $state<MidjourneyTab>('imagine');
  prompt = $state('');
  botType = $state<MidjourneyBotType>('MID_JOURNEY');
  /** Parameter fields; empty means "not sent" (Midjourney's default). */
  aspectRatio = $state('');
  version = $state('');
  stylize = $state('');
  chaos = $state('');
  weird = $state('');
  /** --q as its text ('' when not sent). */
  quality = $state('');
  seed = $state('');
  no = $state('');
  rawStyle = $state(false);
  tile = $state(false);
  blendDimensions = $state<MidjourneyBlendDimensions>('square');
  submitting = $state(false);
  readonly errors = new FormErrors();
  readonly references = new MidjourneyInputs(this, MJ_MAX_REFERENCES);
  readonly blendImages = new MidjourneyInputs(this, MJ_BLEND_MAX);
  readonly describeImage = new MidjourneyInputs(this, 1);

  /** Tasks started or shown here, newest on top. */
  submitted = $state<string[]>([]);
  readonly recent = new RecentTasks(listMidjourneyHistory, (task) => task.provider === 'midjourney');
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
  #catalogueRequest: Promise<void> | null = null;

  constructor() {
    taskEventsManager.subscribe((task) => this.#onTask(task));
  }

  /** The catalogue entry of an action key (`imagine`, `upscale:2`, …). */
  action(key: string): MidjourneyAction | undefined {
    return this.catalogue?.find((action) => action.key === key);
  }

  /** Credits the current tab's submission costs. */
  get cost(): number {
    return this.action(this.tab)?.price ?? 0;
  }

  /** The image list of the current tab. */
  get inputs(): MidjourneyInputs {
    return this.tab === 'blend' ? this.blendImages : this.tab === 'describe' ? this.describeImage : this.references;
  }

  get uploading(): boolean {
    return this.inputs.uploading;
  }

  get submittedTasks(): Task[] {
    return this.recent.tasks(this.submitted);
  }

  get recentTasks(): Task[] {
    const shown = new Set(this.submitted);
    return this.recent.tasks(this.recentIds.filter((id) => !shown.has(id)));
  }

  /** Single images of the generations listed (a grid's four, an upscale), newest first. */
  get previousOutputs(): PreviousOutput[] {
    const seen = new Set<string>();
    const outputs: PreviousOutput[] = [];
    for (const task of [...this.submittedTasks, ...this.recentTasks]) {
      if (task.status !== 'succeeded') continue;
      for (const output of task.outputs) {
        if (!output.url || !output.stored || isVideoOutput(output) || output.metadata?.role === 'grid' || seen.has(output.id)) continue;
        seen.add(output.id);
        outputs.push({ task, output });
      }
    }
    return outputs;
  }

  /** Loads the settings, the catalogue (prices may change: each visit) and the recent generations. */
  async load(): Promise<void> {
    this.#checkOwner();
    if (this.loadStatus !== 'ready') this.loadStatus = 'loading';
    void this.loadRecent();
    const [config, catalogue] = await Promise.all([getMidjourneyUserConfig(), getMidjourneyActions()]);
    if (!config.ok || !catalogue.ok) {
      if (this.loadStatus !== 'ready') this.loadStatus = 'error';
      return;
    }
    if (!this.config) this.botType = config.data.defaultBotType;
    this.config = config.data;
    this.catalogue = catalogue.data.actions;
    this.loadStatus = 'ready';
  }

  /** The catalogue for labels elsewhere (history cards), loaded once in the background. */
  ensureCatalogue(): void {
    this.#checkOwner();
    if (this.catalogue || this.#catalogueRequest || !authManager.user) return;
    this.#catalogueRequest = getMidjourneyActions({ background: true }).then((result) => {
      if (result.ok && !this.catalogue) this.catalogue = result.data.actions;
      this.#catalogueRequest = null;
    });
  }

  selectTab(tab: MidjourneyTab): void {
    if (tab === this.tab) return;
    this.tab = tab;
    this.errors.clear();
  }

  /** "Imagine this": a prompt (e.g. from a describe) into the imagine form. */
  usePrompt(prompt: string): void {
    this.#checkOwner();
    this.tab = 'imagine';
    this.prompt = prompt;
    this.errors.clear();
  }

  /**
   * Fills the form from an earlier task ("reuse settings"): a blend's images and shape, a
   * describe's image, or anything else's prompt (its flags included, so the fields are cleared),
   * bot and reference images.
   */
  async reuse(taskId: string): Promise<void> {
    const result = await getTask(taskId);
    if (!result.ok) return;
    const task = result.data;
    if (task.provider !== 'midjourney') {
      toastManager.error(i18n.m.midjourney.reuseUnknown, task.model);
      return;
    }
    const parameters = task.parameters ?? {};
    const ids = (value: unknown) => (Array.isArray(value) ? value : [value]).filter((id): id is string => typeof id === 'string');
    if (parameters.botType === 'MID_JOURNEY' || parameters.botType === 'NIJI_JOURNEY') this.botType = parameters.botType;
    this.errors.clear();
    if (task.action === 'blend') {
      this.tab = 'blend';
      this.blendImages.clear();
      for (const id of ids(parameters.fileIds).slice(0, MJ_BLEND_MAX)) void this.blendImages.addFile(id);
      if (parameters.dimensions === 'portrait' || parameters.dimensions === 'landscape' || parameters.dimensions === 'square') this.blendDimensions = parameters.dimensions;
    } else if (task.action === 'describe') {
      this.tab = 'describe';
      this.describeImage.clear();
      for (const id of ids(parameters.fileId).slice(0, 1)) void this.describeImage.addFile(id);
    } else {
      this.tab = 'imagine';
      this.prompt = task.prompt ?? '';
      this.aspectRatio = this.version = this.stylize = this.chaos = this.weird = this.quality = this.seed = this.no = '';
      this.rawStyle = this.tile = false;
      this.references.clear();
      for (const id of ids(parameters.referenceFileIds).slice(0, MJ_MAX_REFERENCES)) void this.references.addFile(id);
    }
    toastManager.info(i18n.m.studio.reused);
  }

  /** Checks the current tab's form, then starts it; resolves to whether it was submitted. */
  async submit(): Promise<boolean> {
    if (this.submitting || !this.catalogue) return false;
    const mj = () => i18n.m.midjourney;
    const problems: Record<string, ErrorMessage | null> = {};
    const inputs = this.inputs;
    if (inputs.uploading) problems.images = () => i18n.m.studio.waitForUploads;
    let send: () => ReturnType<typeof imagine>;
    if (this.tab === 'imagine') {
      const prompt = this.prompt.trim();
      if (!prompt) problems.prompt = () => i18n.m.studio.promptRequired;
      const body: MidjourneyImagine = { prompt, botType: this.botType };
      if (inputs.fileIds.length) body.referenceImages = inputs.fileIds;
      if (this.aspectRatio) body.aspectRatio = this.aspectRatio;
      if (this.version && this.botType === 'MID_JOURNEY') body.version = this.version;
      const ranges: Array<['stylize' | 'chaos' | 'weird', number]> = [
        ['stylize', 1000],
        ['chaos', 100],
        ['weird', 3000],
      ];
      for (const [name, max] of ranges) {
        // A number input's binding may hold a number rather than its text.
        const text = String(this[name] ?? '').trim();
        if (text === '') continue;
        const value = Number(text);
        if (!Number.isInteger(value) || value < 0 || value > max) problems[name] = () => i18n.format(i18n.m.studio.valueRange, { min: 0, max });
        else body[name] = value;
      }
      if (this.quality) body.quality = Number(this.quality) as MidjourneyImagine['quality'];
      const seedText = String(this.seed ?? '').trim();
      if (seedText !== '') {
        const seed = Number(seedText);
        if (!Number.isInteger(seed) || seed < 0 || seed > 4294967295) problems.seed = () => i18n.format(i18n.m.studio.valueRange, { min: 0, max: 4294967295 });
        else body.seed = seed;
      }
      if (this.no.trim()) body.no = this.no.trim();
      if (this.rawStyle) body.rawStyle = true;
      if (this.tile) body.tile = true;
      send = () => imagine(body, IMAGINE_FIELDS);
    } else if (this.tab === 'blend') {
      const ids = inputs.fileIds;
      if (!problems.images && (ids.length < MJ_BLEND_MIN || ids.length > MJ_BLEND_MAX)) problems.images = () => mj().blendCount;
      send = () => blend({ images: ids, dimensions: this.blendDimensions, botType: this.botType }, BLEND_FIELDS);
    } else {
      const [image] = inputs.fileIds;
      if (!problems.images && !image) problems.images = () => mj().describeImageRequired;
      send = () => describe({ image, botType: this.botType }, { image: 'images', botType: 'botType' });
    }
    this.errors.set(problems);
    if (!this.errors.empty) return false;

    this.submitting = true;
    const result = await send();
    this.submitting = false;
    if (!result.ok) {
      this.errors.set(result.fieldErrors);
      if (result.status === 503) void this.#reloadConfig();
      return false;
    }
    this.#show(result.data);
    void creditsManager.refresh();
    return true;
  }

  /** Presses a finished task's button; the child task goes on top of the jobs. Resolves to it, or null. */
  async act(task: Task, body: MidjourneyTaskAction, fields: Readonly<Record<string, string>> = {}): Promise<Task | null> {
    const result = await runAction(task.id, body, fields);
    if (!result.ok) return null;
    // The parent is finished, so no event will bring its new child: its copy learns it here.
    const parent = taskEventsManager.get(task.id) ?? task;
    if (!parent.childTaskIds.includes(result.data.id)) taskEventsManager.put({ ...parent, childTaskIds: [...parent.childTaskIds, result.data.id] });
    this.#show(result.data);
    void creditsManager.refresh();
    return result.data;
  }

  /** Shows one of my tasks on top of the jobs (a link to a parent or child). */
  async showTask(taskId: string): Promise<Task | null> {
    const known = taskEventsManager.get(taskId);
    if (known) {
      this.#show(known);
      return known;
    }
    const result = await getTask(taskId);
    if (!result.ok) return null;
    this.#show(result.data);
    return result.data;
  }

  loadRecent(): Promise<void> {
    this.#checkOwner();
    return this.recent.load();
  }

  loadMoreRecent(): Promise<void> {
    return this.recent.loadMore();
  }

  #show(given: Task): void {
    const task = taskEventsManager.put(given);
    this.recent.remember(task);
    this.submitted = [task.id, ...this.submitted.filter((id) => id !== task.id)];
  }

  async #reloadConfig(): Promise<void> {
    const result = await getMidjourneyUserConfig();
    if (result.ok) this.config = result.data;
  }

  /** A Midjourney task the stream brings that is not listed joins the recent ones in its place. */
  #onTask(task: Task): void {
    if (this.#owner === authManager.user?.id) this.recent.offer(task);
  }

  #checkOwner(): void {
    const owner = authManager.user?.id ?? null;
    if (owner === this.#owner) return;
    this.#owner = owner;
    this.recent.reset();
    for (const list of [this.references, this.blendImages, this.describeImage]) list.clear();
    this.config = null;
    this.catalogue = null;
    this.loadStatus = 'idle';
    this.tab = 'imagine';
    this.prompt = '';
    this.botType = 'MID_JOURNEY';
    this.aspectRatio = '';
    this.version = '';
    this.stylize = '';
    this.chaos = '';
    this.weird = '';
    this.quality = '';
    this.seed = '';
    this.no = '';
    this.rawStyle = false;
    this.tile = false;
    this.blendDimensions = 'square';
    this.submitting = false;
    this.errors.clear();
    this.submitted = [];
  }
}

/** The API's field names → the form's: every image field as `images`. */
const IMAGINE_FIELDS: Record<string, string> = {
  prompt: 'prompt',
  botType: 'botType',
  aspectRatio: 'aspectRatio',
  version: 'version',
  stylize: 'stylize',
  chaos: 'chaos',
  weird: 'weird',
  quality: 'quality',
  seed: 'seed',
  no: 'no',
  rawStyle: 'rawStyle',
  tile: 'tile',
  referenceImages: 'images',
  ...Object.fromEntries(Array.from({ length: MJ_MAX_REFERENCES }, (_, index) => [`referenceImages.${index}`, 'images'])),
};
const BLEND_FIELDS: Record<string, string> = {
  images: 'images',
  dimensions: 'dimensions',
  botType: 'botType',
  ...Object.fromEntries(Array.from({ length: MJ_BLEND_MAX }, (_, index) => [`images.${index}`, 'images'])),
};

export const midjourneyManager = new MidjourneyManager();
