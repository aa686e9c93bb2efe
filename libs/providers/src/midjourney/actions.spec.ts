import { actionKeyOf, actionKeysOf, customIdFor, isModalAction, legacyChangeOf, MJ_ACTION_KEYS, type MjActionKey } from './actions.js';

const HASH = '3dbbd469-36af-4a0f-8f02-df6c579e7011';

describe('Midjourney buttons and action keys', () => {
  it.each<[string, MjActionKey | null]>([
    [`MJ::JOB::upsample::1::${HASH}`, 'upscale:1'],
    [`MJ::JOB::upsample::4::${HASH}`, 'upscale:4'],
    [`MJ::JOB::variation::2::${HASH}`, 'vary:2'],
    [`MJ::JOB::reroll::0::${HASH}::SOLO`, 'reroll'],
    [`MJ::JOB::high_variation::1::${HASH}::SOLO`, 'vary:strong'],
    [`MJ::JOB::low_variation::1::${HASH}::SOLO`, 'vary:subtle'],
    [`MJ::JOB::upsample_v6_2x_subtle::1::${HASH}::SOLO`, 'upscale:subtle'],
    [`MJ::JOB::upsample_v6_2x_creative::1::${HASH}::SOLO`, 'upscale:creative'],
    [`MJ::JOB::upsample_v7_2x_subtle::1::${HASH}::SOLO`, 'upscale:subtle'],
    [`MJ::Outpaint::50::1::${HASH}::SOLO`, 'zoom:2'],
    [`MJ::Outpaint::75::1::${HASH}::SOLO`, 'zoom:1.5'],
    [`MJ::CustomZoom::${HASH}`, 'zoom:custom'],
    [`MJ::Inpaint::1::${HASH}::SOLO`, 'vary:region'],
    [`MJ::JOB::pan_left::1::${HASH}::SOLO`, 'pan:left'],
    [`MJ::JOB::pan_right::1::${HASH}::SOLO`, 'pan:right'],
    [`MJ::JOB::pan_up::1::${HASH}::SOLO`, 'pan:up'],
    [`MJ::JOB::pan_down::1::${HASH}::SOLO`, 'pan:down'],
    // Buttons we do not offer.
    [`MJ::JOB::upsample_v5_2x::1::${HASH}::SOLO`, null],
    [`MJ::JOB::animate_high::1::${HASH}::SOLO`, null],
    [`MJ::BOOKMARK::${HASH}`, null],
    [`MJ::JOB::upsample::5::${HASH}`, null],
    [`MJ::Outpaint::60::1::${HASH}::SOLO`, null],
    ['not a custom id', null],
  ])('%s → %s', (customId, key) => {
    expect(actionKeyOf(customId)).toBe(key);
  });

  const grid = [
    { customId: `MJ::JOB::upsample::1::${HASH}`, label: 'U1', type: 2, style: 2 },
    { customId: `MJ::JOB::upsample::2::${HASH}`, label: 'U2', type: 2, style: 2 },
    { customId: `MJ::JOB::reroll::0::${HASH}::SOLO`, emoji: '🔄', type: 2, style: 2 },
    { customId: `MJ::JOB::variation::2::${HASH}`, label: 'V2', type: 2, style: 2 },
    { customId: `MJ::BOOKMARK::${HASH}`, emoji: '❤️', type: 2, style: 2 },
  ];

  it('lists the offered keys in display order, each once, and finds the customId back', () => {
    expect(actionKeysOf(grid)).toEqual(['upscale:1', 'upscale:2', 'vary:2', 'reroll']);
    expect(actionKeysOf([...grid, ...grid])).toHaveLength(4);
    expect(actionKeysOf(null)).toEqual([]);
    expect(customIdFor(grid, 'upscale:2')).toBe(`MJ::JOB::upsample::2::${HASH}`);
    expect(customIdFor(grid, 'reroll')).toBe(`MJ::JOB::reroll::0::${HASH}::SOLO`);
    expect(customIdFor(grid, 'upscale:3')).toBeNull();
    expect(customIdFor(undefined, 'upscale:1')).toBeNull();
  });

  it('round-trips every key through a customId of its form', () => {
    const forms: Record<MjActionKey, string> = Object.fromEntries(
      MJ_ACTION_KEYS.map((key) => {
        const [kind, arg] = key.split(':');
        const id =
          kind === 'upscale' && /\d/.test(arg) ? `MJ::JOB::upsample::${arg}::${HASH}`
          : kind === 'vary' && /\d/.test(arg) ? `MJ::JOB::variation::${arg}::${HASH}`
          : key === 'reroll' ? `MJ::JOB::reroll::0::${HASH}::SOLO`
          : key === 'vary:strong' ? `MJ::JOB::high_variation::1::${HASH}::SOLO`
          : key === 'vary:subtle' ? `MJ::JOB::low_variation::1::${HASH}::SOLO`
          : key === 'vary:region' ? `MJ::Inpaint::1::${HASH}::SOLO`
          : kind === 'upscale' ? `MJ::JOB::upsample_v6_2x_${arg}::1::${HASH}::SOLO`
          : key === 'zoom:2' ? `MJ::Outpaint::50::1::${HASH}::SOLO`
          : key === 'zoom:1.5' ? `MJ::Outpaint::75::1::${HASH}::SOLO`
          : key === 'zoom:custom' ? `MJ::CustomZoom::${HASH}`
          : `MJ::JOB::pan_${arg}::1::${HASH}::SOLO`;
        return [key, id];
      }),
    ) as Record<MjActionKey, string>;
    const buttons = Object.values(forms).map((customId) => ({ customId }));
    expect(actionKeysOf(buttons)).toEqual(MJ_ACTION_KEYS);
    for (const key of MJ_ACTION_KEYS) expect(customIdFor(buttons, key)).toBe(forms[key]);
  });

  it('marks custom zoom and vary region as modal, nothing else', () => {
    expect(MJ_ACTION_KEYS.filter(isModalAction)).toEqual(['vary:region', 'zoom:custom']);
  });

  it('maps upscale, vary and reroll to novicezk change, and nothing else', () => {
    expect(legacyChangeOf('upscale:2')).toEqual({ action: 'UPSCALE', index: 2 });
    expect(legacyChangeOf('vary:4')).toEqual({ action: 'VARIATION', index: 4 });
    expect(legacyChangeOf('reroll')).toEqual({ action: 'REROLL' });
    expect(legacyChangeOf('zoom:2')).toBeNull();
    expect(legacyChangeOf('vary:strong')).toBeNull();
  });
});
