import { languageOf } from './language.js';

describe('languageOf', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['zh-TW', 'zh-CN'],
    ['fr-FR,zh;q=0.5', 'zh-CN'],
    ['fr-FR', 'en'],
    ['en;q=0.4, zh;q=0.6', 'zh-CN'],
    ['zh;q=0, en', 'en'],
  ])('reads %p as %s', (header, expected) => {
    expect(languageOf(header)).toBe(expected);
  });
});
