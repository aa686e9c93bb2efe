/**
 * Atelier's catalogue of the Jimeng models (../shared/providers/jimeng-volcengine.md §4, §5): names
 * in both languages, size presets within each model's documented rules, and default prices. The
 * wire rules themselves (req_keys, limits) are the providers library's VOLC_MODELS.
 *
 * Prices: one priced key per model (its id). Videos are priced per 5 seconds (10 s costs twice),
 * images per request (Seedream 4.0 may return several images for the same price).
 */
import { VOLC_MODELS, VOLC_VIDEO_ASPECT_RATIOS, type VolcModel } from '@atelier/providers/volcengine';
import { JIMENG_ROUTE_MODELS, JIMENG_ROUTES, type JimengRoute, type JimengSizeDto } from './dto/jimeng.dto.js';

export interface JimengCatalogueModel {
  id: VolcModel;
  name: { en: string; zhCN: string };
  resolution: '720p' | '1080p' | null;
  defaultPrice: number;
}

export const JIMENG_CATALOGUE: readonly JimengCatalogueModel[] = [
  { id: 'jimeng-video-3.0-720p-t2v', name: { en: 'Jimeng Video 3.0 720P (text)', zhCN: '即梦视频 3.0 720P 文生视频' }, resolution: '720p', defaultPrice: 30 },
  { id: 'jimeng-video-3.0-1080p-t2v', name: { en: 'Jimeng Video 3.0 1080P (text)', zhCN: '即梦视频 3.0 1080P 文生视频' }, resolution: '1080p', defaultPrice: 50 },
  { id: 'jimeng-video-3.0-720p-i2v', name: { en: 'Jimeng Video 3.0 720P (first frame)', zhCN: '即梦视频 3.0 720P 首帧生视频' }, resolution: '720p', defaultPrice: 30 },
  { id: 'jimeng-video-3.0-1080p-i2v', name: { en: 'Jimeng Video 3.0 1080P (first frame)', zhCN: '即梦视频 3.0 1080P 首帧生视频' }, resolution: '1080p', defaultPrice: 50 },
  { id: 'jimeng-video-3.0-720p-first-tail', name: { en: 'Jimeng Video 3.0 720P (first + last frame)', zhCN: '即梦视频 3.0 720P 首尾帧生视频' }, resolution: '720p', defaultPrice: 30 },
  { id: 'jimeng-video-3.0-1080p-first-tail', name: { en: 'Jimeng Video 3.0 1080P (first + last frame)', zhCN: '即梦视频 3.0 1080P 首尾帧生视频' }, resolution: '1080p', defaultPrice: 50 },
  { id: 'jimeng-video-3.0-pro', name: { en: 'Jimeng Video 3.0 Pro', zhCN: '即梦视频 3.0 Pro' }, resolution: '1080p', defaultPrice: 70 },
  { id: 'jimeng-image-t2i-3.0', name: { en: 'DreamWork 3.0', zhCN: '即梦绘画 文生图 3.0' }, resolution: null, defaultPrice: 4 },
  { id: 'jimeng-image-t2i-3.1', name: { en: 'DreamWork 3.1', zhCN: '即梦绘画 文生图 3.1' }, resolution: null, defaultPrice: 4 },
  { id: 'jimeng-image-seedream-4.0', name: { en: 'Seedream 4.0', zhCN: '即梦绘画 Seedream 4.0' }, resolution: null, defaultPrice: 6 },
  { id: 'jimeng-image-i2i-3.0', name: { en: 'DreamWork image-to-image 3.0', zhCN: '即梦绘画 图生图 3.0' }, resolution: null, defaultPrice: 5 },
  { id: 'jimeng-image-inpaint', name: { en: 'DreamWork inpainting', zhCN: '即梦绘画 局部重绘' }, resolution: null, defaultPrice: 5 },
];

export const DEFAULT_JIMENG_IMAGE_MODEL: VolcModel = 'jimeng-image-t2i-3.1';
export const DEFAULT_JIMENG_VIDEO_MODEL: VolcModel = 'jimeng-video-3.0-720p-t2v';
export const JIMENG_DEFAULT_STRENGTH = 0.5;

export function findJimengModel(id: unknown): JimengCatalogueModel | undefined {
  return JIMENG_CATALOGUE.find((model) => model.id === id);
}

export const isVideoModel = (id: VolcModel): boolean => VOLC_MODELS[id].kind === 'video';

/** How many times the price is charged: videos per 5 seconds, images once per request. */
export const unitsFor = (id: VolcModel, durationSeconds?: number): number => (isVideoModel(id) ? Math.max(1, Math.round((durationSeconds ?? 5) / 5)) : 1);

/** Seconds of video → Volcengine's `frames` (24·n + 1, §4). */
export const framesFor = (seconds: number): number => 24 * seconds + 1;

export function routesOf(id: VolcModel): JimengRoute[] {
  return JIMENG_ROUTES.filter((route) => JIMENG_ROUTE_MODELS[route].includes(id));
}

const presets = (list: Array<[string, number, number]>) => list.map(([label, width, height]) => ({ label, width, height }));

/** DreamWork 3.x sizes (§5: 1328² default, area 512²–2048², ratio up to 3; the doc's examples). */
const T2I_3_PRESETS = presets([
  ['1:1', 1328, 1328],
  ['4:3', 1472, 1104],
  ['3:2', 1584, 1056],
  ['16:9', 1664, 936],
  ['21:9', 2016, 864],
  ['3:4', 1104, 1472],
  ['2:3', 1056, 1584],
  ['9:16', 936, 1664],
]);

/** Seedream 4.0 sizes (area 1024²–4096², ratio up to 16; 2K presets). */
const SEEDREAM_PRESETS = presets([
  ['1:1', 2048, 2048],
  ['4:3', 2304, 1728],
  ['3:2', 2496, 1664],
  ['16:9', 2560, 1440],
  ['21:9', 3024, 1296],
  ['3:4', 1728, 2304],
  ['2:3', 1664, 2496],
  ['9:16', 1440, 2560],
]);

/** The size rules of a model in the catalogue's words, or null when it takes no size. */
export function sizeOf(id: VolcModel): JimengSizeDto | null {
  switch (id) {
    case 'jimeng-image-t2i-3.0':
    case 'jimeng-image-t2i-3.1':
      return { minArea: 512 * 512, maxArea: 2048 * 2048, minSide: null, maxSide: null, maxRatio: 3, defaultWidth: 1328, defaultHeight: 1328, presets: T2I_3_PRESETS };
    case 'jimeng-image-seedream-4.0':
      return { minArea: 1024 * 1024, maxArea: 4096 * 4096, minSide: 256, maxSide: 4096, maxRatio: 16, defaultWidth: 2048, defaultHeight: 2048, presets: SEEDREAM_PRESETS };
    case 'jimeng-image-i2i-3.0':
      return { minArea: 512 * 512, maxArea: 2016 * 2016, minSide: 512, maxSide: 2016, maxRatio: 3, defaultWidth: 1328, defaultHeight: 1328, presets: T2I_3_PRESETS };
    default:
      return null;
  }
}

export const takesStrength = (id: VolcModel): boolean => id === 'jimeng-image-i2i-3.0' || id === 'jimeng-image-seedream-4.0';
export const takesPromptExpansion = (id: VolcModel): boolean => id === 'jimeng-image-t2i-3.0' || id === 'jimeng-image-t2i-3.1';
export const takesReferenceImages = (id: VolcModel): boolean => id === 'jimeng-image-seedream-4.0';
export const isFirstTail = (id: VolcModel): boolean => id.endsWith('-first-tail');
export const aspectRatiosOf = (id: VolcModel): string[] => (JIMENG_ROUTE_MODELS['text-to-video'].includes(id) ? [...VOLC_VIDEO_ASPECT_RATIOS] : []);
