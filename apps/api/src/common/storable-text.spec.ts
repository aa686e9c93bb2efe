import { findUnacceptableValue, MAX_BODY_DEPTH } from './storable-text.js';

const findUnstorableText = (value: unknown) => findUnacceptableValue(value)?.field ?? null;

describe('findUnacceptableValue', () => {
  it('accepts ordinary text, emoji (surrogate pairs), numbers and nesting', () => {
    expect(findUnstorableText({ prompt: '一只狐狸 🦊 in snow', n: 2, ok: true, list: ['a', { b: 'c' }], none: null })).toBeNull();
    expect(findUnstorableText(undefined)).toBeNull();
  });

  it('names the field holding U+0000, at any depth', () => {
    expect(findUnstorableText({ prompt: 'fox \u0000 nul' })).toBe('prompt');
    expect(findUnstorableText({ imageUrls: ['https://a.example/x.png', 'https://a.example/\u0000.png'] })).toBe('imageUrls.1');
    expect(findUnstorableText({ imageSize: { label: 'x\u0000' } })).toBe('imageSize.label');
    expect(findUnstorableText('\u0000')).toBe('body');
  });

  it('names unpaired surrogates and bad keys', () => {
    expect(findUnstorableText({ prompt: 'a\ud800' })).toBe('prompt');
    expect(findUnstorableText({ prompt: '\udc00b' })).toBe('prompt');
    expect(findUnstorableText({ prompt: '\udfff\ud800' })).toBe('prompt');
    expect(findUnstorableText({ input: { 'k\u0000': 1 } })).toBe('input.k\u0000');
  });

  it('names keys the validation would never see: built-in object property names, at any depth', () => {
    expect(findUnstorableText(JSON.parse('{"__proto__":{"admin":true}}'))).toBe('__proto__');
    expect(findUnstorableText({ map: { constructor: 'x' } })).toBe('map.constructor');
    expect(findUnstorableText({ list: [{ toString: 'x' }] })).toBe('list.0.toString');
    expect(findUnstorableText({ prototype: 1 })).toBe('prototype');
    expect(findUnstorableText({ constructorName: 'x', valueOfThing: 1, tostring: 2 })).toBeNull();
  });

  it('names a value nested deeper than the limit, and accepts the limit itself', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 'x' : [nest(levels - 1)]);
    expect(findUnacceptableValue({ a: nest(MAX_BODY_DEPTH - 1) })).toBeNull();
    const deep = findUnacceptableValue({ prompt: nest(5000) });
    expect(deep).toEqual({ field: `prompt${'.0'.repeat(MAX_BODY_DEPTH - 1)}`, message: expect.stringMatching(/is nested too deeply \(more than 32 levels\)$/) });
  });
});
