/**
 * What each Kling video model accepts (../shared/providers/kling.md §5, §6 and the capability
 * notes there), as data, and a checker that names the offending field and its allowed values, so
 * a bad request becomes our 400 instead of a paid-for round trip that Kling refuses with 1201.
 */

export type KlingVideoFamily = 'text2video' | 'image2video';
export type KlingMode = 'std' | 'pro';
export type KlingAspectRatio = '16:9' | '9:16' | '1:1';

export const KLING_ASPECT_RATIOS: readonly KlingAspectRatio[] = ['16:9', '9:16', '1:1'];
export const KLING_CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
export type KlingCameraType = (typeof KLING_CAMERA_TYPES)[number];
export const KLING_CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
export type KlingCameraAxis = (typeof KLING_CAMERA_AXES)[number];

export interface KlingCameraControl {
  type: KlingCameraType;
  /** Only for `simple`: exactly one axis non-zero, each in −10..10. */
  config?: Partial<Record<KlingCameraAxis, number>>;
}

export interface KlingModelCapabilities {
  families: readonly KlingVideoFamily[];
  modes: readonly KlingMode[];
  /** `duration` values, as the strings Kling wants. */
  durations: readonly string[];
  /** `cfg_scale` is refused by the v2.x models (gotcha §10.3). */
  cfgScale: boolean;
  /** End frame: not at all, or only in pro mode. */
  imageTail: false | 'pro';
  /** `sound: "on"`: not at all, or only in pro mode. */
  sound: false | 'pro';
  cameraControl: boolean;
}

const BOTH: readonly KlingVideoFamily[] = ['text2video', 'image2video'];
const STD_PRO: readonly KlingMode[] = ['std', 'pro'];
const FIVE_TEN = ['5', '10'] as const;

/** The models we offer, in catalogue order. `kling-v1-5` and `kling-v2-1` are image-to-video only. */
export const KLING_MODELS = {
  'kling-v1': { families: BOTH, modes: STD_PRO, durations: FIVE_TEN, cfgScale: true, imageTail: 'pro', sound: false, cameraControl: true },
  'kling-v1-5': { families: ['image2video'], modes: STD_PRO, durations: FIVE_TEN, cfgScale: true, imageTail: 'pro', sound: false, cameraControl: true },
  'kling-v1-6': { families: BOTH, modes: STD_PRO, durations: FIVE_TEN, cfgScale: true, imageTail: 'pro', sound: false, cameraControl: false },
  'kling-v2-master': { families: BOTH, modes: STD_PRO, durations: FIVE_TEN, cfgScale: false, imageTail: false, sound: false, cameraControl: false },
  'kling-v2-1': { families: ['image2video'], modes: STD_PRO, durations: FIVE_TEN, cfgScale: false, imageTail: 'pro', sound: false, cameraControl: false },
  'kling-v2-1-master': { families: BOTH, modes: STD_PRO, durations: FIVE_TEN, cfgScale: false, imageTail: false, sound: false, cameraControl: false },
  'kling-v2-5-turbo': { families: BOTH, modes: STD_PRO, durations: FIVE_TEN, cfgScale: false, imageTail: 'pro', sound: false, cameraControl: false },
  'kling-v2-6': { families: BOTH, modes: STD_PRO, durations: FIVE_TEN, cfgScale: false, imageTail: 'pro', sound: 'pro', cameraControl: false },
} as const satisfies Record<string, KlingModelCapabilities>;

export type KlingModel = keyof typeof KLING_MODELS;
export const KLING_MODEL_NAMES = Object.keys(KLING_MODELS) as KlingModel[];

export function isKlingModel(value: unknown): value is KlingModel {
  return typeof value === 'string' && Object.hasOwn(KLING_MODELS, value);
}

/** The models that take requests of `family`. */
export function klingModelsFor(family: KlingVideoFamily): KlingModel[] {
  return KLING_MODEL_NAMES.filter((name) => (KLING_MODELS[name].families as readonly string[]).includes(family));
}

/** The fields both families share, with Kling's own names. */
export interface KlingVideoCommon {
  /** Defaults to `kling-v1` at Kling. */
  model_name?: string;
  prompt?: string;
  negative_prompt?: string;
  cfg_scale?: number;
  mode?: KlingMode;
  /** A string: `"5"` or `"10"`. */
  duration?: string;
  sound?: 'on' | 'off';
  camera_control?: KlingCameraControl;
  watermark_info?: { enabled: boolean };
  callback_url?: string;
  /** Our own task id: unique per Kling account, and queryable (see KlingClient.submitOnce). */
  external_task_id?: string;
}

export interface KlingText2VideoInput extends KlingVideoCommon {
  prompt: string;
  aspect_ratio?: KlingAspectRatio;
}

export interface KlingImage2VideoInput extends KlingVideoCommon {
  /** First frame: raw base64 (no `data:` prefix) or an http(s) URL. */
  image?: string;
  /** Last frame, same forms. */
  image_tail?: string;
}

export type KlingVideoInput = KlingText2VideoInput | KlingImage2VideoInput;

/** What is wrong with a request: the field (a path like `camera_control.config`), and what it may be. */
export interface KlingInputProblem {
  field: string;
  message: string;
  /** The allowed values, when they are a short list (an empty list: the field must be left out). */
  allowed?: ReadonlyArray<string | number>;
}

export const KLING_PROMPT_MAX = 2500;
/** `data:image/png;base64,` is refused by Kling (gotcha §10.4): only raw base64 or a URL. */
const RAW_BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}$/;

/** Whether `value` is a form Kling takes for `image`/`image_tail`. */
export function isKlingImage(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  if (/^https?:\/\/\S+$/.test(value)) return true;
  return RAW_BASE64.test(value);
}

/** Image bytes as Kling wants them: raw base64, no `data:` prefix. */
export function toKlingImage(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** The camera-control problem, if any (also usable on its own for a form's field). */
export function checkCameraControl(value: unknown, field = 'camera_control'): KlingInputProblem | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { field, message: `${field} must be an object with a type` };
  const control = value as { type?: unknown; config?: unknown };
  if (!(KLING_CAMERA_TYPES as readonly unknown[]).includes(control.type)) {
    return { field: `${field}.type`, message: `${field}.type must be one of ${KLING_CAMERA_TYPES.join(', ')}`, allowed: KLING_CAMERA_TYPES };
  }
  if (control.type !== 'simple') {
    // The presets carry their own movement; a config would be ignored or refused.
    if (control.config !== undefined) return { field: `${field}.config`, message: `${field}.config is only for type simple`, allowed: [] };
    return null;
  }
  if (!control.config || typeof control.config !== 'object' || Array.isArray(control.config)) {
    return { field: `${field}.config`, message: `${field}.config is required for type simple: exactly one of ${KLING_CAMERA_AXES.join(', ')} non-zero`, allowed: KLING_CAMERA_AXES };
  }
  const config = control.config as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!(KLING_CAMERA_AXES as readonly string[]).includes(key)) return { field: `${field}.config.${key}`, message: `${field}.config has no axis ${key}`, allowed: KLING_CAMERA_AXES };
  }
  let nonZero = 0;
  for (const axis of KLING_CAMERA_AXES) {
    const amount = config[axis];
    if (amount === undefined) continue;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < -10 || amount > 10) {
      return { field: `${field}.config.${axis}`, message: `${field}.config.${axis} must be a number from -10 to 10` };
    }
    if (amount !== 0) nonZero++;
  }
  if (nonZero !== 1) {
    return { field: `${field}.config`, message: `${field}.config must have exactly one non-zero axis (of ${KLING_CAMERA_AXES.join(', ')}), it has ${nonZero}`, allowed: KLING_CAMERA_AXES };
  }
  return null;
}

/**
 * The first problem with a request to `family`, or null when Kling should accept it. Fields left
 * out take Kling's defaults (`kling-v1`, `std`, `"5"`, `16:9`).
 */
export function checkKlingVideoInput(family: KlingVideoFamily, input: KlingVideoInput): KlingInputProblem | null {
  const body = input as KlingText2VideoInput & KlingImage2VideoInput;
  const modelName = body.model_name ?? 'kling-v1';
  const models = klingModelsFor(family);
  if (!isKlingModel(modelName) || !models.includes(modelName)) {
    return { field: 'model_name', message: `model_name must be one of ${models.join(', ')} for ${family}`, allowed: models };
  }
  const model: KlingModelCapabilities = KLING_MODELS[modelName];
  const mode = body.mode ?? 'std';
  if (!model.modes.includes(mode)) return { field: 'mode', message: `mode must be one of ${model.modes.join(', ')}`, allowed: model.modes };
  const duration = body.duration ?? '5';
  if (typeof duration !== 'string' || !model.durations.includes(duration)) {
    return { field: 'duration', message: `duration must be one of ${model.durations.map((d) => `"${d}"`).join(', ')} (a string) for ${modelName}`, allowed: model.durations };
  }
  for (const name of ['prompt', 'negative_prompt'] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return { field: name, message: `${name} must be text` };
    if (value.length > KLING_PROMPT_MAX) return { field: name, message: `${name} must be at most ${KLING_PROMPT_MAX} characters` };
  }
  if (family === 'text2video') {
    if (typeof body.prompt !== 'string' || body.prompt.trim() === '') return { field: 'prompt', message: 'prompt is required' };
    if (body.aspect_ratio !== undefined && !KLING_ASPECT_RATIOS.includes(body.aspect_ratio)) {
      return { field: 'aspect_ratio', message: `aspect_ratio must be one of ${KLING_ASPECT_RATIOS.join(', ')}`, allowed: KLING_ASPECT_RATIOS };
    }
  } else {
    // image2video takes the ratio of its input image.
    if ((body as { aspect_ratio?: unknown }).aspect_ratio !== undefined) return { field: 'aspect_ratio', message: 'image2video takes the aspect ratio of its image; leave aspect_ratio out', allowed: [] };
    if (body.image === undefined && body.image_tail === undefined) return { field: 'image', message: 'image or image_tail is required' };
    for (const name of ['image', 'image_tail'] as const) {
      const value: unknown = body[name];
      if (value === undefined) continue;
      if (!isKlingImage(value)) {
        const hint = typeof value === 'string' && value.startsWith('data:') ? ' without the data: prefix' : '';
        return { field: name, message: `${name} must be raw base64${hint} or an http(s) URL` };
      }
    }
    if (body.image_tail !== undefined) {
      if (!model.imageTail) return { field: 'image_tail', message: `${modelName} takes no end frame (image_tail)`, allowed: [] };
      if (mode !== 'pro') return { field: 'mode', message: `an end frame (image_tail) on ${modelName} needs mode pro`, allowed: ['pro'] };
      if (body.camera_control !== undefined) return { field: 'camera_control', message: 'camera_control cannot be used with an end frame (image_tail)', allowed: [] };
    }
  }
  if (body.cfg_scale !== undefined) {
    if (!model.cfgScale) return { field: 'cfg_scale', message: `${modelName} takes no cfg_scale`, allowed: [] };
    if (typeof body.cfg_scale !== 'number' || !(body.cfg_scale >= 0 && body.cfg_scale <= 1)) return { field: 'cfg_scale', message: 'cfg_scale must be a number from 0 to 1' };
  }
  if (body.sound !== undefined) {
    if (body.sound !== 'on' && body.sound !== 'off') return { field: 'sound', message: 'sound must be on or off', allowed: ['on', 'off'] };
    if (body.sound === 'on') {
      if (!model.sound) return { field: 'sound', message: `${modelName} makes no sound`, allowed: ['off'] };
      if (mode !== 'pro') return { field: 'mode', message: `sound on ${modelName} needs mode pro`, allowed: ['pro'] };
    }
  }
  if (body.camera_control !== undefined) {
    if (!model.cameraControl) return { field: 'camera_control', message: `${modelName} takes no camera_control`, allowed: [] };
    const problem = checkCameraControl(body.camera_control);
    if (problem) return problem;
  }
  if (body.callback_url !== undefined && (typeof body.callback_url !== 'string' || !/^https?:\/\/\S+$/.test(body.callback_url))) {
    return { field: 'callback_url', message: 'callback_url must be an http(s) URL' };
  }
  if (body.external_task_id !== undefined && (typeof body.external_task_id !== 'string' || body.external_task_id === '' || body.external_task_id.length > 64)) {
    return { field: 'external_task_id', message: 'external_task_id must be text of 1 to 64 characters' };
  }
  return null;
}
