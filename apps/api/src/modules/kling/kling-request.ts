/**
 * Our request (camelCase, numbers) in Kling's words, checked with the client's capability checker
 * so a bad field is our 400 naming it and its allowed values, never a paid-for 1201.
 */
import {
  checkKlingVideoInput,
  type KlingCameraControl,
  type KlingImage2VideoInput,
  type KlingInputProblem,
  type KlingMode,
  type KlingText2VideoInput,
  type KlingVideoFamily,
} from '@atelier/providers/kling';
import type { FieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';

/** What a task keeps of its request (`task.input`), in our own words. */
export interface KlingTaskInput {
  family: KlingVideoFamily;
  model: string;
  prompt?: string;
  negativePrompt?: string;
  mode: KlingMode;
  duration: number;
  aspectRatio?: string;
  cfgScale?: number;
  cameraControl?: KlingCameraControl;
  sound?: boolean;
  /** Our stored images, read and sent as raw base64 at submission. */
  startFileId?: string;
  endFileId?: string;
}

const WIRE_TO_API: Record<string, string> = {
  model_name: 'model',
  negative_prompt: 'negativePrompt',
  cfg_scale: 'cfgScale',
  camera_control: 'cameraControl',
  aspect_ratio: 'aspectRatio',
  image: 'startImage',
  image_tail: 'endImage',
};

/** Kling's field path in our API's words: `camera_control.config.pan` → `cameraControl.config.pan`. */
export function apiFieldName(wireField: string): string {
  const [head, ...rest] = wireField.split('.');
  return [WIRE_TO_API[head] ?? head, ...rest].join('.');
}

/** A placeholder image for checking a request before its images are read (any raw base64 passes). */
const PLACEHOLDER_IMAGE = 'AAAA';

/** The wire body (without images, callback and external id) for a task input. */
export function wireOf(input: KlingTaskInput, images: { image?: string; image_tail?: string } = {}): KlingText2VideoInput | KlingImage2VideoInput {
  const body: Record<string, unknown> = {
    model_name: input.model,
    prompt: input.prompt,
    negative_prompt: input.negativePrompt,
    mode: input.mode,
    // Kling wants a string (gotcha §10.3); a number that is not 5 or 10 stays visible to the checker.
    duration: typeof input.duration === 'number' ? String(input.duration) : input.duration,
    cfg_scale: input.cfgScale,
    camera_control: input.cameraControl,
    sound: input.sound === undefined ? undefined : input.sound ? 'on' : 'off',
  };
  if (input.family === 'text2video') body.aspect_ratio = input.aspectRatio;
  else {
    if (input.aspectRatio !== undefined) body.aspect_ratio = input.aspectRatio;
    body.image = images.image ?? (input.startFileId ? PLACEHOLDER_IMAGE : undefined);
    body.image_tail = images.image_tail ?? (input.endFileId ? PLACEHOLDER_IMAGE : undefined);
  }
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as unknown as KlingText2VideoInput;
}

/** The problem as our 400's field error, in the request's language, with the allowed values. */
export function toFieldError(problem: KlingInputProblem, model: string): FieldError {
  const field = apiFieldName(problem.field);
  let allowed = problem.allowed;
  if (allowed && problem.field === 'duration') allowed = allowed.map(Number);
  if (allowed && problem.field === 'sound') allowed = allowed.map((value) => (value === 'on' ? 'true' : 'false'));
  const list = allowed === undefined ? '' : allowed.length === 0 ? '' : allowed.join(', ');
  let en: string;
  let zh: string;
  if (allowed && allowed.length === 0) {
    en = `${model} does not take ${field} here: leave it out`;
    zh = `${model} 在此不支持 ${field}，请去掉该字段`;
  } else if (allowed) {
    en = `${field} must be one of: ${list} (for ${model})`;
    zh = `${field} 必须是以下之一：${list}（${model}）`;
  } else {
    en = `${field}: ${problem.message.replace(problem.field, field)}`;
    zh = `${field} 不正确：${problem.message.replace(problem.field, field)}`;
  }
  return { field, messages: [say(en, zh)] };
}

/** The first problem with a task input, as a field error, or null. */
export function checkTaskInput(input: KlingTaskInput): FieldError | null {
  const problem = checkKlingVideoInput(input.family, wireOf(input));
  return problem ? toFieldError(problem, input.model) : null;
}
