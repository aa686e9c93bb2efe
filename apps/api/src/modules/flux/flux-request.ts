import type { FieldError } from '../../common/errors.js';
import { CUSTOM_SIZE, type FluxModel, type FluxParameter } from './flux-models.js';

export interface CheckedParameters {
  problems: FieldError[];
  /** The parameters as fal names them, for the fields that were given. */
  wire: Record<string, unknown>;
  /** The same values under our names, as they are kept with the task (e.g. safetyTolerance "2", never 2). */
  values: Record<string, unknown>;
}

const range = (spec: FluxParameter) => `from ${spec.min} to ${spec.max}`;

function checkValue(spec: FluxParameter, value: unknown): { message?: string; value?: unknown } {
  switch (spec.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min! || value > spec.max!) return { message: `${spec.name} must be a whole number ${range(spec)}` };
      return { value };
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < spec.min! || value > spec.max!) return { message: `${spec.name} must be a number ${range(spec)}` };
      return { value };
    case 'boolean':
      if (typeof value !== 'boolean') return { message: `${spec.name} must be true or false` };
      return { value };
    case 'enum': {
      // fal wants "2" for a safety tolerance, never 2 (fal.md §6); people send either.
      const text = typeof value === 'number' ? String(value) : value;
      if (typeof text !== 'string' || !spec.values!.includes(text)) return { message: `${spec.name} must be one of: ${spec.values!.join(', ')}` };
      return { value: text };
    }
    case 'imageSize': {
      if (typeof value === 'string') {
        if (!spec.values!.includes(value)) return { message: `imageSize must be one of: ${spec.values!.join(', ')}, or { width, height }` };
        return { value };
      }
      const size = value as { width?: unknown; height?: unknown } | null;
      const valid = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= CUSTOM_SIZE.min && n <= CUSTOM_SIZE.max;
      if (typeof size !== 'object' || size === null || Array.isArray(size) || Object.keys(size).some((key) => key !== 'width' && key !== 'height') || !valid(size.width) || !valid(size.height)) {
        return { message: `imageSize must be one of: ${spec.values!.join(', ')}, or { width, height } in whole pixels from ${CUSTOM_SIZE.min} to ${CUSTOM_SIZE.max}` };
      }
      return { value: { width: size.width, height: size.height } };
    }
  }
}

/**
 * Checks a request's prompt and parameters against one model: a field the model does not take, or
 * a value outside its range, is named with what is allowed. Image inputs are checked by the caller.
 */
export function checkParameters(model: FluxModel, prompt: string | undefined, parameters: Record<string, unknown>): CheckedParameters {
  const problems: FieldError[] = [];
  const wire: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  if (model.prompt === 'required') {
    if (!prompt?.trim()) problems.push({ field: 'prompt', messages: [`prompt is required for ${model.name.en}`] });
    else wire.prompt = prompt.trim();
  } else if (prompt !== undefined && prompt !== '') {
    problems.push({ field: 'prompt', messages: [`${model.name.en} takes no prompt: it makes variations of the image`] });
  }
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined || value === null) continue;
    const spec = model.parameters.find((parameter) => parameter.name === name);
    if (!spec) {
      const accepted = model.parameters.map((parameter) => parameter.name).join(', ');
      problems.push({ field: name, messages: [`${model.name.en} does not take ${name} (it takes: ${accepted})`] });
      continue;
    }
    const checked = checkValue(spec, value);
    if (checked.message) problems.push({ field: name, messages: [checked.message] });
    else wire[spec.wire] = values[name] = checked.value;
  }
  return { problems, wire, values };
}
