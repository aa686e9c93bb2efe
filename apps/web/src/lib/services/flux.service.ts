import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { request, type Result } from './api-result';
import { type MediaFile, uploadTo } from './files.service';
import type { Task, TaskPage, TaskStatus } from './tasks.service';

export type FluxUserConfig = Schemas['FluxUserConfigDto'];
export type FluxCatalogue = Schemas['FluxModelsDto'];
export type FluxModel = Schemas['FluxModelDto'];
export type FluxParameter = Schemas['FluxParameterDto'];
export type FluxMode = FluxModel['mode'];
export type FluxTextToImage = Schemas['FluxTextToImageDto'];
export type FluxImageToImage = Schemas['FluxImageToImageDto'];
export type ImageSize = Schemas['ImageSizeDto'];

/** The studio's two modes: from a prompt, or from images (edit, redux variations, multi-image). */
export type StudioMode = 'text' | 'image';
/** The catalogue's modes, in the order the model picker groups them. */
export const FLUX_MODES: readonly FluxMode[] = ['text-to-image', 'image-to-image', 'redux', 'multi-image'];
/** The API's prompt limit (FluxTextToImageDto). */
export const PROMPT_MAX = 4000;

/** The value a parameter control holds; `imageSize` is a preset or `{ width, height }`. */
export type ParameterValue = string | number | boolean | ImageSize;
export type ParameterValues = Record<string, ParameterValue | undefined>;

export function studioMode(model: Pick<FluxModel, 'mode'>): StudioMode {
  return model.mode === 'text-to-image' ? 'text' : 'image';
}

/** Whether Flux can be used now, its default model, and whether it is the sandbox. */
export function getFluxUserConfig(): Promise<Result<FluxUserConfig>> {
  return request(() => api.GET('/api/v1/flux/config/user'));
}

/** Every model with its parameters, ranges, defaults and price per image. */
export function getFluxModels(): Promise<Result<FluxCatalogue>> {
  return request(() => api.GET('/api/v1/flux/models'));
}

/**
 * Starts a generation and answers with its task. The API's complaints about a field come back
 * under `fields` (a map from the API's name to the form's); a provider's refusal (502), Flux
 * being off (503) and too few credits (402) are toasted in the API's words.
 */
export async function createFluxTask(
  mode: StudioMode,
  body: FluxTextToImage | FluxImageToImage,
  fields: Readonly<Record<string, string>>,
): Promise<Result<Task>> {
  const result =
    mode === 'text'
      ? await request(() => api.POST('/api/v1/flux/text-to-image', { body: body as FluxTextToImage }), { fields })
      : await request(() => api.POST('/api/v1/flux/image-to-image', { body: body as FluxImageToImage }), { fields });
  return result;
}

/** Uploads one input image (jpg, png or webp, up to 10 MB), reporting progress. */
export function uploadFluxImage(file: File, onProgress: (loaded: number, total: number) => void, signal?: AbortSignal): Promise<Result<MediaFile>> {
  return uploadTo('/api/v1/flux/upload-image', file, onProgress, signal);
}

/** One page of my Flux generations, newest first. */
export function listFluxHistory(query: { cursor?: string | null; limit?: number; status?: TaskStatus }): Promise<Result<TaskPage>> {
  const params = {
    ...(query.cursor ? { cursor: query.cursor } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
    ...(query.status ? { status: query.status } : {}),
  };
  return request(() => api.GET('/api/v1/flux/history', { params: { query: params } }));
}

/** The model's name in the current language. */
export function modelName(model: Pick<FluxModel, 'name' | 'nameZhCN'>): string {
  return i18n.locale === 'zh-CN' ? model.nameZhCN || model.name : model.name || model.nameZhCN;
}

export function modelDescription(model: Pick<FluxModel, 'description' | 'descriptionZhCN'>): string {
  return i18n.locale === 'zh-CN' ? model.descriptionZhCN || model.description : model.description || model.descriptionZhCN;
}

export function isCustomSize(value: unknown): value is ImageSize {
  return typeof value === 'object' && value !== null && 'width' in value && 'height' in value;
}

/** Whether a value fits a parameter as the catalogue describes it (custom sizes within `customSize`). */
export function fits(spec: FluxParameter, value: unknown, customSize?: FluxCatalogue['customSize']): boolean {
  const inRange = (n: number) => (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
  switch (spec.type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && inRange(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return (typeof value === 'string' || typeof value === 'number') && (spec.values ?? []).includes(String(value));
    case 'imageSize': {
      if (typeof value === 'string') return (spec.values ?? []).includes(value);
      if (!isCustomSize(value)) return false;
      const min = customSize?.min ?? 1;
      const max = customSize?.max ?? Number.MAX_SAFE_INTEGER;
      return [value.width, value.height].every((n) => Number.isInteger(n) && n >= min && n <= max);
    }
  }
}

/** A parameter's starting value: its default, or nothing (the provider decides, e.g. a seed). */
export function defaultValue(spec: FluxParameter): ParameterValue | undefined {
  if (spec.default === undefined) return undefined;
  return spec.type === 'enum' ? String(spec.default) : spec.default;
}

/**
 * The values for `model`: those already chosen that it takes and that fit it (so switching model
 * keeps e.g. the image count), the rest from its defaults.
 */
export function valuesFor(model: FluxModel, current: ParameterValues, customSize?: FluxCatalogue['customSize']): ParameterValues {
  const values: ParameterValues = {};
  for (const spec of model.parameters) {
    if (spec.name === 'seed') continue;
    const kept = current[spec.name];
    values[spec.name] = kept !== undefined && fits(spec, kept, customSize) ? kept : defaultValue(spec);
  }
  return values;
}

/** A random seed within the catalogue's range. */
export function randomSeed(spec: FluxParameter | undefined): number {
  const min = Math.ceil(spec?.min ?? 0);
  const max = Math.floor(Math.min(spec?.max ?? 2_147_483_647, Number.MAX_SAFE_INTEGER));
  return min + Math.floor(Math.random() * (max - min + 1));
}
