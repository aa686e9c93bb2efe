/**
 * The Discord component ids the proxy puts in `buttons` (midjourney-proxy.md §3.2), as the
 * stand-in makes them and reads them back. Deliberately not shared with libs/providers: the
 * sandbox plays the other side of the wire, so a mistake in our client cannot hide in both.
 */

export interface Button {
  customId: string;
  emoji: string;
  label: string;
  type: 2;
  style: 1 | 2;
}

const button = (customId: string, label: string, emoji = '', style: 1 | 2 = 2): Button => ({ customId, emoji, label, type: 2, style });

/** A four-picture grid's buttons: U1..U4, reroll, V1..V4 (rows as Discord shows them). */
export function gridButtons(hash: string): Button[] {
  return [
    ...[1, 2, 3, 4].map((i) => button(`MJ::JOB::upsample::${i}::${hash}`, `U${i}`)),
    button(`MJ::JOB::reroll::0::${hash}::SOLO`, '', '🔄'),
    ...[1, 2, 3, 4].map((i) => button(`MJ::JOB::variation::${i}::${hash}`, `V${i}`)),
  ];
}

/** An upscaled picture's buttons (v6): upscale subtle/creative, vary, zoom, pan, bookmark. */
export function upscaleButtons(hash: string): Button[] {
  return [
    button(`MJ::JOB::upsample_v6_2x_subtle::1::${hash}::SOLO`, 'Upscale (Subtle)', '🪄'),
    button(`MJ::JOB::upsample_v6_2x_creative::1::${hash}::SOLO`, 'Upscale (Creative)', '🪄'),
    button(`MJ::JOB::low_variation::1::${hash}::SOLO`, 'Vary (Subtle)', '🪄'),
    button(`MJ::JOB::high_variation::1::${hash}::SOLO`, 'Vary (Strong)', '🪄'),
    button(`MJ::Inpaint::1::${hash}::SOLO`, 'Vary (Region)', '🖌️'),
    button(`MJ::Outpaint::50::1::${hash}::SOLO`, 'Zoom Out 2x', '🔍'),
    button(`MJ::Outpaint::75::1::${hash}::SOLO`, 'Zoom Out 1.5x', '🔍'),
    button(`MJ::CustomZoom::${hash}`, 'Custom Zoom', '🔍'),
    button(`MJ::JOB::pan_left::1::${hash}::SOLO`, '', '⬅️'),
    button(`MJ::JOB::pan_right::1::${hash}::SOLO`, '', '➡️'),
    button(`MJ::JOB::pan_up::1::${hash}::SOLO`, '', '⬆️'),
    button(`MJ::JOB::pan_down::1::${hash}::SOLO`, '', '⬇️'),
    button(`MJ::BOOKMARK::${hash}`, '', '❤️'),
  ];
}

/** The buttons left on an upscale (subtle/creative) result: vary and bookmark. */
export function upscaleHdButtons(hash: string): Button[] {
  return [
    button(`MJ::JOB::low_variation::1::${hash}::SOLO`, 'Vary (Subtle)', '🪄'),
    button(`MJ::JOB::high_variation::1::${hash}::SOLO`, 'Vary (Strong)', '🪄'),
    button(`MJ::BOOKMARK::${hash}`, '', '❤️'),
  ];
}

/** What a pressed button asks for. */
export type Press =
  | { kind: 'upscale'; index: number }
  | { kind: 'variation'; index: number; strength?: 'subtle' | 'strong' }
  | { kind: 'reroll' }
  | { kind: 'upscale_hd'; mode: 'subtle' | 'creative' }
  | { kind: 'zoom'; factor: number }
  | { kind: 'custom_zoom' }
  | { kind: 'inpaint' }
  | { kind: 'pan'; direction: 'left' | 'right' | 'up' | 'down' }
  | { kind: 'bookmark' };

export function readCustomId(customId: string): Press | null {
  const p = customId.split('::');
  if (p[0] !== 'MJ') return null;
  if (p[1] === 'CustomZoom') return { kind: 'custom_zoom' };
  if (p[1] === 'Inpaint') return { kind: 'inpaint' };
  if (p[1] === 'BOOKMARK') return { kind: 'bookmark' };
  if (p[1] === 'Outpaint') return p[2] === '50' ? { kind: 'zoom', factor: 2 } : p[2] === '75' ? { kind: 'zoom', factor: 1.5 } : null;
  if (p[1] !== 'JOB') return null;
  const index = Number(p[3]);
  switch (p[2]) {
    case 'upsample':
      return { kind: 'upscale', index };
    case 'variation':
      return { kind: 'variation', index };
    case 'reroll':
      return { kind: 'reroll' };
    case 'low_variation':
      return { kind: 'variation', index: 1, strength: 'subtle' };
    case 'high_variation':
      return { kind: 'variation', index: 1, strength: 'strong' };
    case 'upsample_v6_2x_subtle':
      return { kind: 'upscale_hd', mode: 'subtle' };
    case 'upsample_v6_2x_creative':
      return { kind: 'upscale_hd', mode: 'creative' };
    case 'pan_left':
    case 'pan_right':
    case 'pan_up':
    case 'pan_down':
      return { kind: 'pan', direction: p[2].slice(4) as 'left' };
    default:
      return null;
  }
}
