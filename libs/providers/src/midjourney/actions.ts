/**
 * Midjourney's buttons as our own action keys (../shared/providers/midjourney-proxy.md §3.2).
 * The proxy hands back Discord component ids (`MJ::JOB::upsample::2::<hash>`); they are sent back
 * verbatim to `/mj/submit/action`, but never shown to our clients: the API offers action keys and
 * looks the customId up in the parent task's buttons when one is chosen.
 */

export type PanDirection = 'left' | 'right' | 'up' | 'down';

export type MjActionKey =
  | `upscale:${1 | 2 | 3 | 4}`
  | `vary:${1 | 2 | 3 | 4}`
  | 'reroll'
  | 'vary:strong'
  | 'vary:subtle'
  | 'vary:region'
  | 'upscale:subtle'
  | 'upscale:creative'
  | 'zoom:1.5'
  | 'zoom:2'
  | 'zoom:custom'
  | `pan:${PanDirection}`;

/** Every action key, in the order a studio shows them. */
export const MJ_ACTION_KEYS: readonly MjActionKey[] = [
  'upscale:1',
  'upscale:2',
  'upscale:3',
  'upscale:4',
  'vary:1',
  'vary:2',
  'vary:3',
  'vary:4',
  'reroll',
  'upscale:subtle',
  'upscale:creative',
  'vary:subtle',
  'vary:strong',
  'vary:region',
  'zoom:2',
  'zoom:1.5',
  'zoom:custom',
  'pan:left',
  'pan:right',
  'pan:up',
  'pan:down',
];

const KEYS = new Set<string>(MJ_ACTION_KEYS);

export function isMjActionKey(value: unknown): value is MjActionKey {
  return typeof value === 'string' && KEYS.has(value);
}

/**
 * Actions that open a Discord form: the proxy answers code 21 with a MODAL task that must be
 * confirmed through `/mj/submit/modal` (custom zoom takes a prompt with `--zoom`, vary region a mask).
 */
export function isModalAction(key: MjActionKey): boolean {
  return key === 'zoom:custom' || key === 'vary:region';
}

/** One entry of a task's `buttons` (trueai / plus). */
export interface MjButton {
  customId: string;
  emoji?: string;
  label?: string;
  type?: number;
  style?: number;
}

/**
 * The action key of one Discord customId, or null for buttons we do not offer (bookmark, video,
 * the v5 `upsample_v5_2x/4x`, ...). Forms seen in the proxies' code:
 * `MJ::JOB::upsample::{1-4}::{hash}`, `MJ::JOB::variation::{1-4}::{hash}`,
 * `MJ::JOB::reroll::0::{hash}::SOLO`, `MJ::JOB::high_variation::1::{hash}::SOLO` (strong),
 * `MJ::JOB::low_variation::1::…` (subtle), `MJ::JOB::upsample_v6_2x_subtle::1::…` (and
 * `_creative`, any version), `MJ::Outpaint::50::1::…` (zoom out 2x), `MJ::Outpaint::75::1::…`
 * (1.5x), `MJ::CustomZoom::{hash}`, `MJ::Inpaint::1::{hash}::SOLO` (vary region),
 * `MJ::JOB::pan_left::1::{hash}::SOLO` (and right, up, down).
 */
export function actionKeyOf(customId: string): MjActionKey | null {
  const parts = customId.split('::');
  if (parts[0] !== 'MJ') return null;
  const [, kind, name, index] = parts;
  if (kind === 'CustomZoom') return parts.length >= 3 ? 'zoom:custom' : null;
  if (kind === 'Inpaint') return parts.length >= 4 ? 'vary:region' : null;
  if (kind === 'Outpaint') {
    // The number is the zoomed-out picture's share of the new frame, in percent.
    if (name === '50') return 'zoom:2';
    if (name === '75') return 'zoom:1.5';
    return null;
  }
  if (kind !== 'JOB' || parts.length < 4) return null;
  if (name === 'upsample' || name === 'variation') {
    if (!/^[1-4]$/.test(index)) return null;
    return `${name === 'upsample' ? 'upscale' : 'vary'}:${Number(index) as 1 | 2 | 3 | 4}`;
  }
  if (name === 'reroll') return 'reroll';
  if (name === 'high_variation') return 'vary:strong';
  if (name === 'low_variation') return 'vary:subtle';
  const pan = /^pan_(left|right|up|down)$/.exec(name);
  if (pan) return `pan:${pan[1] as PanDirection}`;
  const upscale = /^upsample_v\d+(?:_\d+)?_\d+x_(subtle|creative)$/.exec(name);
  if (upscale) return `upscale:${upscale[1] as 'subtle' | 'creative'}`;
  return null;
}

/** The action keys a task's buttons offer, in our display order, each once. */
export function actionKeysOf(buttons: readonly MjButton[] | null | undefined): MjActionKey[] {
  const offered = new Set<MjActionKey>();
  for (const button of buttons ?? []) {
    const key = typeof button?.customId === 'string' ? actionKeyOf(button.customId) : null;
    if (key) offered.add(key);
  }
  return MJ_ACTION_KEYS.filter((key) => offered.has(key));
}

/** The customId to send for `key`, taken from the parent task's buttons; null when it offers none. */
export function customIdFor(buttons: readonly MjButton[] | null | undefined, key: MjActionKey): string | null {
  for (const button of buttons ?? []) {
    if (typeof button?.customId === 'string' && actionKeyOf(button.customId) === key) return button.customId;
  }
  return null;
}

/**
 * The novicezk open-source edition has no buttons: upscale, vary and reroll of a grid go through
 * `/mj/submit/change` `{ taskId, action, index }`. Null for the keys it cannot do.
 */
export function legacyChangeOf(key: MjActionKey): { action: 'UPSCALE' | 'VARIATION' | 'REROLL'; index?: number } | null {
  if (key === 'reroll') return { action: 'REROLL' };
  const match = /^(upscale|vary):([1-4])$/.exec(key);
  if (!match) return null;
  return { action: match[1] === 'upscale' ? 'UPSCALE' : 'VARIATION', index: Number(match[2]) };
}
