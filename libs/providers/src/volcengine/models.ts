/**
 * The Jimeng models we call through the visual API (../shared/providers/jimeng-volcengine.md §4,
 * §5), as data: each model's `req_key` and its parameter rules, and a checker that names the
 * offending field (our 400) before a paid-for round trip. req_keys are overridable (gotcha §7.8:
 * the 1080P suffixes differ between sources), so an admin can fix one without a release.
 */

export type VolcModelKind = 'video' | 'image';

export interface VolcSizeRule {
  /** Both `width` and `height`, or neither. */
  area?: { min: number; max: number };
  /** Each side within [min, max]. */
  side?: { min: number; max: number };
  /** long side / short side at most this. */
  maxRatio: number;
}

export interface VolcModelSpec {
  kind: VolcModelKind;
  reqKey: string;
  label: string;
  /** Input images (`binary_data_base64` or `image_urls`, never both). */
  images: { min: number; max: number };
  promptRequired: boolean;
  /** Video: `frames` values (24·n+1: 121 = 5 s, 241 = 10 s). */
  frames?: readonly number[];
  /** Text-to-video only: `aspect_ratio` values (image-to-video follows its image). */
  aspectRatios?: readonly string[];
  size?: VolcSizeRule;
  /** `scale` range, when the model takes one. */
  scale?: { min: number; max: number };
}

export const VOLC_VIDEO_FRAMES = [121, 241] as const;
export const VOLC_VIDEO_ASPECT_RATIOS = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'] as const;
export const VOLC_PROMPT_MAX = 800;
/** Input image limits (§4): JPEG/PNG, ≤ 4.7 MB, ≤ 4096 px a side, short side ≥ 320, long/short ≤ 3. */
export const VOLC_IMAGE_LIMITS = { maxBytes: 4.7 * 1024 * 1024, maxSide: 4096, minSide: 320, maxRatio: 3 } as const;

const T2V = { kind: 'video', images: { min: 0, max: 0 }, promptRequired: true, frames: VOLC_VIDEO_FRAMES, aspectRatios: VOLC_VIDEO_ASPECT_RATIOS } as const;
const I2V_FIRST = { kind: 'video', images: { min: 1, max: 1 }, promptRequired: false, frames: VOLC_VIDEO_FRAMES } as const;
const I2V_TAIL = { kind: 'video', images: { min: 2, max: 2 }, promptRequired: false, frames: VOLC_VIDEO_FRAMES } as const;
const T2I_3 = { kind: 'image', images: { min: 0, max: 0 }, promptRequired: true, size: { area: { min: 512 * 512, max: 2048 * 2048 }, maxRatio: 3 } } as const;

export const VOLC_MODELS = {
  'jimeng-video-3.0-720p-t2v': { ...T2V, reqKey: 'jimeng_t2v_v30', label: 'Video 3.0 720P text-to-video' },
  'jimeng-video-3.0-1080p-t2v': { ...T2V, reqKey: 'jimeng_t2v_v30_1080p', label: 'Video 3.0 1080P text-to-video' },
  'jimeng-video-3.0-720p-i2v': { ...I2V_FIRST, reqKey: 'jimeng_i2v_first_v30', label: 'Video 3.0 720P image-to-video (first frame)' },
  'jimeng-video-3.0-1080p-i2v': { ...I2V_FIRST, reqKey: 'jimeng_i2v_first_v30_1080', label: 'Video 3.0 1080P image-to-video (first frame)' },
  'jimeng-video-3.0-720p-first-tail': { ...I2V_TAIL, reqKey: 'jimeng_i2v_first_tail_v30', label: 'Video 3.0 720P first+last frame' },
  // Sources disagree on `_1080` vs `_1080p` here ([UNCONFIRMED]): override it if the account refuses.
  'jimeng-video-3.0-1080p-first-tail': { ...I2V_TAIL, reqKey: 'jimeng_i2v_first_tail_v30_1080', label: 'Video 3.0 1080P first+last frame' },
  // Pro takes a prompt and optionally one first-frame image; aspect_ratio only without an image.
  'jimeng-video-3.0-pro': { ...T2V, images: { min: 0, max: 1 }, reqKey: 'jimeng_ti2v_v30_pro', label: 'Video 3.0 Pro' },
  'jimeng-image-t2i-3.0': { ...T2I_3, reqKey: 'jimeng_t2i_v30', label: 'Text-to-image 3.0' },
  'jimeng-image-t2i-3.1': { ...T2I_3, reqKey: 'jimeng_t2i_v31', label: 'Text-to-image 3.1' },
  // Seedream 4.0 sizes from a third-party summary ([3P]): area 1024²–4096², ratio up to 16, and no side
  // beyond 4096 (where ratio 16 meets the smallest area: 4096 × 256 = 1024²), as the gateway refuses.
  'jimeng-image-seedream-4.0': { kind: 'image', images: { min: 0, max: 10 }, promptRequired: true, size: { area: { min: 1024 * 1024, max: 4096 * 4096 }, side: { min: 256, max: 4096 }, maxRatio: 16 }, scale: { min: 0, max: 1 }, reqKey: 'jimeng_t2i_v40', label: 'Seedream 4.0' },
  'jimeng-image-i2i-3.0': { kind: 'image', images: { min: 1, max: 1 }, promptRequired: true, size: { side: { min: 512, max: 2016 }, maxRatio: 3 }, scale: { min: 0, max: 1 }, reqKey: 'jimeng_i2i_v30', label: 'Image-to-image 3.0' },
  // Two images: the original and its mask (white = repaint).
  'jimeng-image-inpaint': { kind: 'image', images: { min: 2, max: 2 }, promptRequired: true, reqKey: 'jimeng_image2image_dream_inpaint', label: 'Inpainting' },
} as const satisfies Record<string, VolcModelSpec>;

export type VolcModel = keyof typeof VOLC_MODELS;
export const VOLC_MODEL_IDS = Object.keys(VOLC_MODELS) as VolcModel[];
/** Our model id → a different req_key (an admin setting). */
export type VolcReqKeyOverrides = Partial<Record<VolcModel, string>>;

export function isVolcModel(value: unknown): value is VolcModel {
  return typeof value === 'string' && Object.hasOwn(VOLC_MODELS, value);
}

export function volcReqKey(model: VolcModel, overrides: VolcReqKeyOverrides = {}): string {
  return overrides[model] || VOLC_MODELS[model].reqKey;
}

/** The model a req_key belongs to (overrides first), or undefined. */
export function volcModelForReqKey(reqKey: string, overrides: VolcReqKeyOverrides = {}): VolcModel | undefined {
  return VOLC_MODEL_IDS.find((model) => overrides[model] === reqKey) ?? VOLC_MODEL_IDS.find((model) => !overrides[model] && VOLC_MODELS[model].reqKey === reqKey);
}

/** The submit body's fields besides `req_key`; unknown fields are passed through. */
export interface VolcTaskInput {
  prompt?: string;
  /** Raw base64 (no `data:` prefix, gotcha §7.5), in an array. */
  binary_data_base64?: string[];
  image_urls?: string[];
  seed?: number;
  frames?: number;
  aspect_ratio?: string;
  width?: number;
  height?: number;
  scale?: number;
  use_pre_llm?: boolean;
  [field: string]: unknown;
}

export interface VolcInputProblem {
  field: string;
  message: string;
  allowed?: ReadonlyArray<string | number>;
}

/** The size and dimensions of an input image, when the caller has read them (the library does not decode images). */
export interface VolcImageFacts {
  bytes: number;
  width?: number;
  height?: number;
}

/** One input image against the documented limits, or the problem with `field`. */
export function checkVolcImage(field: string, image: VolcImageFacts): VolcInputProblem | null {
  const limits = VOLC_IMAGE_LIMITS;
  if (image.bytes > limits.maxBytes) return { field, message: `${field} is larger than 4.7 MB` };
  if (image.width === undefined || image.height === undefined) return null;
  const long = Math.max(image.width, image.height);
  const short = Math.min(image.width, image.height);
  if (long > limits.maxSide) return { field, message: `${field} must be at most ${limits.maxSide} px on each side` };
  if (short < limits.minSide) return { field, message: `${field} must be at least ${limits.minSide} px on its short side` };
  if (long / short > limits.maxRatio) return { field, message: `${field} must be at most ${limits.maxRatio}:1 long side to short side` };
  return null;
}

/**
 * Raw base64 (no `data:` prefix): one pass over the characters. A regular expression over a
 * multi-megabyte image overflows V8's backtracking stack ("Maximum call stack size exceeded").
 */
function isRawBase64(text: string): boolean {
  let end = text.length;
  while (end > 0 && text.length - end < 2 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (end === 0) return false;
  for (let index = 0; index < end; index++) {
    const code = text.charCodeAt(index);
    const letterOrDigit = (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
    if (!letterOrDigit && code !== 43 /* + */ && code !== 47 /* / */) return false;
  }
  return true;
}
/** The decoded length of a base64 string without decoding it. */
const base64Bytes = (value: string) => Math.floor((value.length * 3) / 4) - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);

/**
 * A prompt's length in characters (Unicode code points), as the documented 800-character limit and
 * JSON Schema's maxLength count them: an emoji is one character, not its two UTF-16 units.
 */
export function volcPromptLength(prompt: string): number {
  let length = 0;
  for (const _ of prompt) length++;
  return length;
}

/** The first problem with `input` for `model`, naming the field, or null. */
export function checkVolcInput(model: VolcModel, input: VolcTaskInput, images: VolcImageFacts[] = []): VolcInputProblem | null {
  const spec: VolcModelSpec = VOLC_MODELS[model];
  const prompt = input.prompt;
  if (prompt !== undefined && typeof prompt !== 'string') return { field: 'prompt', message: 'prompt must be a string' };
  if (spec.promptRequired && !prompt?.trim()) return { field: 'prompt', message: 'prompt is required' };
  if (volcPromptLength(prompt ?? '') > VOLC_PROMPT_MAX) return { field: 'prompt', message: `prompt must be at most ${VOLC_PROMPT_MAX} characters` };

  const base64 = input.binary_data_base64;
  const urls = input.image_urls;
  if (base64 !== undefined && urls !== undefined) return { field: 'image_urls', message: 'send binary_data_base64 or image_urls, not both' };
  for (const [field, list] of [['binary_data_base64', base64], ['image_urls', urls]] as const) {
    if (list !== undefined && (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === ''))) return { field, message: `${field} must be an array of strings` };
  }
  if (base64) {
    const bad = base64.findIndex((item) => !isRawBase64(item));
    if (bad >= 0) return { field: `binary_data_base64[${bad}]`, message: 'binary_data_base64 items are raw base64 (no data: prefix)' };
  }
  if (urls) {
    const bad = urls.findIndex((item) => !/^https?:\/\/\S+$/.test(item));
    if (bad >= 0) return { field: `image_urls[${bad}]`, message: 'image_urls items must be http(s) URLs' };
  }
  const count = (base64 ?? urls ?? []).length;
  const imageField = urls ? 'image_urls' : 'binary_data_base64';
  if (count < spec.images.min || count > spec.images.max) {
    const wanted = spec.images.min === spec.images.max ? `exactly ${spec.images.min}` : `${spec.images.min}–${spec.images.max}`;
    return { field: imageField, message: spec.images.max === 0 ? `${model} takes no input image` : `${model} takes ${wanted} input image(s)` };
  }
  for (let i = 0; i < count; i++) {
    // The size of a base64 image is known here; its dimensions only when the caller read them.
    const facts: VolcImageFacts = { ...images[i], bytes: base64 ? base64Bytes(base64[i]) : (images[i]?.bytes ?? 0) };
    const problem = checkVolcImage(`${imageField}[${i}]`, facts);
    if (problem) return problem;
  }

  if (input.seed !== undefined && (!Number.isInteger(input.seed) || input.seed < -1)) return { field: 'seed', message: 'seed must be an integer ≥ -1' };
  if (spec.kind === 'video') {
    if (input.frames !== undefined && !spec.frames!.includes(input.frames)) return { field: 'frames', message: 'frames must be 121 (5 s) or 241 (10 s)', allowed: spec.frames };
    if (input.aspect_ratio !== undefined) {
      if (!spec.aspectRatios || count > 0) return { field: 'aspect_ratio', message: 'aspect_ratio is only for text-to-video (image-to-video follows its image)' };
      if (!spec.aspectRatios.includes(input.aspect_ratio)) return { field: 'aspect_ratio', message: `aspect_ratio must be one of ${spec.aspectRatios.join(', ')}`, allowed: spec.aspectRatios };
    }
    for (const field of ['width', 'height', 'scale'] as const) if (input[field] !== undefined) return { field, message: `${field} is not a video parameter` };
    return null;
  }
  for (const field of ['frames', 'aspect_ratio'] as const) if (input[field] !== undefined) return { field, message: `${field} is not an image parameter` };
  if (input.scale !== undefined) {
    if (!spec.scale) return { field: 'scale', message: `${model} takes no scale` };
    if (typeof input.scale !== 'number' || input.scale < spec.scale.min || input.scale > spec.scale.max) return { field: 'scale', message: `scale must be in [${spec.scale.min}, ${spec.scale.max}]` };
  }
  const { width, height } = input;
  if (width !== undefined || height !== undefined) {
    if (!spec.size) return { field: width !== undefined ? 'width' : 'height', message: `${model} takes no size` };
    if (width === undefined || height === undefined) return { field: width === undefined ? 'width' : 'height', message: 'width and height go together' };
    for (const [field, value] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(value) || value <= 0) return { field, message: `${field} must be a positive integer` };
      const side = spec.size.side;
      if (side && (value < side.min || value > side.max)) return { field, message: `${field} must be in [${side.min}, ${side.max}]` };
    }
    const area = spec.size.area;
    if (area && (width * height < area.min || width * height > area.max)) {
      return { field: 'width', message: `width × height must be between ${Math.sqrt(area.min)}² and ${Math.sqrt(area.max)}²` };
    }
    if (Math.max(width, height) / Math.min(width, height) > spec.size.maxRatio) return { field: 'height', message: `width:height must be within 1:${spec.size.maxRatio} and ${spec.size.maxRatio}:1` };
  }
  return null;
}
