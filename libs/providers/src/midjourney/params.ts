/**
 * Imagine parameters as Midjourney `--flags` appended to the prompt. A flag the prompt already
 * carries (in any of its spellings) wins: the user typed it on purpose, and Midjourney refuses a
 * prompt that names the same parameter twice.
 */

export interface MjImagineParams {
  /** `--ar W:H`, whole numbers. */
  aspectRatio?: string;
  /** `--v 6.1`, `--v 7` ... (1 to 8, not together with `niji`). */
  version?: string;
  /** `--stylize` 0..1000. */
  stylize?: number;
  /** `--chaos` 0..100. */
  chaos?: number;
  /** `--weird` 0..3000. */
  weird?: number;
  /** `--quality` .25, .5, 1, 2 or 4. */
  quality?: number;
  /** `--seed` 0..4294967295. */
  seed?: number;
  /** `--no a, b`: what to leave out. */
  no?: string;
  /** `--style raw`. */
  raw?: boolean;
  /** `--tile`. */
  tile?: boolean;
  /** `--niji` (true) or `--niji 6`: the anime model, instead of `--v`. */
  niji?: boolean | string;
}

export type MjParamName = keyof MjImagineParams;

export type MjPromptResult =
  | { ok: true; prompt: string }
  /** `field` is the parameter's name in MjImagineParams, `flag` its Midjourney spelling. */
  | { ok: false; field: MjParamName; flag: string; message: string };

/** The spellings of each parameter Midjourney accepts, so a typed flag is recognised in any form. */
const SPELLINGS: Record<MjParamName, string[]> = {
  aspectRatio: ['ar', 'aspect'],
  version: ['v', 'version', 'niji'],
  niji: ['niji', 'v', 'version'],
  stylize: ['s', 'stylize'],
  chaos: ['c', 'chaos'],
  weird: ['w', 'weird'],
  quality: ['q', 'quality'],
  seed: ['seed', 'sameseed'],
  no: ['no'],
  raw: ['style'],
  tile: ['tile'],
};

const QUALITIES = [0.25, 0.5, 1, 2, 4];
// Lenient on purpose about versions still to come: Midjourney itself refuses one it lacks.
const VERSION = /^[1-8](?:\.\d)?$/;
const NIJI_VERSION = /^[4-7]$/;

/** Whether the prompt already has `--name` (as a whole word) for one of the spellings. */
export function promptHasFlag(prompt: string, spellings: readonly string[]): boolean {
  return spellings.some((name) => new RegExp(`(?:^|\\s)--${name}(?=\\s|$)`, 'i').test(prompt));
}

function wholeIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

type Check = { value: string } | { error: string };

function flagValue(field: MjParamName, value: unknown): Check | null {
  switch (field) {
    case 'aspectRatio': {
      const match = typeof value === 'string' ? /^\s*(\d{1,5})\s*:\s*(\d{1,5})\s*$/.exec(value) : null;
      if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) return { error: 'must be two whole numbers like 16:9' };
      return { value: `--ar ${Number(match[1])}:${Number(match[2])}` };
    }
    case 'version':
      if (typeof value !== 'string' || !VERSION.test(value.trim())) return { error: 'must be a model version like 6.1 or 7' };
      return { value: `--v ${value.trim()}` };
    case 'niji':
      if (value === false) return null;
      if (value === true) return { value: '--niji' };
      if (typeof value !== 'string' || !NIJI_VERSION.test(value.trim())) return { error: 'must be true or a niji version from 4 to 7' };
      return { value: `--niji ${value.trim()}` };
    case 'stylize':
      return wholeIn(value, 0, 1000) ? { value: `--stylize ${value}` } : { error: 'must be a whole number from 0 to 1000' };
    case 'chaos':
      return wholeIn(value, 0, 100) ? { value: `--chaos ${value}` } : { error: 'must be a whole number from 0 to 100' };
    case 'weird':
      return wholeIn(value, 0, 3000) ? { value: `--weird ${value}` } : { error: 'must be a whole number from 0 to 3000' };
    case 'quality':
      return typeof value === 'number' && QUALITIES.includes(value) ? { value: `--quality ${value}` } : { error: `must be one of ${QUALITIES.join(', ')}` };
    case 'seed':
      return wholeIn(value, 0, 4_294_967_295) ? { value: `--seed ${value}` } : { error: 'must be a whole number from 0 to 4294967295' };
    case 'no': {
      if (typeof value !== 'string') return { error: 'must be text' };
      // A `--` inside would start another flag.
      const words = value.replace(/\s+/g, ' ').trim();
      if (words.includes('--')) return { error: 'must not contain --' };
      return words ? { value: `--no ${words}` } : null;
    }
    case 'raw':
      if (typeof value !== 'boolean') return { error: 'must be true or false' };
      return value ? { value: '--style raw' } : null;
    case 'tile':
      if (typeof value !== 'boolean') return { error: 'must be true or false' };
      return value ? { value: '--tile' } : null;
  }
}

/** The Midjourney spelling used in messages for a parameter. */
export const MJ_FLAG_OF: Record<MjParamName, string> = {
  aspectRatio: '--ar',
  version: '--v',
  niji: '--niji',
  stylize: '--stylize',
  chaos: '--chaos',
  weird: '--weird',
  quality: '--quality',
  seed: '--seed',
  no: '--no',
  raw: '--style raw',
  tile: '--tile',
};

const ORDER: MjParamName[] = ['aspectRatio', 'version', 'niji', 'stylize', 'chaos', 'weird', 'quality', 'seed', 'no', 'raw', 'tile'];

/**
 * The prompt with the parameters appended as flags. Values are checked even when the prompt's own
 * flag wins, so a bad field is always named; `version` and `niji` together are refused (one model).
 */
export function buildImaginePrompt(prompt: string, params: MjImagineParams = {}): MjPromptResult {
  const base = prompt.trim();
  const flags: string[] = [];
  const niji = params.niji !== undefined && params.niji !== false;
  if (params.version !== undefined && niji) {
    return { ok: false, field: 'niji', flag: '--niji', message: 'cannot be used together with version' };
  }
  for (const field of ORDER) {
    const value = params[field];
    if (value === undefined || value === null) continue;
    const checked = flagValue(field, value);
    if (!checked) continue;
    if ('error' in checked) return { ok: false, field, flag: MJ_FLAG_OF[field], message: checked.error };
    if (!promptHasFlag(base, SPELLINGS[field])) flags.push(checked.value);
  }
  return { ok: true, prompt: [base, ...flags].join(' ') };
}
