import type { ImageInputSource } from '$lib/components/studio/image-input-source';
import { authManager } from '$lib/managers/auth-manager.svelte';
import { creditsManager } from '$lib/managers/credits-manager.svelte';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { taskEventsManager } from '$lib/managers/task-events-manager.svelte';
import { toastManager } from '$lib/managers/toast-manager.svelte';
import type { PreviousOutput, StudioInput } from '$lib/managers/studio-manager.svelte';
import { jimengPixelProblem } from '$lib/services/dreamwork.service';
import { getFile, type MediaFile, thumbnailOf, uploadFile } from '$lib/services/files.service';
import { getTask, type Task } from '$lib/services/tasks.service';
import {
  accepts,
  CAMERA_AXES,
  CAMERA_PRESETS,
  CAMERA_VALUE_MAX,
  type CameraAxis,
  type CameraChoice,
  createVideo,
  getVideoCatalogue,
  lastFrame,
  listVideoHistory,
  type VideoCatalogue,
  type VideoMode,
  type VideoModel,
  VIDEO_PROMPT_MAX,
  videoPrice,
  type VideoProvider,
  type VideoQuality,
  type VideoRequest,
} from '$lib/services/video.service';
import {
  createJimengImageToVideo,
  createJimengTextToVideo,
  getJimengVideoCatalogue,
  JIMENG_FRAME_MAX_BYTES,
  JIMENG_FRAME_TYPES,
  type JimengImageToVideo,
  jimengOffersLastFrame,
  jimengPrice,
  jimengQualities,
  type JimengQuality,
  type JimengTextToVideo,
  type JimengVideoCatalogue,
  type JimengVideoModel,
  jimengVideoModel,
  takesLastFrame,
} from '$lib/services/jimeng-video.service';
import { PreviousImages } from '$lib/managers/previous-images.svelte';
import type { Result } from '$lib/services/api-result';
import { type ErrorMessage, FormErrors } from '$lib/utils/form-errors.svelte';
import { RecentTasks } from '$lib/managers/recent-tasks.svelte';

/** The start or the end frame: one image, uploaded to my files at once or picked from earlier results. */
class FrameInput implements ImageInputSource {
  inputs = $state<StudioInput[]>([]);
  readonly maxImages = 1;
  #key = 0;

  constructor(
    private readonly studio: VideoManager,
    private readonly field: 'startImage' | 'endImage',
  ) {}

  /** This frame's problems are shown as `images` by ImageInputs: a view of the studio's errors under that name. */
  readonly errors = {
    get: (name: string) => (name === 'images' ? this.studio.errors.get(this.field) : undefined),
    clear: () => this.studio.errors.clear(this.field),
  } as unknown as FormErrors;

  get previousOutputs(): PreviousOutput[] {
    return this.studio.previous.outputs;
  }
  get recentStatus() {
    return this.studio.previous.status;
  }
  get recentCursor() {
    return this.studio.previous.cursor;
  }
  get loadingMore() {
    return this.studio.previous.loadingMore;
  }
  loadMoreRecent(): Promise<void> {
    return this.studio.previous.loadMore();
  }

  get uploading(): boolean {
    return this.inputs.some((input) => input.status === 'uploading');
  }

  get fileId(): string | null {
    return this.inputs.find((input) => input.fileId)?.fileId ?? null;
  }

  async upload(files: File[]): Promise<void> {
    const m = i18n.m.studio;
    // What the provider takes as a frame (Kling: JPG or PNG up to 10 MB); checked again by the server.
    const { types, maxBytes } = this.studio.frameRules;
    const file = files.find((candidate) => {
      if (!types.includes(candidate.type)) toastManager.error(m.notAnInputImage, candidate.name);
      // One decimal: Jimeng's limit is 4.7 MB.
      else if (candidate.size > maxBytes) toastManager.error(i18n.format(m.inputTooLarge, { max: Math.round((maxBytes / 1024 / 1024) * 10) / 10 }), candidate.name);
      else return true;
      return false;
    });
    if (!file) return;
    // Jimeng's pixel limits too, said now rather than as the server's refusal once the form is sent.
    const problem = this.studio.provider === 'jimeng' ? await jimengPixelProblem(file) : null;
    if (problem) {
      toastManager.error(problem, file.name);
      return;
    }
    this.studio.errors.clear(this.field);
    const replacing = this.inputs.map((input) => input.key);
    const input = this.#add({ fileId: null, preview: URL.createObjectURL(file), name: file.name, status: 'uploading', progress: 0 });
    const result = await uploadFile(file, (loaded, total) => this.#update(input.key, { progress: total ? loaded / total : 0 }));
    if (!result.ok) {
      this.removeInput(input.key);
      return;
    }
    this.#update(input.key, { fileId: result.data.id, status: 'ready', progress: 1 });
    for (const key of replacing) this.removeInput(key);
  }

  async addFile(fileId: string, preview?: string | null): Promise<void> {
    if (this.inputs.some((input) => input.fileId === fileId)) return;
    this.clear();
    this.studio.errors.clear(this.field);
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
    this.studio.errors.clear(this.field);
  }

  clear(): void {
    for (const input of this.inputs) if (input.preview?.startsWith('blob:')) URL.revokeObjectURL(input.preview);
    this.inputs = [];
  }

  #add(fields: Omit<StudioInput, 'key'>): StudioInput {
    const input: StudioInput = { key: `${this.field}-${++this.#key}`, ...fields };
    this.inputs.push(input);
    return input;
  }

  #update(key: string, change: Partial<StudioInput>): void {
    const input = this.inputs.find((candidate) => candidate.key === key);
    if (input) Object.assign(input, change);
  }
}

/**
 * The video studio (Kling and Jimeng): the catalogues, the form (provider, text or image to video,
 * model or quality, prompt, start and end frames, camera move, duration, mode, seed, …), the jobs
 * submitted here and the recent video generations of every provider. Kept while moving between
 * pages; dropped when the user changes.
 */
class VideoManager {
  /** Kling's catalogue. */
  catalogue = $state<VideoCatalogue | null>(null);
  loadStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  /** Jimeng's video models; null until loaded, or when they could not be (the choice then says so). */
  jimeng = $state<JimengVideoCatalogue | null>(null);
  jimengStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  jimengQuality = $state<JimengQuality>('720p');
  /** Jimeng's seed as typed; '' lets Volcengine pick one (-1). */
  seed = $state('');

  provider = $state<VideoProvider>('kling');
  mode = $state<VideoMode>('text');
  modelId = $state('');
  prompt = $state('');
  negativePrompt = $state('');
  quality = $state<VideoQuality>('std');
  duration = $state(5);
  aspectRatio = $state('16:9');
  /** 0..1; '' sends none (the model's default). */
  cfgScale = $state('');
  camera = $state<CameraChoice>('none');
  cameraAxis = $state<CameraAxis>('zoom');
  cameraValue = $state(5);
  sound = $state(false);
  submitting = $state(false);
  readonly errors = new FormErrors();
  readonly previous = new PreviousImages();
  readonly startFrame = new FrameInput(this, 'startImage');
  readonly endFrame = new FrameInput(this, 'endImage');

  submitted = $state<string[]>([]);
  readonly recent = new RecentTasks(listVideoHistory, (task) => task.kind === 'video');
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
  /** Tasks whose last frame is being stored. */
  extracting = $state<string[]>([]);

  #owner: string | null = null;

  constructor() {
    taskEventsManager.subscribe((task) => this.#onTask(task));
  }

  /** The models of the current way of starting. */
  get models(): VideoModel[] {
    return (this.catalogue?.models ?? []).filter((model) => (this.mode === 'text' ? model.textToVideo : model.imageToVideo));
  }

  get model(): VideoModel | null {
    return this.models.find((model) => model.id === this.modelId) ?? this.models[0] ?? null;
  }

  /** Whether the chosen model takes a field in the chosen mode. */
  accepts(parameter: string): boolean {
    return accepts(this.model, parameter, this.quality);
  }

  /** Jimeng's qualities for the current way of starting. */
  get jimengQualities(): JimengQuality[] {
    return jimengQualities(this.jimeng?.models ?? [], this.mode);
  }

  /** Whether the Jimeng quality chosen offers a last frame (image to video; Pro takes only a first frame). */
  get jimengLastFrame(): boolean {
    return this.mode === 'image' && jimengOffersLastFrame(this.jimeng?.models ?? [], this.jimengQuality);
  }

  /** The Jimeng model the choices lead to: the first+last-frame model once a last frame is set. */
  get jimengModel(): JimengVideoModel | null {
    return this.jimengModelFor(this.jimengQuality);
  }

  jimengModelFor(quality: JimengQuality): JimengVideoModel | null {
    const withLast = this.mode === 'image' && !!this.endFrame.fileId && jimengOffersLastFrame(this.jimeng?.models ?? [], quality);
    return jimengVideoModel(this.jimeng?.models ?? [], quality, this.mode, withLast);
  }

  /** Why a provider cannot be picked now, or null: Jimeng turned off (the API's words) or not loaded. */
  unavailable(provider: VideoProvider): string | null {
    if (provider === 'kling') return this.catalogue ? null : this.loadStatus === 'error' ? i18n.m.videos.providerNotLoaded : i18n.m.common.loading;
    if (this.jimengStatus === 'error') return i18n.m.videos.providerNotLoaded;
    if (!this.jimeng) return i18n.m.common.loading;
    if (!this.jimeng.enabled) return this.jimeng.unavailable || i18n.m.videos.jimengOff;
    return null;
  }

  /** The duration and ratio choices of the provider's model. */
  get durations(): number[] {
    return (this.provider === 'jimeng' ? this.jimengModel?.durations : this.model?.durations) ?? [];
  }

  get aspectRatios(): string[] {
    if (this.mode !== 'text') return [];
    return this.provider === 'jimeng' ? (this.jimengModel?.aspectRatios ?? []) : this.accepts('aspectRatio') ? (this.model?.aspectRatios ?? []) : [];
  }

  get promptMaxLength(): number {
    return this.provider === 'jimeng' ? (this.jimengModel?.promptMaxLength ?? 800) : VIDEO_PROMPT_MAX;
  }

  /** Whether the form can submit at all: a model for the choices. */
  get ready(): boolean {
    return this.provider === 'jimeng' ? !!this.jimengModel : !!this.model;
  }

  /** What the provider takes as a frame, checked before uploading. */
  get frameRules(): { types: string[]; maxBytes: number } {
    if (this.provider === 'jimeng') return { types: JIMENG_FRAME_TYPES, maxBytes: JIMENG_FRAME_MAX_BYTES };
    return { types: this.catalogue?.frameTypes ?? ['image/jpeg', 'image/png'], maxBytes: this.catalogue?.frameMaxBytes ?? 10 * 1024 * 1024 };
  }

  /** Credits this submission costs (0 when the model has no price for the choice, which the form prevents). */
  get cost(): number {
    if (this.provider === 'jimeng') return jimengPrice(this.jimengModel, this.duration) ?? 0;
    return videoPrice(this.model, this.quality, this.duration) ?? 0;
  }

  get uploading(): boolean {
    return this.startFrame.uploading || this.endFrame.uploading;
  }

  get submittedTasks(): Task[] {
    return this.recent.tasks(this.submitted);
  }

  get recentTasks(): Task[] {
    const shown = new Set(this.submitted);
    return this.recent.tasks(this.recentIds.filter((id) => !shown.has(id)));
  }

  async load(): Promise<void> {
    this.#checkOwner();
    if (this.loadStatus !== 'ready') this.loadStatus = 'loading';
    void this.loadRecent();
    void this.previous.load();
    const jimeng = this.#loadJimeng();
    const result = await getVideoCatalogue();
    if (!result.ok) {
      if (this.loadStatus !== 'ready') this.loadStatus = 'error';
      return;
    }
    const first = !this.catalogue;
    this.catalogue = result.data;
    if (first) this.selectModel(result.data.defaultModel ?? this.models[0]?.id ?? '');
    else this.#fit();
    // The page waits for Jimeng too, so a studio left on Jimeng does not flash Kling's form.
    await jimeng;
    this.loadStatus = 'ready';
  }

  async #loadJimeng(): Promise<void> {
    if (this.jimengStatus !== 'ready') this.jimengStatus = 'loading';
    const result = await getJimengVideoCatalogue();
    if (!result.ok) {
      if (this.jimengStatus !== 'ready') this.jimengStatus = 'error';
    } else {
      const first = !this.jimeng;
      this.jimeng = result.data;
      this.jimengStatus = 'ready';
      const chosen = first ? result.data.models.find((model) => model.id === result.data.defaultModel) : null;
      if (chosen) this.jimengQuality = chosen.quality;
    }
    // Turned off since: back to Kling, whose form says if it is off too.
    if (this.provider === 'jimeng' && this.unavailable('jimeng')) this.provider = 'kling';
    this.#fit();
  }

  selectProvider(provider: VideoProvider): void {
    if (provider === this.provider || this.unavailable(provider)) return;
    this.provider = provider;
    this.errors.clear();
    this.#fit();
  }

  selectMode(mode: VideoMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.errors.clear();
    this.#fit();
  }

  selectModel(id: string): void {
    this.modelId = id;
    this.#fit();
  }

  selectJimengQuality(quality: JimengQuality): void {
    this.jimengQuality = quality;
    this.errors.clear('quality');
    this.#fit();
  }

  /** Keeps the choices to what the model offers: its modes, durations, ratios and parameters. */
  #fit(): void {
    if (this.provider === 'jimeng') {
      const qualities = this.jimengQualities;
      if (qualities.length && !qualities.includes(this.jimengQuality)) this.jimengQuality = qualities[0];
      const model = this.jimengModel;
      if (!model) return;
      if (!model.durations.includes(this.duration)) this.duration = model.durations[0] ?? 5;
      if (model.aspectRatios.length && !model.aspectRatios.includes(this.aspectRatio)) this.aspectRatio = model.aspectRatios[0];
      return;
    }
    const model = this.model;
    if (!model) return;
    this.modelId = model.id;
    if (!model.modes.includes(this.quality)) this.quality = model.modes[0] ?? 'std';
    if (!model.durations.includes(this.duration)) this.duration = model.durations[0] ?? 5;
    if (model.aspectRatios.length && !model.aspectRatios.includes(this.aspectRatio)) this.aspectRatio = model.aspectRatios[0];
    if (!accepts(model, 'cameraControl')) this.camera = 'none';
    if (!accepts(model, 'sound', this.quality)) this.sound = false;
  }

  /** Fills the form from an earlier video task ("reuse settings"). */
  async reuse(taskId: string): Promise<void> {
    const result = await getTask(taskId);
    if (!result.ok) return;
    const task = result.data;
    if (task.provider === 'jimeng') return this.#reuseJimeng(task);
    if (task.provider !== 'kling') {
      toastManager.error(i18n.m.videos.reuseUnknown, task.model);
      return;
    }
    // The parameters are the task's input: the model, startFileId/endFileId and the options as sent.
    const p = (task.parameters ?? {}) as Record<string, unknown>;
    const start = typeof p.startFileId === 'string' ? p.startFileId : null;
    const end = typeof p.endFileId === 'string' ? p.endFileId : null;
    this.errors.clear();
    this.provider = 'kling';
    this.mode = start || end || task.action === 'image-to-video' ? 'image' : 'text';
    this.selectModel(typeof p.model === 'string' ? p.model : task.model.split(':')[0]);
    this.prompt = task.prompt ?? '';
    this.negativePrompt = typeof p.negativePrompt === 'string' ? p.negativePrompt : '';
    if (p.mode === 'std' || p.mode === 'pro') this.quality = p.mode;
    if (typeof p.duration === 'number' || typeof p.duration === 'string') this.duration = Number(p.duration);
    if (typeof p.aspectRatio === 'string') this.aspectRatio = p.aspectRatio;
    this.cfgScale = typeof p.cfgScale === 'number' ? String(p.cfgScale) : '';
    this.sound = p.sound === true || p.sound === 'on';
    this.#reuseCamera(p.cameraControl);
    this.startFrame.clear();
    this.endFrame.clear();
    if (start) void this.startFrame.addFile(start);
    if (end) void this.endFrame.addFile(end);
    this.#fit();
    toastManager.info(i18n.m.studio.reused);
  }

  /** A Jimeng task: its model gives the quality and the way of starting; its frames go back in the pickers. */
  #reuseJimeng(task: Task): void {
    const model = this.jimeng?.models.find((candidate) => candidate.id === task.model);
    if (!model || this.unavailable('jimeng')) {
      toastManager.error(i18n.m.videos.reuseUnknown, task.model);
      return;
    }
    // The parameters are the task's input: the frames as `imageFileIds` (first, then last), the options as sent.
    const p = (task.parameters ?? {}) as Record<string, unknown>;
    const images = Array.isArray(p.imageFileIds) ? p.imageFileIds.filter((id): id is string => typeof id === 'string') : [];
    const start = images[0] ?? null;
    const end = images[1] ?? null;
    this.errors.clear();
    this.provider = 'jimeng';
    this.mode = task.action === 'image-to-video' || start ? 'image' : 'text';
    this.jimengQuality = model.quality;
    this.prompt = task.prompt ?? '';
    if (typeof p.duration === 'number') this.duration = p.duration;
    if (typeof p.aspectRatio === 'string') this.aspectRatio = p.aspectRatio;
    this.seed = typeof p.seed === 'number' && p.seed >= 0 ? String(p.seed) : '';
    this.startFrame.clear();
    this.endFrame.clear();
    if (start) void this.startFrame.addFile(start);
    if (end) void this.endFrame.addFile(end);
    this.#fit();
    toastManager.info(i18n.m.studio.reused);
  }

  #reuseCamera(value: unknown): void {
    this.camera = 'none';
    if (!value || typeof value !== 'object') return;
    const control = value as { type?: unknown; config?: Record<string, unknown> };
    if ((CAMERA_PRESETS as readonly unknown[]).includes(control.type)) this.camera = control.type as CameraChoice;
    else if (control.type === 'simple') {
      const axis = CAMERA_AXES.find((name) => typeof control.config?.[name] === 'number' && control.config[name] !== 0);
      if (!axis) return;
      this.camera = 'simple';
      this.cameraAxis = axis;
      this.cameraValue = control.config![axis] as number;
    }
  }

  /** Checks the form, then starts the video; resolves to whether it was submitted. */
  async submit(): Promise<boolean> {
    if (this.provider === 'jimeng') return this.#submitJimeng();
    const model = this.model;
    if (this.submitting || !model) return false;
    const v = () => i18n.m.videos;
    const problems: Record<string, ErrorMessage | null> = {};
    const prompt = this.prompt.trim();
    const body: VideoRequest = { model: model.id, mode: this.quality, duration: this.duration };
    if (prompt) body.prompt = prompt;
    if (this.mode === 'text') {
      if (!prompt) problems.prompt = () => i18n.m.studio.promptRequired;
      if (accepts(model, 'aspectRatio')) body.aspectRatio = this.aspectRatio;
    } else {
      if (this.uploading) problems.startImage = () => i18n.m.studio.waitForUploads;
      const start = this.startFrame.fileId;
      const end = accepts(model, 'endImage', this.quality) ? this.endFrame.fileId : null;
      if (!start && !end && !problems.startImage) problems.startImage = () => v().frameRequired;
      if (start) body.startImage = { fileId: start };
      if (end) body.endImage = { fileId: end };
    }
    if (accepts(model, 'negativePrompt') && this.negativePrompt.trim()) body.negativePrompt = this.negativePrompt.trim();
    const cfgText = String(this.cfgScale ?? '').trim();
    if (accepts(model, 'cfgScale') && cfgText !== '') {
      const cfg = Number(cfgText);
      if (!Number.isFinite(cfg) || cfg < 0 || cfg > 1) problems.cfgScale = () => i18n.format(i18n.m.studio.valueRange, { min: 0, max: 1 });
      else body.cfgScale = cfg;
    }
    // Kling takes no camera move together with an end frame.
    if (accepts(model, 'cameraControl') && this.camera !== 'none' && !body.endImage) {
      if (this.camera === 'simple') {
        const value = Math.round(Number(this.cameraValue));
        if (!value || Math.abs(value) > CAMERA_VALUE_MAX) problems.cameraControl = () => v().cameraValueRange;
        else body.cameraControl = { type: 'simple', config: { [this.cameraAxis]: value } };
      } else body.cameraControl = { type: this.camera };
    }
    if (accepts(model, 'sound', this.quality) && this.sound) body.sound = true;
    if (videoPrice(model, this.quality, this.duration) === null) problems.duration = () => v().notOffered;
    this.errors.set(problems);
    if (!this.errors.empty) return false;

    this.submitting = true;
    const result = await createVideo(this.mode, body, VIDEO_FIELDS);
    this.submitting = false;
    if (!result.ok) {
      this.errors.set(result.fieldErrors);
      return false;
    }
    this.#show(result.data);
    void creditsManager.refresh();
    return true;
  }

  async #submitJimeng(): Promise<boolean> {
    const model = this.jimengModel;
    if (this.submitting || !model) return false;
    const v = () => i18n.m.videos;
    const problems: Record<string, ErrorMessage | null> = {};
    const prompt = this.prompt.trim();
    if (model.promptRequired && !prompt) problems.prompt = () => i18n.m.studio.promptRequired;
    else if (prompt.length > model.promptMaxLength) problems.prompt = () => i18n.format(v().promptTooLong, { max: model.promptMaxLength });
    const seedText = this.seed.trim();
    let seed: number | undefined;
    if (seedText !== '') {
      seed = Number(seedText);
      if (!Number.isSafeInteger(seed) || seed < -1 || seed > JIMENG_SEED_MAX) problems.seed = () => i18n.format(i18n.m.studio.valueRange, { min: 0, max: JIMENG_SEED_MAX });
    }
    if (jimengPrice(model, this.duration) === null) problems.duration = () => v().notOffered;
    // The catalogue's values, which the generated types spell out as literals.
    const duration = this.duration as JimengTextToVideo['duration'];
    let submission: () => Promise<Result<Task>>;
    if (this.mode === 'text') {
      const body: JimengTextToVideo = {
        model: model.id as JimengTextToVideo['model'],
        prompt,
        duration,
        aspectRatio: this.aspectRatio as JimengTextToVideo['aspectRatio'],
      };
      if (seed !== undefined) body.seed = seed;
      submission = () => createJimengTextToVideo(body, JIMENG_FIELDS);
    } else {
      const first = this.startFrame.fileId;
      const last = takesLastFrame(model) ? this.endFrame.fileId : null;
      if (this.uploading) problems.startImage = () => i18n.m.studio.waitForUploads;
      else if (!first) problems.startImage = () => v().firstFrameRequired;
      const body: JimengImageToVideo = { model: model.id as JimengImageToVideo['model'], duration, firstFrame: { fileId: first ?? '' } };
      if (prompt) body.prompt = prompt;
      if (last) body.lastFrame = { fileId: last };
      if (seed !== undefined) body.seed = seed;
      submission = () => createJimengImageToVideo(body, JIMENG_FIELDS);
    }
    this.errors.set(problems);
    if (!this.errors.empty) return false;

    this.submitting = true;
    const result = await submission();
    this.submitting = false;
    if (!result.ok) {
      this.errors.set(result.fieldErrors);
      return false;
    }
    this.#show(result.data);
    void creditsManager.refresh();
    return true;
  }

  /** "Use last frame as start frame": stores the video's last frame, then puts it in the start-frame picker. */
  async useLastFrame(task: Task): Promise<boolean> {
    if (this.extracting.includes(task.id)) return false;
    this.extracting = [...this.extracting, task.id];
    const result = await lastFrame(task.id);
    this.extracting = this.extracting.filter((id) => id !== task.id);
    if (!result.ok) return false;
    this.selectMode('image');
    await this.startFrame.addFile(result.data.id, thumbnailOf(result.data));
    void this.previous.load();
    toastManager.success(i18n.m.videos.lastFrameReady);
    return true;
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

  /** A video task that the stream brings joins the recent ones in its place. */
  #onTask(task: Task): void {
    if (this.#owner === authManager.user?.id) this.recent.offer(task);
  }

  #checkOwner(): void {
    const owner = authManager.user?.id ?? null;
    if (owner === this.#owner) return;
    this.#owner = owner;
    this.recent.reset();
    this.previous.reset();
    this.startFrame.clear();
    this.endFrame.clear();
    this.catalogue = null;
    this.loadStatus = 'idle';
    this.mode = 'text';
    this.modelId = '';
    this.prompt = '';
    this.negativePrompt = '';
    this.quality = 'std';
    this.duration = 5;
    this.aspectRatio = '16:9';
    this.cfgScale = '';
    this.camera = 'none';
    this.cameraAxis = 'zoom';
    this.cameraValue = 5;
    this.sound = false;
    this.provider = 'kling';
    this.jimeng = null;
    this.jimengStatus = 'idle';
    this.jimengQuality = '720p';
    this.seed = '';
    this.submitting = false;
    this.errors.clear();
    this.submitted = [];
    this.extracting = [];
  }
}

/** The API's field names → the form's. */
const VIDEO_FIELDS: Record<string, string> = {
  prompt: 'prompt',
  negativePrompt: 'negativePrompt',
  model: 'model',
  mode: 'quality',
  duration: 'duration',
  aspectRatio: 'aspectRatio',
  cfgScale: 'cfgScale',
  cameraControl: 'cameraControl',
  'cameraControl.type': 'cameraControl',
  'cameraControl.config': 'cameraControl',
  sound: 'sound',
  startImage: 'startImage',
  'startImage.fileId': 'startImage',
  'startImage.url': 'startImage',
  endImage: 'endImage',
  'endImage.fileId': 'endImage',
  'endImage.url': 'endImage',
};

/** Jimeng's field names → the form's (the frames show under the pickers, the model under the quality). */
const JIMENG_FIELDS: Record<string, string> = {
  prompt: 'prompt',
  model: 'quality',
  duration: 'duration',
  aspectRatio: 'aspectRatio',
  seed: 'seed',
  firstFrame: 'startImage',
  'firstFrame.fileId': 'startImage',
  'firstFrame.url': 'startImage',
  lastFrame: 'endImage',
  'lastFrame.fileId': 'endImage',
  'lastFrame.url': 'endImage',
};

/** The API's largest seed (a signed 32-bit integer); -1 or none lets Volcengine pick. */
const JIMENG_SEED_MAX = 2 ** 31 - 1;

export const videoManager = new VideoManager();
