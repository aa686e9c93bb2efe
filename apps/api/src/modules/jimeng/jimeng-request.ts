/**
 * Our request (camelCase) in Volcengine's words, checked with the providers library's rules so a
 * bad field is our 400 naming it, never a paid-for 50215 (jimeng-volcengine.md §4, §5).
 */
import { checkVolcInput, type VolcInputProblem, type VolcModel, type VolcTaskInput } from '@atelier/providers/volcengine';
import type { FieldError } from '../../common/errors.js';
import { say } from '../../common/language.js';
import type { JimengRoute } from './dto/jimeng.dto.js';
import { framesFor, JIMENG_DEFAULT_STRENGTH, takesPromptExpansion } from './jimeng-models.js';

/** What a task keeps of its request (`task.input`), in our own words. */
export interface JimengTaskInput {
  route: JimengRoute;
  model: VolcModel;
  prompt?: string;
  seed?: number;
  /** Video: seconds (5 or 10). */
  duration?: number;
  aspectRatio?: string;
  width?: number;
  height?: number;
  promptExpansion?: boolean;
  strength?: number;
  forceSingle?: boolean;
  /** Our stored images in wire order: first (+ last) frame, references, the image (+ its mask). */
  imageFileIds?: string[];
  /** Our API's name for each of `imageFileIds` (`firstFrame`, `referenceImages[2]`, `maskFileId`). */
  imageFields?: string[];
}

/** The submit body (without req_key) for a task input; images as given (raw base64 or URLs). */
export function wireOf(input: JimengTaskInput, images: { base64?: string[]; urls?: string[] } = {}): VolcTaskInput {
  const body: VolcTaskInput = { prompt: input.prompt, seed: input.seed };
  const count = input.imageFileIds?.length ?? 0;
  if (input.route === 'text-to-video' || input.route === 'image-to-video') {
    body.frames = framesFor(input.duration ?? 5);
    // Image-to-video follows its image's ratio (§4): aspect_ratio is for text-to-video only.
    if (input.route === 'text-to-video') body.aspect_ratio = input.aspectRatio ?? '16:9';
  } else {
    body.width = input.width;
    body.height = input.height;
    if (takesPromptExpansion(input.model)) body.use_pre_llm = input.promptExpansion ?? true;
    if (input.route === 'image-to-image') body.scale = input.strength ?? JIMENG_DEFAULT_STRENGTH;
    if (input.model === 'jimeng-image-seedream-4.0') {
      if (input.strength !== undefined) body.scale = input.strength;
      body.force_single = input.forceSingle ?? true;
    }
  }
  if (images.urls) body.image_urls = images.urls;
  else if (images.base64) body.binary_data_base64 = images.base64;
  // Placeholders for the check before the images are read (any raw base64 passes its format check).
  else if (count > 0) body.binary_data_base64 = Array.from({ length: count }, () => 'AAAA');
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as VolcTaskInput;
}

const WIRE_TO_API: Record<string, string> = { frames: 'duration', aspect_ratio: 'aspectRatio', scale: 'strength', use_pre_llm: 'promptExpansion', force_single: 'forceSingle' };

/** Volcengine's field in our API's words: `scale` → `strength`, `binary_data_base64[1]` → `lastFrame`. */
export function apiFieldName(wireField: string, input: Pick<JimengTaskInput, 'imageFields'>): string {
  const image = /^(binary_data_base64|image_urls)(?:\[(\d+)\])?$/.exec(wireField);
  if (image) return input.imageFields?.[Number(image[2] ?? 0)] ?? input.imageFields?.[0] ?? 'image';
  return WIRE_TO_API[wireField] ?? wireField;
}

/** The problem as our 400's field error, in the request's language. */
export function toFieldError(problem: VolcInputProblem, input: Pick<JimengTaskInput, 'imageFields' | 'model'>): FieldError {
  const field = apiFieldName(problem.field, input);
  let message = problem.message.split(problem.field).join(field);
  if (problem.field === 'frames') message = 'duration must be one of: 5, 10 (seconds)';
  if (problem.field === 'scale') message = message.replace(/^scale/, 'strength');
  return { field, messages: [say(`${message} (${input.model})`, `${field} 不符合 ${input.model} 的要求：${message}`)] };
}

/** The first problem with a task input (its images not read yet), as a field error, or null. */
export function checkTaskInput(input: JimengTaskInput): FieldError | null {
  const problem = checkVolcInput(input.model, wireOf(input));
  return problem ? toFieldError(problem, input) : null;
}

/** GetResult's `req_json` extras for the admin's watermark and AIGC metadata settings (§4, §5). */
export function resultOptions(kind: 'image' | 'video', settings: { watermark: { enabled: boolean; position: number; language: number; opacity: number; text: string }; aigcMeta: { enabled: boolean; contentProducer: string; producerId: string; contentPropagator: string; propagateId: string } }): Record<string, unknown> {
  const reqJson: Record<string, unknown> = {};
  const { watermark, aigcMeta } = settings;
  if (kind === 'image' && watermark.enabled) {
    reqJson.logo_info = { add_logo: true, position: watermark.position, language: watermark.language, opacity: watermark.opacity, ...(watermark.text ? { logo_text_content: watermark.text } : {}) };
  }
  if (aigcMeta.enabled) {
    reqJson.aigc_meta = {
      content_producer: aigcMeta.contentProducer,
      producer_id: aigcMeta.producerId,
      content_propagator: aigcMeta.contentPropagator,
      propagate_id: aigcMeta.propagateId,
    };
  }
  return reqJson;
}
