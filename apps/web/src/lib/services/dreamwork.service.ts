import type { Schemas } from '@atelier/api-client';
import { api } from '$lib/api';
import { i18n } from '$lib/managers/i18n-manager.svelte';
import { request, type Result } from './api-result';
import { listHistory } from './history.service';
import type { Task, TaskPage } from './tasks.service';

/**
 * DreamWork (即梦绘画): Jimeng's image models on Volcengine, offered in the image studio next to
 * Flux. The catalogue (`GET /jimeng/models`, kind image) decides the form: sizes, prompt expansion,
 * strength, reference images, several outputs and the price.
 */
export type JimengModel = Schemas['JimengModelDto'];
export type JimengUserConfig = Schemas['JimengUserConfigDto'];
export type JimengSizeRule = NonNullable<JimengModel['size']>;
export type JimengTextToImage = Schemas['JimengTextToImageDto'];
export type JimengImageToImage = Schemas['JimengImageToImageDto'];
export type JimengInpaint = Schemas['JimengInpaintDto'];

/** The studio's three ways of making a DreamWork image, and the catalogue route each one takes. */
export type DreamWorkMode = 'text' | 'image' | 'inpaint';
export const DREAMWORK_MODES: readonly DreamWorkMode[] = ['text', 'image', 'inpaint'];
export const DREAMWORK_ROUTES = { text: 'text-to-image', image: 'image-to-image', inpaint: 'inpaint' } as const satisfies Record<
  DreamWorkMode,
  JimengModel['routes'][number]
>;
/** What the prompt says to erase the painted area instead of repainting it (Volcengine's inpainting convention). */
export const ERASE_PROMPT = '删除';
/** Input images Volcengine takes (JPEG/PNG, 4.7 MB); the server checks them again, with their sides and ratio. */
export const DREAMWORK_INPUT_TYPES = ['image/jpeg', 'image/png'];
export const DREAMWORK_INPUT_MAX_BYTES = 4.7 * 1024 * 1024;
/** Volcengine's pixel limits on an input image (a side at most 4096, the short side at least 320, at most 3:1). */
export const JIMENG_INPUT_PIXELS = { maxSide: 4096, minShortSide: 320, maxRatio: 3 } as const;

/**
 * Why Volcengine would refuse this picture for its pixel size, in the reader's language, or null
 * (also when the browser cannot read it: the server checks it again). Said as the picture is
 * added, rather than as the server's refusal once the form is sent.
 */
export async function jimengPixelProblem(file: Blob): Promise<string | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const { width, height } = bitmap;
  bitmap.close();
  const m = i18n.m.dreamwork;
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const values = { width, height, ...JIMENG_INPUT_PIXELS };
  if (long > JIMENG_INPUT_PIXELS.maxSide) return i18n.format(m.inputTooBig, values);
  if (short < JIMENG_INPUT_PIXELS.minShortSide) return i18n.format(m.inputTooSmall, values);
  if (long / short > JIMENG_INPUT_PIXELS.maxRatio) return i18n.format(m.inputBadRatio, values);
  return null;
}
/** Seeds we pick when the seed is not locked (Volcengine takes any int ≥ -1; -1 = its own random one). */
export const DREAMWORK_SEED_RANGE = { min: 0, max: 2_147_483_647 } as const;

export function dreamWorkMode(model: Pick<JimengModel, 'routes'>): DreamWorkMode | null {
  return DREAMWORK_MODES.find((mode) => model.routes.includes(DREAMWORK_ROUTES[mode])) ?? null;
}

/** Whether DreamWork can be used now, and why not when it cannot. */
export function getJimengUserConfig(): Promise<Result<JimengUserConfig>> {
  return request(() => api.GET('/api/v1/jimeng/config/user'), { background: true });
}

/** Jimeng's image models (the video ones belong to the video studio). */
export async function getDreamWorkModels(): Promise<Result<JimengModel[]>> {
  const result = await request(() => api.GET('/api/v1/jimeng/models'), { background: true });
  if (!result.ok) return result;
  return { ok: true, data: result.data.models.filter((model) => model.kind === 'image') };
}

/**
 * Starts a DreamWork image and answers with its task. The API's complaints about a field come back
 * under the form's names (`fields`); a refusal by Volcengine (502), Jimeng being off (503) and too
 * few credits (402) are toasted in the API's words.
 */
export function createDreamWorkTask(
  mode: DreamWorkMode,
  body: JimengTextToImage | JimengImageToImage | JimengInpaint,
  fields: Readonly<Record<string, string>>,
): Promise<Result<Task>> {
  if (mode === 'text') return request(() => api.POST('/api/v1/jimeng/text-to-image', { body: body as JimengTextToImage }), { fields });
  if (mode === 'image') return request(() => api.POST('/api/v1/jimeng/image-to-image', { body: body as JimengImageToImage }), { fields });
  return request(() => api.POST('/api/v1/jimeng/inpaint', { body: body as JimengInpaint }), { fields });
}

/** One page of my DreamWork images, newest first (the one history, filtered). */
export function listDreamWorkHistory(query: { cursor?: string | null; limit?: number }): Promise<Result<TaskPage>> {
  return listHistory({ source: 'jimeng', kind: 'image', ...(query.cursor ? { cursor: query.cursor } : {}), ...(query.limit ? { limit: query.limit } : {}) });
}

export function dreamWorkModelName(model: Pick<JimengModel, 'name' | 'nameZhCN'>): string {
  return i18n.locale === 'zh-CN' ? model.nameZhCN || model.name : model.name || model.nameZhCN;
}

/** What is wrong with a width and height under a model's size rule, worded now; null when they fit. */
export type SizeProblem =
  | { kind: 'integer' }
  | { kind: 'side'; min: number; max: number }
  | { kind: 'area'; min: number; max: number }
  | { kind: 'ratio'; max: number };

/**
 * Checks a custom size as the server will (libs/providers volcengine `checkVolcInput`): whole
 * pixels, each side within its range, the area within its range, the long side at most `maxRatio`
 * times the short one. Shown live under the fields, so nobody pays a round trip to learn it.
 */
export function sizeProblem(rule: JimengSizeRule, width: number, height: number): SizeProblem | null {
  if (![width, height].every((side) => Number.isInteger(side) && side > 0)) return { kind: 'integer' };
  const minSide = rule.minSide ?? null;
  const maxSide = rule.maxSide ?? null;
  if ((minSide !== null && Math.min(width, height) < minSide) || (maxSide !== null && Math.max(width, height) > maxSide)) {
    return { kind: 'side', min: minSide ?? 1, max: maxSide ?? Number.MAX_SAFE_INTEGER };
  }
  const area = width * height;
  if ((rule.minArea && area < rule.minArea) || (rule.maxArea && area > rule.maxArea)) return { kind: 'area', min: rule.minArea, max: rule.maxArea };
  if (Math.max(width, height) / Math.min(width, height) > rule.maxRatio) return { kind: 'ratio', max: rule.maxRatio };
  return null;
}

/** An area as the side of a square of that many pixels, e.g. 1048576 → "1024×1024". */
export function squareOf(area: number): string {
  const side = Math.round(Math.sqrt(area));
  return `${side}×${side}`;
}
