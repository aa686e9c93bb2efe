import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { request, type Result } from './api-result';
import type { Task, TaskPage } from './tasks.service';

/**
 * The video studio's calls. Kling is the one video provider today; Jimeng will add its own calls
 * here behind the same shapes (`VideoProvider`), so the page does not change.
 */
export type VideoProvider = 'kling';
export const VIDEO_PROVIDERS: readonly VideoProvider[] = ['kling'];
/** Providers shown but not offered yet (the picker says "coming soon"). */
export const VIDEO_PROVIDERS_SOON = ['jimeng'] as const;

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

/** One model of the catalogue, as the page reads it. */
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

export function accepts(model: VideoModel | null | undefined, parameter: string): boolean {
  return !!model?.parameters.includes(parameter);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- replaced by the generated types once the Kling module lands */
const client = api as any;

export function getVideoCatalogue(): Promise<Result<VideoCatalogue>> {
  return request(() => client.GET('/api/v1/kling/models'));
}

/** Field errors come back under the form's names (`fields`); 402/502/503 are toasted in the API's words. */
export function createVideo(mode: VideoMode, body: VideoRequest, fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  const path = mode === 'text' ? '/api/v1/kling/text-to-video' : '/api/v1/kling/image-to-video';
  return request(() => client.POST(path, { body }), { fields });
}

/** One page of my Kling generations, newest first. */
export function listVideoHistory(query: { cursor?: string | null; limit?: number }): Promise<Result<TaskPage>> {
  const params = { ...(query.cursor ? { cursor: query.cursor } : {}), ...(query.limit ? { limit: query.limit } : {}) };
  return request(() => client.GET('/api/v1/kling/history', { params: { query: params } }));
}

/** Stores the last frame of a finished video as a new image of mine; answers with its file. */
export function lastFrame(taskId: string): Promise<Result<{ id: string; url: string | null; thumbnailUrl?: string | null }>> {
  return request(() => client.POST('/api/v1/kling/task/{taskId}/last-frame', { params: { path: { taskId } } }));
}
