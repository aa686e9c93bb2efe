import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { request, type Result } from './api-result';
import type { Task } from './tasks.service';

/**
 * Jimeng (即梦, Volcengine) in the video studio. The catalogue lists one model per resolution and
 * way of starting (720P / 1080P text-to-video, first-frame and first+last-frame image-to-video,
 * and Pro for both); users think in quality, mode and frames, so the studio shows those and picks
 * the model from them (`jimengVideoModel`).
 */
export type JimengModel = Schemas['JimengModelDto'];
export type JimengUserConfig = Schemas['JimengUserConfigDto'];
export type JimengTextToVideo = Schemas['JimengTextToVideoDto'];
export type JimengImageToVideo = Schemas['JimengImageToVideoDto'];

/** What the user picks: the resolution of the 3.0 models, or Pro. */
export type JimengQuality = '720p' | '1080p' | 'pro';
export const JIMENG_QUALITIES: readonly JimengQuality[] = ['720p', '1080p', 'pro'];

/** Volcengine's input image rules (JPEG/PNG up to 4.7 MB; jimeng-volcengine.md §4), checked again by the server. */
export const JIMENG_FRAME_TYPES = ['image/jpeg', 'image/png'];
export const JIMENG_FRAME_MAX_BYTES = Math.floor(4.7 * 1024 * 1024);

/** One Jimeng video model, as the studio reads it. */
export interface JimengVideoModel {
  id: string;
  name: string;
  nameZhCN: string;
  quality: JimengQuality;
  textToVideo: boolean;
  imageToVideo: boolean;
  /** Input images in image-to-video: first-tail models take 2 (first + last frame). */
  images: { min: number; max: number };
  promptRequired: boolean;
  promptMaxLength: number;
  durations: number[];
  /** Text-to-video only. */
  aspectRatios: string[];
  /** Credits per duration in seconds. */
  prices: Record<number, number>;
}

export interface JimengVideoCatalogue {
  models: JimengVideoModel[];
  enabled: boolean;
  sandbox: boolean;
  /** Why Jimeng cannot be used now (the API's words), or null. */
  unavailable: string | null;
  defaultModel: string | null;
}

/**
 * The quality a model stands for. Pro is one model for both ways of starting, told apart by its
 * catalogue id (the contract's ids); the others by their resolution.
 */
export function jimengQualityOf(model: Pick<JimengModel, 'id' | 'resolution'>): JimengQuality | null {
  if (/(^|-)pro$/.test(model.id)) return 'pro';
  return model.resolution ?? null;
}

/** The video models of the catalogue in the studio's words; models of no known quality are left out. */
export function jimengVideoCatalogue(models: JimengModel[], config: JimengUserConfig): JimengVideoCatalogue {
  const video: JimengVideoModel[] = [];
  for (const model of models) {
    const quality = model.kind === 'video' ? jimengQualityOf(model) : null;
    if (!quality) continue;
    const prices: Record<number, number> = {};
    for (const [seconds, credits] of Object.entries(model.price.byDuration)) prices[Number(seconds)] = credits;
    video.push({
      id: model.id,
      name: model.name,
      nameZhCN: model.nameZhCN,
      quality,
      textToVideo: model.routes.includes('text-to-video'),
      imageToVideo: model.routes.includes('image-to-video'),
      images: model.images,
      promptRequired: model.promptRequired,
      promptMaxLength: model.promptMaxLength,
      durations: model.durations,
      aspectRatios: model.aspectRatios,
      prices,
    });
  }
  return {
    models: video,
    enabled: config.enabled,
    sandbox: config.sandbox,
    unavailable: config.enabled ? null : config.unavailable,
    defaultModel: config.defaultVideoModel,
  };
}

/** Whether an image-to-video model takes the last frame too (first-tail: two images). */
export function takesLastFrame(model: Pick<JimengVideoModel, 'images'>): boolean {
  return model.images.max >= 2;
}

/** The qualities offered for a way of starting (Pro and 720P/1080P all offer both today). */
export function jimengQualities(models: readonly JimengVideoModel[], mode: 'text' | 'image'): JimengQuality[] {
  return JIMENG_QUALITIES.filter((quality) => models.some((model) => model.quality === quality && (mode === 'text' ? model.textToVideo : model.imageToVideo)));
}

/** Whether some image-to-video model of this quality takes a last frame (Pro does not). */
export function jimengOffersLastFrame(models: readonly JimengVideoModel[], quality: JimengQuality): boolean {
  return models.some((model) => model.quality === quality && model.imageToVideo && takesLastFrame(model));
}

/**
 * The model for a choice: text-to-video takes the quality's text model; image-to-video takes the
 * first+last-frame model when a last frame is given and the quality has one, the first-frame
 * model otherwise.
 */
export function jimengVideoModel(
  models: readonly JimengVideoModel[],
  quality: JimengQuality,
  mode: 'text' | 'image',
  withLastFrame: boolean,
): JimengVideoModel | null {
  const own = models.filter((model) => model.quality === quality);
  if (mode === 'text') return own.find((model) => model.textToVideo) ?? null;
  const image = own.filter((model) => model.imageToVideo);
  const tail = image.find(takesLastFrame);
  const first = image.find((model) => !takesLastFrame(model));
  return (withLastFrame ? (tail ?? first) : (first ?? tail)) ?? null;
}

/** The credits of one submission, or null when the model has no price for that duration. */
export function jimengPrice(model: JimengVideoModel | null | undefined, duration: number): number | null {
  return model?.prices[duration] ?? null;
}

/** The catalogue's video models and whether Jimeng can be used now (both may change: each visit). */
export async function getJimengVideoCatalogue(): Promise<Result<JimengVideoCatalogue>> {
  const [models, config] = await Promise.all([
    request(() => api.GET('/api/v1/jimeng/models'), { background: true }),
    request(() => api.GET('/api/v1/jimeng/config/user'), { background: true }),
  ]);
  if (!models.ok) return models;
  if (!config.ok) return config;
  return { ok: true, data: jimengVideoCatalogue(models.data.models, config.data) };
}

/** Field errors come back under the form's names (`fields`); 402/502/503 are toasted in the API's words. */
export function createJimengTextToVideo(body: JimengTextToVideo, fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  return request(() => api.POST('/api/v1/jimeng/text-to-video', { body }), { fields });
}

export function createJimengImageToVideo(body: JimengImageToVideo, fields: Readonly<Record<string, string>>): Promise<Result<Task>> {
  return request(() => api.POST('/api/v1/jimeng/image-to-video', { body }), { fields });
}
