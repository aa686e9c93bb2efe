import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import type { MediaFile } from './files.service';
import { listHistory } from './history.service';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { request, type Result } from './api-result';
import type { Task, TaskPage } from './tasks.service';

/**
 * The video studio's Kling calls, and what the page shares between providers. Jimeng's calls are
 * in jimeng-video.service.ts: its models are chosen from quality, mode and frames, not by name.
 */
export type VideoProvider = 'kling' | 'jimeng';
export const VIDEO_PROVIDERS: readonly VideoProvider[] = ['kling', 'jimeng'];

export type VideoMode = 'text' | 'image';
export type VideoQuality = 'std' | 'pro';

/** Kling's camera presets (`camera_control.type`), and `simple` with one axis. */
export const CAMERA_PRESETS = ['down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
export type CameraPreset = (typeof CAMERA_PRESETS)[number];
export const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
export type CameraAxis = (typeof CAMERA_AXES)[number];
/** `none` sends no camera control; `simple` moves along one axis. */
export type CameraChoice = 'none' | 'simple' | CameraPreset;
export const CAMERA_VALUE_MAX = 10;

/** The API's prompt limit (Kling: 2500 characters). */
export const VIDEO_PROMPT_MAX = 2500;

export type KlingModel = Schemas['KlingModelDto'];
export type KlingModels = Schemas['KlingModelsDto'];
export type KlingUserConfig = Schemas['KlingUserConfigDto'];

/** One model of the catalogue, as the page reads it (Jimeng's will be mapped to the same). */
export interface VideoModel {
  id: string;
  name: string;
  nameZhCN: string;
  description?: string;
  descriptionZhCN?: string;
  /** Which ways of starting it offers. */
  textToVideo: boolean;
  imageToVideo: boolean;
  /** The request fields it accepts (negativePrompt, cfgScale, cameraControl, sound, endImage, aspectRatio, …). */
  parameters: string[];
  /** Fields it accepts only in pro mode (Kling: the end frame and sound on some models). */
  proOnly: string[];
  modes: VideoQuality[];
  durations: number[];
  aspectRatios: string[];
  /** Credits per mode and duration. */
  prices: { mode: VideoQuality; duration: number; price: number }[];
}

export interface VideoCatalogue {
  models: VideoModel[];
  enabled: boolean;
  sandbox: boolean;
  defaultModel: string | null;
  /** Image types the provider takes as frames. */
  frameTypes: string[];
  frameMaxBytes: number;
}

export type FrameRef = { fileId: string } | { url: string };

export interface CameraControl {
  type: 'simple' | CameraPreset;
  config?: Partial<Record<CameraAxis, number>>;
}

export interface VideoRequest {
  prompt?: string;
  negativePrompt?: string;
  model: string;
  mode: VideoQuality;
  duration: number;
  aspectRatio?: string;
  cfgScale?: number;
  cameraControl?: CameraControl;
  sound?: boolean;
  startImage?: FrameRef;
  endImage?: FrameRef;
}

/** A model's name in the UI's language. */
export function videoModelName(model: Pick<VideoModel, 'name' | 'nameZhCN'>): string {
  return i18n.locale === 'zh-CN' ? model.nameZhCN || model.name : model.name || model.nameZhCN;
}

export function videoModelDescription(model: Pick<VideoModel, 'description' | 'descriptionZhCN'>): string {
  return (i18n.locale === 'zh-CN' ? model.descriptionZhCN || model.description : model.description || model.descriptionZhCN) ?? '';
}

/** The price of one submission, or null when the model does not offer that mode and duration. */
export function videoPrice(model: VideoModel | null | undefined, mode: VideoQuality, duration: number): number | null {
  return model?.prices.find((price) => price.mode === mode && price.duration === duration)?.price ?? null;
}

/** Whether the model takes a field, in the mode chosen. */
export function accepts(model: VideoModel | null | undefined, parameter: string, quality?: VideoQuality): boolean {
  if (!model?.parameters.includes(parameter)) return false;
  return quality === undefined || quality === 'pro' || !model.proOnly.includes(parameter);
}

/** Kling's catalogue in the page's words. */
export function klingCatalogue(models: KlingModels, config: KlingUserConfig): VideoCatalogue {
  return {
    models: models.models.map((model) => ({
      id: model.id,
      name: model.name,
      nameZhCN: model.nameZhCN,
      description: model.description,
      descriptionZhCN: model.descriptionZhCN,
      textToVideo: model.textToVideo,
      imageToVideo: model.imageToVideo,
      parameters: model.parameters,
      proOnly: [model.endImage === 'pro' ? 'endImage' : null, model.sound === 'pro' ? 'sound' : null].filter((name): name is string => !!name),
      modes: model.modes.filter((mode): mode is VideoQuality => mode === 'std' || mode === 'pro'),
      durations: model.durations,
      aspectRatios: model.textToVideo ? models.aspectRatios : [],
      prices: model.prices.flatMap((price) =>
        Object.entries(price.byDuration).map(([seconds, credits]) => ({ mode: price.mode as VideoQuality, duration: Number(seconds), price: credits })),
      ),
    })),
    enabled: config.enabled,
    sandbox: config.sandbox,
    defaultModel: config.defaultModel,
    frameTypes: models.imageRules.types ?? ['image/jpeg', 'image/png'],
    frameMaxBytes: models.imageRules.maxBytes ?? 10 * 1024 * 1024,
  };
}

/** The catalogue (prices may change: each visit) and whether Kling can be used now. */
export async function getVideoCatalogue(): Promise<Result<VideoCatalogue>> {
  const [models, config] = await Promise.all([
    request(() => api.GET('/api/v1/kling/models')),
    request(() => api.GET('/api/v1/kling/config/user')),
  ]);
  if (!models.ok) return models;
  if (!config.ok) return config;
  return { ok: true, data: klingCatalogue(models.data, config.data) };
}

/** Field errors come back under the form's names (`fields`); 402/502/503 are toasted in the API's words. */
export function createVideo(mode: VideoMode, body: VideoRequest, fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  if (mode === 'text') {
    const { startImage: _start, endImage: _end, ...text } = body;
    return request(() => api.POST('/api/v1/kling/text-to-video', { body: text as Schemas['KlingTextToVideoDto'] }), { fields });
  }
  const { aspectRatio: _ratio, ...image } = body;
  return request(() => api.POST('/api/v1/kling/image-to-video', { body: image as Schemas['KlingImageToVideoDto'] }), { fields });
}

/** One page of my video generations of every provider, newest first. */
export function listVideoHistory(query: { cursor?: string | null; limit?: number }): Promise<Result<TaskPage>> {
  return listHistory({ kind: 'video', ...(query.cursor ? { cursor: query.cursor } : {}), ...(query.limit ? { limit: query.limit } : {}) });
}

/** Stores the last frame of a finished video as a new image of mine; answers with its file. */
export function lastFrame(taskId: string): Promise<Result<MediaFile>> {
  return request(() => api.POST('/api/v1/kling/task/{taskId}/last-frame', { params: { path: { taskId } } }));
}
