/**
 * Atelier's catalogue of what Midjourney does (../shared/providers/midjourney-proxy.md): the three
 * ways to start (imagine, blend, describe) and the buttons of a finished task, under our own
 * action keys (libs/providers/midjourney/actions.ts maps them to the proxy's customIds). Each
 * entry is priced through its price model, which Admin › Prices lists as a "model" of Midjourney.
 */
import { type MjActionKey, MJ_ACTION_KEYS } from '@atelier/providers/midjourney';

export type MjStartKey = 'imagine' | 'blend' | 'describe';
export type MjCatalogueKey = MjStartKey | MjActionKey;

/** Prices are per price model; several buttons share one (the four upscales cost the same). */
export interface MjPriceModel {
  id: string;
  name: { en: string; zhCN: string };
  defaultPrice: number;
}

export const MJ_PRICE_MODELS: readonly MjPriceModel[] = [
  { id: 'imagine', name: { en: 'Midjourney imagine', zhCN: 'Midjourney 文生图' }, defaultPrice: 8 },
  { id: 'blend', name: { en: 'Midjourney blend', zhCN: 'Midjourney 混图' }, defaultPrice: 8 },
  { id: 'describe', name: { en: 'Midjourney describe', zhCN: 'Midjourney 图生文' }, defaultPrice: 2 },
  { id: 'upscale', name: { en: 'Midjourney upscale (U1–U4)', zhCN: 'Midjourney 放大（U1–U4）' }, defaultPrice: 2 },
  { id: 'variation', name: { en: 'Midjourney variation (V1–V4, strong, subtle)', zhCN: 'Midjourney 变化（V1–V4、强、弱）' }, defaultPrice: 8 },
  { id: 'reroll', name: { en: 'Midjourney reroll', zhCN: 'Midjourney 重新生成' }, defaultPrice: 8 },
  { id: 'upscale-hd', name: { en: 'Midjourney upscale 2x (subtle, creative)', zhCN: 'Midjourney 2 倍放大（细微、创意）' }, defaultPrice: 4 },
  { id: 'vary-region', name: { en: 'Midjourney vary region', zhCN: 'Midjourney 局部重绘' }, defaultPrice: 8 },
  { id: 'zoom', name: { en: 'Midjourney zoom out', zhCN: 'Midjourney 缩小扩图' }, defaultPrice: 8 },
  { id: 'pan', name: { en: 'Midjourney pan', zhCN: 'Midjourney 平移扩图' }, defaultPrice: 8 },
];

export interface MjCatalogueEntry {
  key: MjCatalogueKey;
  /** Its price model (MJ_PRICE_MODELS). */
  model: string;
  label: { en: string; zhCN: string };
  /** `start`: a route of its own; `action`: a button of a finished task (POST /tasks/{id}/actions). */
  type: 'start' | 'action';
  /** What the request must carry besides the key: a prompt (custom zoom), a mask (vary region). */
  needs: 'none' | 'prompt' | 'mask';
  /** A MODAL action: the proxy opens a form that the adapter confirms itself. */
  modal: boolean;
  /** Whether its result is a 2x2 grid (stored with its four images) or one image; describe gives text. */
  result: 'grid' | 'image' | 'text';
  /** The novicezk edition has no buttons: only U1–U4, V1–V4 and reroll (through /submit/change). */
  novicezk: boolean;
}

const label = (en: string, zhCN: string) => ({ en, zhCN });

const ACTION_DETAILS: Record<MjActionKey, Omit<MjCatalogueEntry, 'key' | 'type'>> = {
  'upscale:1': { model: 'upscale', label: label('Upscale 1', '放大 1'), needs: 'none', modal: false, result: 'image', novicezk: true },
  'upscale:2': { model: 'upscale', label: label('Upscale 2', '放大 2'), needs: 'none', modal: false, result: 'image', novicezk: true },
  'upscale:3': { model: 'upscale', label: label('Upscale 3', '放大 3'), needs: 'none', modal: false, result: 'image', novicezk: true },
  'upscale:4': { model: 'upscale', label: label('Upscale 4', '放大 4'), needs: 'none', modal: false, result: 'image', novicezk: true },
  'vary:1': { model: 'variation', label: label('Vary 1', '变化 1'), needs: 'none', modal: false, result: 'grid', novicezk: true },
  'vary:2': { model: 'variation', label: label('Vary 2', '变化 2'), needs: 'none', modal: false, result: 'grid', novicezk: true },
  'vary:3': { model: 'variation', label: label('Vary 3', '变化 3'), needs: 'none', modal: false, result: 'grid', novicezk: true },
  'vary:4': { model: 'variation', label: label('Vary 4', '变化 4'), needs: 'none', modal: false, result: 'grid', novicezk: true },
  reroll: { model: 'reroll', label: label('Reroll', '重新生成'), needs: 'none', modal: false, result: 'grid', novicezk: true },
  'upscale:subtle': { model: 'upscale-hd', label: label('Upscale (Subtle)', '放大（细微）'), needs: 'none', modal: false, result: 'image', novicezk: false },
  'upscale:creative': { model: 'upscale-hd', label: label('Upscale (Creative)', '放大（创意）'), needs: 'none', modal: false, result: 'image', novicezk: false },
  'vary:subtle': { model: 'variation', label: label('Vary (Subtle)', '变化（细微）'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'vary:strong': { model: 'variation', label: label('Vary (Strong)', '变化（强烈）'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'vary:region': { model: 'vary-region', label: label('Vary (Region)', '局部重绘'), needs: 'mask', modal: true, result: 'grid', novicezk: false },
  'zoom:2': { model: 'zoom', label: label('Zoom Out 2x', '缩小 2 倍'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'zoom:1.5': { model: 'zoom', label: label('Zoom Out 1.5x', '缩小 1.5 倍'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'zoom:custom': { model: 'zoom', label: label('Custom Zoom', '自定义缩放'), needs: 'prompt', modal: true, result: 'grid', novicezk: false },
  'pan:left': { model: 'pan', label: label('Pan Left', '向左平移'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'pan:right': { model: 'pan', label: label('Pan Right', '向右平移'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'pan:up': { model: 'pan', label: label('Pan Up', '向上平移'), needs: 'none', modal: false, result: 'grid', novicezk: false },
  'pan:down': { model: 'pan', label: label('Pan Down', '向下平移'), needs: 'none', modal: false, result: 'grid', novicezk: false },
};

export const MJ_CATALOGUE: readonly MjCatalogueEntry[] = [
  { key: 'imagine', type: 'start', model: 'imagine', label: label('Imagine', '文生图'), needs: 'prompt', modal: false, result: 'grid', novicezk: true },
  { key: 'blend', type: 'start', model: 'blend', label: label('Blend', '混图'), needs: 'none', modal: false, result: 'grid', novicezk: true },
  { key: 'describe', type: 'start', model: 'describe', label: label('Describe', '图生文'), needs: 'none', modal: false, result: 'text', novicezk: true },
  ...MJ_ACTION_KEYS.map((key): MjCatalogueEntry => ({ key, type: 'action', ...ACTION_DETAILS[key] })),
];

export function catalogueEntry(key: string): MjCatalogueEntry | undefined {
  return MJ_CATALOGUE.find((entry) => entry.key === key);
}
