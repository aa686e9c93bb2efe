/**
 * Atelier's catalogue of the Kling video models (../shared/providers/kling.md §5, §6): names in
 * both languages, what each accepts (from the client's capability map, KLING_MODELS) and prices.
 *
 * Prices: the prices service prices one key per model, so each model has one priced key per mode,
 * `<model>:<mode>` (e.g. `kling-v2-6:pro`), whose price is for 5 seconds of video; a 10-second
 * video is charged twice (2 units). An admin changes them in the price table like any other model.
 */
import { KLING_MODELS, type KlingMode, type KlingModel, type KlingVideoFamily } from '@atelier/providers/kling';

export interface KlingCatalogueModel {
  id: KlingModel;
  name: { en: string; zhCN: string };
  description: { en: string; zhCN: string };
  /** Credits per 5 seconds of video, per mode. */
  defaultPrices: Record<KlingMode, number>;
}

export const KLING_CATALOGUE: readonly KlingCatalogueModel[] = [
  { id: 'kling-v1', name: { en: 'Kling 1.0', zhCN: '可灵 1.0' }, description: { en: 'The first model; camera control and motion', zhCN: '第一代模型，支持运镜控制' }, defaultPrices: { std: 20, pro: 35 } },
  { id: 'kling-v1-5', name: { en: 'Kling 1.5', zhCN: '可灵 1.5' }, description: { en: 'Image-to-video only, with camera control', zhCN: '仅图生视频，支持运镜控制' }, defaultPrices: { std: 20, pro: 35 } },
  { id: 'kling-v1-6', name: { en: 'Kling 1.6', zhCN: '可灵 1.6' }, description: { en: 'Better motion and prompt following than 1.5', zhCN: '动作与提示词理解优于 1.5' }, defaultPrices: { std: 20, pro: 35 } },
  { id: 'kling-v2-master', name: { en: 'Kling 2.0 Master', zhCN: '可灵 2.0 大师版' }, description: { en: 'High-quality motion; no end frame', zhCN: '高品质运动表现，不支持尾帧' }, defaultPrices: { std: 100, pro: 100 } },
  { id: 'kling-v2-1', name: { en: 'Kling 2.1', zhCN: '可灵 2.1' }, description: { en: 'Image-to-video only; end frame in pro mode', zhCN: '仅图生视频，高品质模式支持尾帧' }, defaultPrices: { std: 20, pro: 35 } },
  { id: 'kling-v2-1-master', name: { en: 'Kling 2.1 Master', zhCN: '可灵 2.1 大师版' }, description: { en: 'The 2.1 flagship; no end frame', zhCN: '2.1 旗舰版，不支持尾帧' }, defaultPrices: { std: 100, pro: 100 } },
  { id: 'kling-v2-5-turbo', name: { en: 'Kling 2.5 Turbo', zhCN: '可灵 2.5 Turbo' }, description: { en: 'Fast and cheaper; end frame in pro mode', zhCN: '更快更省，高品质模式支持尾帧' }, defaultPrices: { std: 15, pro: 25 } },
  { id: 'kling-v2-6', name: { en: 'Kling 2.6', zhCN: '可灵 2.6' }, description: { en: 'The newest; sound in pro mode', zhCN: '最新模型，高品质模式可生成声音' }, defaultPrices: { std: 25, pro: 50 } },
];

export const KLING_MODES: readonly KlingMode[] = ['std', 'pro'];
export const KLING_DURATIONS = [5, 10] as const;
export const DEFAULT_KLING_MODEL: KlingModel = 'kling-v2-6';

export function findKlingModel(id: unknown): KlingCatalogueModel | undefined {
  return KLING_CATALOGUE.find((model) => model.id === id);
}

/** The priced key of a model in a mode: `kling-v2-6:pro`. */
export const priceKey = (model: string, mode: KlingMode): string => `${model}:${mode}`;

/** How many times the 5-second price is charged. */
export const unitsForDuration = (seconds: number): number => Math.max(1, Math.round(seconds / 5));

/** The fields our API takes for a model, from the client's capability map. */
export function parametersOf(id: KlingModel): string[] {
  const caps = KLING_MODELS[id];
  const names = ['prompt', 'negativePrompt', 'mode', 'duration'];
  if ((caps.families as readonly KlingVideoFamily[]).includes('text2video')) names.push('aspectRatio');
  if (caps.cfgScale) names.push('cfgScale');
  if (caps.cameraControl) names.push('cameraControl');
  if (caps.sound) names.push('sound');
  names.push('startImage');
  if (caps.imageTail) names.push('endImage');
  return names;
}
