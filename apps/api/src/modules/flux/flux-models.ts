/**
 * Atelier's catalogue of the 11 FLUX models on fal.ai (../shared/providers/fal.md §5): what each
 * accepts, with ranges and defaults, so requests are checked before anything is sent and the
 * image studio can build its form from it. API names are camelCase; `wire` is fal's field.
 */

export type FluxMode = 'text-to-image' | 'image-to-image' | 'redux' | 'multi-image';
export type FluxFamily = 'flux-1' | 'kontext';

export interface FluxParameter {
  name: string;
  wire: string;
  type: 'integer' | 'number' | 'boolean' | 'enum' | 'imageSize';
  min?: number;
  max?: number;
  step?: number;
  default?: string | number | boolean;
  values?: string[];
}

export interface FluxModel {
  id: string;
  family: FluxFamily;
  mode: FluxMode;
  name: { en: string; zhCN: string };
  description: { en: string; zhCN: string };
  /** Whether a prompt is required, optional or not accepted at all (redux). */
  prompt: 'required' | 'none';
  /** Image inputs: none, one (`imageUrl`), or several (`imageUrls`, up to `maxImages`). */
  imageInput: 'none' | 'single' | 'multi';
  maxImages: number;
  parameters: FluxParameter[];
  /** Credits per image. */
  defaultPrice: number;
}

export const IMAGE_SIZE_PRESETS = ['square_hd', 'square', 'portrait_4_3', 'portrait_16_9', 'landscape_4_3', 'landscape_16_9'];
export const ASPECT_RATIOS = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'];
export const CUSTOM_SIZE = { min: 256, max: 2048 };

const numImages: FluxParameter = { name: 'numImages', wire: 'num_images', type: 'integer', min: 1, max: 4, step: 1, default: 1 };
const seed: FluxParameter = { name: 'seed', wire: 'seed', type: 'integer', min: 0, max: 2_147_483_647, step: 1 };
const outputFormat: FluxParameter = { name: 'outputFormat', wire: 'output_format', type: 'enum', values: ['jpeg', 'png'], default: 'jpeg' };
const guidance: FluxParameter = { name: 'guidanceScale', wire: 'guidance_scale', type: 'number', min: 1, max: 20, step: 0.5, default: 3.5 };
const safetyChecker: FluxParameter = { name: 'enableSafetyChecker', wire: 'enable_safety_checker', type: 'boolean', default: true };
const imageSize: FluxParameter = { name: 'imageSize', wire: 'image_size', type: 'imageSize', values: IMAGE_SIZE_PRESETS, default: 'landscape_4_3' };
const steps = (max: number, fallback: number): FluxParameter => ({ name: 'numInferenceSteps', wire: 'num_inference_steps', type: 'integer', min: 1, max, step: 1, default: fallback });
const strength: FluxParameter = { name: 'strength', wire: 'strength', type: 'number', min: 0.01, max: 1, step: 0.01, default: 0.95 };
const aspectRatio = (fallback?: string): FluxParameter => ({ name: 'aspectRatio', wire: 'aspect_ratio', type: 'enum', values: ASPECT_RATIOS, ...(fallback ? { default: fallback } : {}) });
const safetyTolerance: FluxParameter = { name: 'safetyTolerance', wire: 'safety_tolerance', type: 'enum', values: ['1', '2', '3', '4', '5', '6'], default: '2' };
const enhancePrompt: FluxParameter = { name: 'enhancePrompt', wire: 'enhance_prompt', type: 'boolean', default: false };

const kontext = (t2i: boolean) => [t2i ? aspectRatio('1:1') : aspectRatio(), numImages, guidance, seed, outputFormat, safetyTolerance, enhancePrompt];

export const FLUX_MODELS: readonly FluxModel[] = [
  {
    id: 'fal-ai/flux-1/dev',
    family: 'flux-1',
    mode: 'text-to-image',
    name: { en: 'FLUX.1 [dev]', zhCN: 'FLUX.1 [dev] 文生图' },
    description: { en: 'High-quality text-to-image, 28 steps by default', zhCN: '高质量文生图，默认 28 步' },
    prompt: 'required',
    imageInput: 'none',
    maxImages: 0,
    parameters: [imageSize, numImages, guidance, steps(50, 28), seed, outputFormat, safetyChecker],
    defaultPrice: 10,
  },
  {
    id: 'fal-ai/flux-1/dev/image-to-image',
    family: 'flux-1',
    mode: 'image-to-image',
    name: { en: 'FLUX.1 [dev] image-to-image', zhCN: 'FLUX.1 [dev] 图生图' },
    description: { en: 'Redraws an image after a prompt; strength sets how far it may move', zhCN: '按提示词重绘图片，强度决定改动幅度' },
    prompt: 'required',
    imageInput: 'single',
    maxImages: 1,
    parameters: [strength, numImages, guidance, steps(50, 40), seed, outputFormat, safetyChecker],
    defaultPrice: 10,
  },
  {
    id: 'fal-ai/flux-1/dev/redux',
    family: 'flux-1',
    mode: 'redux',
    name: { en: 'FLUX.1 [dev] Redux', zhCN: 'FLUX.1 [dev] Redux 变体' },
    description: { en: 'Variations of an image, without a prompt', zhCN: '生成图片的变体，无需提示词' },
    prompt: 'none',
    imageInput: 'single',
    maxImages: 1,
    parameters: [imageSize, numImages, guidance, steps(50, 28), seed, outputFormat, safetyChecker],
    defaultPrice: 10,
  },
  {
    id: 'fal-ai/flux-1/schnell',
    family: 'flux-1',
    mode: 'text-to-image',
    name: { en: 'FLUX.1 [schnell]', zhCN: 'FLUX.1 [schnell] 极速文生图' },
    description: { en: 'Fast text-to-image in 1 to 12 steps', zhCN: '1 到 12 步的极速文生图' },
    prompt: 'required',
    imageInput: 'none',
    maxImages: 0,
    parameters: [imageSize, numImages, steps(12, 4), seed, outputFormat, safetyChecker],
    defaultPrice: 3,
  },
  {
    id: 'fal-ai/flux-1/schnell/redux',
    family: 'flux-1',
    mode: 'redux',
    name: { en: 'FLUX.1 [schnell] Redux', zhCN: 'FLUX.1 [schnell] Redux 极速变体' },
    description: { en: 'Fast variations of an image, without a prompt', zhCN: '极速生成图片变体，无需提示词' },
    prompt: 'none',
    imageInput: 'single',
    maxImages: 1,
    parameters: [imageSize, numImages, steps(12, 4), seed, outputFormat, safetyChecker],
    defaultPrice: 3,
  },
  {
    id: 'fal-ai/flux-pro/kontext',
    family: 'kontext',
    mode: 'image-to-image',
    name: { en: 'FLUX.1 Kontext [pro]', zhCN: 'FLUX.1 Kontext [pro] 图片编辑' },
    description: { en: 'Edits an image by instruction', zhCN: '用一句话编辑图片' },
    prompt: 'required',
    imageInput: 'single',
    maxImages: 1,
    parameters: kontext(false),
    defaultPrice: 16,
  },
  {
    id: 'fal-ai/flux-pro/kontext/max',
    family: 'kontext',
    mode: 'image-to-image',
    name: { en: 'FLUX.1 Kontext [max]', zhCN: 'FLUX.1 Kontext [max] 图片编辑' },
    description: { en: 'The strongest instruction editing, better typography', zhCN: '最强的指令式编辑，文字排版更好' },
    prompt: 'required',
    imageInput: 'single',
    maxImages: 1,
    parameters: kontext(false),
    defaultPrice: 32,
  },
  {
    id: 'fal-ai/flux-pro/kontext/max/multi',
    family: 'kontext',
    mode: 'multi-image',
    name: { en: 'FLUX.1 Kontext [max] multi-image', zhCN: 'FLUX.1 Kontext [max] 多图编辑' },
    description: { en: 'Combines up to 4 images by instruction', zhCN: '按指令融合最多 4 张图片' },
    prompt: 'required',
    imageInput: 'multi',
    maxImages: 4,
    parameters: kontext(false),
    defaultPrice: 32,
  },
  {
    id: 'fal-ai/flux-pro/kontext/max/text-to-image',
    family: 'kontext',
    mode: 'text-to-image',
    name: { en: 'FLUX.1 Kontext [max] text-to-image', zhCN: 'FLUX.1 Kontext [max] 文生图' },
    description: { en: 'Kontext [max] from a prompt alone', zhCN: '仅凭提示词使用 Kontext [max] 生成' },
    prompt: 'required',
    imageInput: 'none',
    maxImages: 0,
    parameters: kontext(true),
    defaultPrice: 32,
  },
  {
    id: 'fal-ai/flux-pro/kontext/multi',
    family: 'kontext',
    mode: 'multi-image',
    name: { en: 'FLUX.1 Kontext [pro] multi-image', zhCN: 'FLUX.1 Kontext [pro] 多图编辑' },
    description: { en: 'Combines up to 4 images by instruction', zhCN: '按指令融合最多 4 张图片' },
    prompt: 'required',
    imageInput: 'multi',
    maxImages: 4,
    parameters: kontext(false),
    defaultPrice: 16,
  },
  {
    id: 'fal-ai/flux-pro/kontext/text-to-image',
    family: 'kontext',
    mode: 'text-to-image',
    name: { en: 'FLUX.1 Kontext [pro] text-to-image', zhCN: 'FLUX.1 Kontext [pro] 文生图' },
    description: { en: 'Kontext [pro] from a prompt alone', zhCN: '仅凭提示词使用 Kontext [pro] 生成' },
    prompt: 'required',
    imageInput: 'none',
    maxImages: 0,
    parameters: kontext(true),
    defaultPrice: 16,
  },
];

export const DEFAULT_FLUX_MODEL = 'fal-ai/flux-1/schnell';

export function findFluxModel(id: string): FluxModel | undefined {
  return FLUX_MODELS.find((model) => model.id === id);
}
