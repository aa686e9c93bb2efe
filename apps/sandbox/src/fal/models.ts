/**
 * The FLUX models the sandbox serves, with the input each accepts (../shared/providers/fal.md §5).
 * This is the provider's side of the contract, kept apart from Atelier's own catalogue on purpose:
 * the sandbox must reject what fal rejects even if our catalogue is wrong.
 */

type FieldSpec =
  | { kind: 'string'; required?: boolean }
  | { kind: 'string[]'; required?: boolean; minItems: number; maxItems: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'literal'; values: readonly string[] }
  | { kind: 'image_size' };

export type ModelFamily = 'flux-1' | 'kontext';

export interface ModelSpec {
  id: string;
  family: ModelFamily;
  /** The image inputs the model reads, if any. */
  imageInput: 'none' | 'image_url' | 'image_urls';
  fields: Record<string, FieldSpec>;
  defaultSteps?: number;
}

const OUTPUT_FORMATS = ['jpeg', 'png'] as const;
export const IMAGE_SIZE_PRESETS: Record<string, [number, number]> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};
export const ASPECT_RATIOS = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'] as const;

const flux1Common: Record<string, FieldSpec> = {
  num_images: { kind: 'integer', min: 1, max: 4 },
  seed: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
  output_format: { kind: 'literal', values: OUTPUT_FORMATS },
  enable_safety_checker: { kind: 'boolean' },
  acceleration: { kind: 'literal', values: ['none', 'regular', 'high'] },
  sync_mode: { kind: 'boolean' },
};
const prompt: FieldSpec = { kind: 'string', required: true };
const imageUrl: FieldSpec = { kind: 'string', required: true };
const guidance: FieldSpec = { kind: 'number', min: 1, max: 20 };
const devSteps: FieldSpec = { kind: 'integer', min: 1, max: 50 };
const schnellSteps: FieldSpec = { kind: 'integer', min: 1, max: 12 };
const imageSize: FieldSpec = { kind: 'image_size' };

const kontextCommon: Record<string, FieldSpec> = {
  prompt,
  aspect_ratio: { kind: 'literal', values: ASPECT_RATIOS },
  num_images: { kind: 'integer', min: 1, max: 4 },
  guidance_scale: guidance,
  seed: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
  output_format: { kind: 'literal', values: OUTPUT_FORMATS },
  // A string enum, not a number: sending 2 instead of "2" is a 422 (fal.md §5).
  safety_tolerance: { kind: 'literal', values: ['1', '2', '3', '4', '5', '6'] },
  enhance_prompt: { kind: 'boolean' },
  sync_mode: { kind: 'boolean' },
};
const imageUrls: FieldSpec = { kind: 'string[]', required: true, minItems: 1, maxItems: 4 };

const models: ModelSpec[] = [
  {
    id: 'fal-ai/flux-1/dev',
    family: 'flux-1',
    imageInput: 'none',
    defaultSteps: 28,
    fields: { prompt, image_size: imageSize, guidance_scale: guidance, num_inference_steps: devSteps, ...flux1Common },
  },
  {
    id: 'fal-ai/flux-1/dev/image-to-image',
    family: 'flux-1',
    imageInput: 'image_url',
    defaultSteps: 40,
    fields: {
      prompt,
      image_url: imageUrl,
      strength: { kind: 'number', min: 0.01, max: 1 },
      guidance_scale: guidance,
      num_inference_steps: devSteps,
      ...flux1Common,
    },
  },
  {
    id: 'fal-ai/flux-1/dev/redux',
    family: 'flux-1',
    imageInput: 'image_url',
    defaultSteps: 28,
    fields: { image_url: imageUrl, image_size: imageSize, guidance_scale: guidance, num_inference_steps: devSteps, ...flux1Common },
  },
  {
    id: 'fal-ai/flux-1/schnell',
    family: 'flux-1',
    imageInput: 'none',
    defaultSteps: 4,
    fields: { prompt, image_size: imageSize, guidance_scale: guidance, num_inference_steps: schnellSteps, ...flux1Common },
  },
  {
    id: 'fal-ai/flux-1/schnell/redux',
    family: 'flux-1',
    imageInput: 'image_url',
    defaultSteps: 4,
    fields: { image_url: imageUrl, image_size: imageSize, num_inference_steps: schnellSteps, ...flux1Common },
  },
  { id: 'fal-ai/flux-pro/kontext', family: 'kontext', imageInput: 'image_url', fields: { ...kontextCommon, image_url: imageUrl } },
  { id: 'fal-ai/flux-pro/kontext/max', family: 'kontext', imageInput: 'image_url', fields: { ...kontextCommon, image_url: imageUrl } },
  { id: 'fal-ai/flux-pro/kontext/multi', family: 'kontext', imageInput: 'image_urls', fields: { ...kontextCommon, image_urls: imageUrls } },
  { id: 'fal-ai/flux-pro/kontext/max/multi', family: 'kontext', imageInput: 'image_urls', fields: { ...kontextCommon, image_urls: imageUrls } },
  { id: 'fal-ai/flux-pro/kontext/text-to-image', family: 'kontext', imageInput: 'none', fields: { ...kontextCommon } },
  { id: 'fal-ai/flux-pro/kontext/max/text-to-image', family: 'kontext', imageInput: 'none', fields: { ...kontextCommon } },
];

export const FAL_MODELS = new Map(models.map((m) => [m.id, m]));

/** One entry of a FastAPI/pydantic 422 `detail` list. */
export interface ValidationIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

function checkField(name: string, spec: FieldSpec, value: unknown): ValidationIssue[] {
  const loc = ['body', name];
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? [] : [{ type: 'string_type', loc, msg: 'Input should be a valid string', input: value }];
    case 'string[]': {
      if (!Array.isArray(value)) return [{ type: 'list_type', loc, msg: 'Input should be a valid list', input: value }];
      const issues: ValidationIssue[] = value.flatMap((item, i) =>
        typeof item === 'string' ? [] : [{ type: 'string_type', loc: [...loc, i], msg: 'Input should be a valid string', input: item }],
      );
      if (value.length < spec.minItems) {
        issues.push({ type: 'too_short', loc, msg: `List should have at least ${spec.minItems} item after validation, not ${value.length}`, input: value });
      }
      if (value.length > spec.maxItems) {
        issues.push({ type: 'too_long', loc, msg: `List should have at most ${spec.maxItems} items after validation, not ${value.length}`, input: value });
      }
      return issues;
    }
    case 'number':
    case 'integer': {
      if (spec.kind === 'integer' ? !isInteger(value) : typeof value !== 'number' || !Number.isFinite(value)) {
        return [
          spec.kind === 'integer'
            ? { type: 'int_type', loc, msg: 'Input should be a valid integer', input: value }
            : { type: 'float_type', loc, msg: 'Input should be a valid number', input: value },
        ];
      }
      const n = value as number;
      if (n < spec.min) return [{ type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${spec.min}`, input: n, ctx: { ge: spec.min } }];
      if (n > spec.max) return [{ type: 'less_than_equal', loc, msg: `Input should be less than or equal to ${spec.max}`, input: n, ctx: { le: spec.max } }];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [{ type: 'bool_type', loc, msg: 'Input should be a valid boolean', input: value }];
    case 'literal': {
      if (typeof value === 'string' && spec.values.includes(value)) return [];
      const expected = spec.values.map((v) => `'${v}'`);
      const list = expected.length > 1 ? `${expected.slice(0, -1).join(', ')} or ${expected.at(-1)}` : expected[0];
      return [{ type: 'literal_error', loc, msg: `Input should be ${list}`, input: value, ctx: { expected: list } }];
    }
    case 'image_size': {
      if (typeof value === 'string') return checkField(name, { kind: 'literal', values: Object.keys(IMAGE_SIZE_PRESETS) }, value);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return [{ type: 'model_type', loc, msg: 'Input should be a valid dictionary or instance of ImageSize', input: value }];
      }
      const size = value as Record<string, unknown>;
      const issues: ValidationIssue[] = [];
      for (const dim of ['width', 'height']) {
        if (size[dim] === undefined) issues.push({ type: 'missing', loc: [...loc, dim], msg: 'Field required', input: value });
        else if (!isInteger(size[dim])) issues.push({ type: 'int_type', loc: [...loc, dim], msg: 'Input should be a valid integer', input: size[dim] });
        else if ((size[dim] as number) < 1 || (size[dim] as number) > 14142) {
          issues.push({ type: 'less_than_equal', loc: [...loc, dim], msg: 'Input should be between 1 and 14142', input: size[dim] });
        }
      }
      for (const key of Object.keys(size)) {
        if (key !== 'width' && key !== 'height') issues.push({ type: 'extra_forbidden', loc: [...loc, key], msg: 'Extra inputs are not permitted', input: size[key] });
      }
      return issues;
    }
  }
}

/** Validates a request body against a model, as fal's FastAPI endpoints do. */
export function validateInput(model: ModelSpec, body: unknown): ValidationIssue[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }];
  }
  const input = body as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const [name, spec] of Object.entries(model.fields)) {
    if (input[name] === undefined || input[name] === null) {
      if ('required' in spec && spec.required) issues.push({ type: 'missing', loc: ['body', name], msg: 'Field required', input });
      continue;
    }
    issues.push(...checkField(name, spec, input[name]));
  }
  for (const name of Object.keys(input)) {
    if (!(name in model.fields)) issues.push({ type: 'extra_forbidden', loc: ['body', name], msg: 'Extra inputs are not permitted', input: input[name] });
  }
  return issues;
}

/** Output size for a request: image_size (flux-1), aspect_ratio (Kontext), or the input image's. */
export function outputSize(model: ModelSpec, input: Record<string, unknown>, inputImage?: { width: number; height: number }): { width: number; height: number } {
  let width: number;
  let height: number;
  if (model.family === 'flux-1' && input.image_size !== undefined) {
    [width, height] = typeof input.image_size === 'string' ? IMAGE_SIZE_PRESETS[input.image_size] : [(input.image_size as { width: number }).width, (input.image_size as { height: number }).height];
  } else if (model.family === 'kontext' && typeof input.aspect_ratio === 'string') {
    const [w, h] = input.aspect_ratio.split(':').map(Number);
    [width, height] = w >= h ? [1024, (1024 * h) / w] : [(1024 * w) / h, 1024];
  } else if (inputImage) {
    ({ width, height } = inputImage);
  } else if (model.family === 'kontext') {
    [width, height] = [1024, 1024];
  } else {
    [width, height] = IMAGE_SIZE_PRESETS.landscape_4_3;
  }
  // Long side capped at 1024 px: enough to be real, small enough to be quick.
  const scale = Math.min(1, 1024 / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
