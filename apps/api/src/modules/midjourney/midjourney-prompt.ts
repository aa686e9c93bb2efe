/**
 * Checks the --flags a user typed into a Midjourney prompt before anything is charged: an unknown
 * flag or a value Midjourney would refuse is named in a 400, instead of a failed (refunded) job a
 * minute later. Deliberately lenient about values Midjourney itself interprets (style names,
 * style references): only ranges that are documented are enforced.
 */

type Rule = { value: 'none' } | { value: 'optional' | 'required'; check?: (text: string) => string | null };

const range = (min: number, max: number, whole = true) => (text: string) => {
  const value = Number(text);
  if (!/^-?\d+(\.\d+)?$/.test(text) || (whole && !Number.isInteger(value)) || value < min || value > max) return `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`;
  return null;
};
const oneOf = (values: number[]) => (text: string) => (values.includes(Number(text)) && /^\d*\.?\d+$/.test(text) ? null : `must be one of ${values.join(', ')}`);
const aspect = (text: string) => (/^\d{1,5}:\d{1,5}$/.test(text) && !/(^|:)0+(:|$)/.test(text) ? null : 'must be two whole numbers like 16:9');
const version = (text: string) => (/^[1-8](\.\d)?$/.test(text) ? null : 'must be a model version like 6.1 or 7');
const niji = (text: string) => (/^[4-7]$/.test(text) ? null : 'must be a niji version from 4 to 7');

const RULES: Record<string, Rule> = {
  ar: { value: 'required', check: aspect },
  aspect: { value: 'required', check: aspect },
  v: { value: 'required', check: version },
  version: { value: 'required', check: version },
  niji: { value: 'optional', check: niji },
  s: { value: 'required', check: range(0, 1000) },
  stylize: { value: 'required', check: range(0, 1000) },
  c: { value: 'required', check: range(0, 100) },
  chaos: { value: 'required', check: range(0, 100) },
  w: { value: 'required', check: range(0, 3000) },
  weird: { value: 'required', check: range(0, 3000) },
  q: { value: 'required', check: oneOf([0.25, 0.5, 1, 2, 4]) },
  quality: { value: 'required', check: oneOf([0.25, 0.5, 1, 2, 4]) },
  seed: { value: 'required', check: range(0, 4_294_967_295) },
  sameseed: { value: 'required', check: range(0, 4_294_967_295) },
  no: { value: 'required' },
  style: { value: 'required' },
  tile: { value: 'none' },
  iw: { value: 'required', check: range(0, 3, false) },
  cref: { value: 'required' },
  cw: { value: 'required', check: range(0, 100) },
  sref: { value: 'required' },
  sw: { value: 'required', check: range(0, 1000) },
  sv: { value: 'required', check: range(1, 6) },
  oref: { value: 'required' },
  ow: { value: 'required', check: range(1, 1000) },
  exp: { value: 'required', check: range(0, 100) },
  r: { value: 'required', check: range(1, 40) },
  repeat: { value: 'required', check: range(1, 40) },
  stop: { value: 'required', check: range(10, 100) },
  zoom: { value: 'required', check: range(1, 2, false) },
  p: { value: 'optional' },
  personalize: { value: 'optional' },
  profile: { value: 'required' },
  raw: { value: 'none' },
  draft: { value: 'none' },
  fast: { value: 'none' },
  relax: { value: 'none' },
  turbo: { value: 'none' },
  hd: { value: 'none' },
  video: { value: 'none' },
  test: { value: 'none' },
  testp: { value: 'none' },
  creative: { value: 'none' },
  uplight: { value: 'none' },
  upbeta: { value: 'none' },
};

export interface PromptFlagProblem {
  flag: string;
  message: string;
}

/** The first problem with the prompt's own --flags, or null when Midjourney would take them. */
export function checkPromptFlags(prompt: string): PromptFlagProblem | null {
  // Each flag runs up to the next one: `--no text, people --ar 2:3`.
  const parts = prompt.split(/(?:^|\s)--(?=[A-Za-z])/).slice(1);
  for (const part of parts) {
    const match = /^([A-Za-z]+)(?:\s+(.*))?$/s.exec(part.trim());
    if (!match) continue;
    const name = match[1].toLowerCase();
    const value = (match[2] ?? '').trim();
    const rule = RULES[name];
    if (!rule) return { flag: `--${match[1]}`, message: `--${match[1]} is not a Midjourney parameter` };
    if (rule.value === 'none') continue;
    if (!value) {
      if (rule.value === 'required') return { flag: `--${name}`, message: `--${name} needs a value` };
      continue;
    }
    // The value is its first word, except for --no, whose list runs to the next flag.
    const first = name === 'no' ? value : value.split(/\s+/)[0];
    const problem = rule.check?.(first) ?? null;
    if (problem) return { flag: `--${name}`, message: `--${name} ${problem}` };
  }
  return null;
}
