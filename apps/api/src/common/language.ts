import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/** The languages the API words its messages in; English unless the request asks for Chinese. */
export type Language = 'en' | 'zh-CN';

const current = new AsyncLocalStorage<Language>();

/**
 * The language a request asks for in `Accept-Language`: Chinese (any `zh` tag) when it ranks
 * above English, otherwise English. The web app sends the language of its UI.
 */
export function languageOf(header: string | undefined): Language {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...parameters] = part.trim().toLowerCase().split(';');
      const q = parameters.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((value) => value !== undefined);
      return { tag, q: q === undefined ? 1 : Number(q), index };
    })
    .filter(({ tag, q }) => q > 0 && (tag === 'en' || tag.startsWith('en-') || tag === 'zh' || tag.startsWith('zh-')))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.tag.startsWith('zh') ? 'zh-CN' : 'en';
}

/** Runs the rest of the request in the language it asks for. */
export function rememberLanguage(req: Request, _res: Response, next: NextFunction): void {
  current.run(languageOf(req.headers['accept-language']), next);
}

/** The current request's language (English outside a request: logs, background work). */
export function requestLanguage(): Language {
  return current.getStore() ?? 'en';
}

/** Runs `work` (and what it starts) in `language`, e.g. a task's, away from its request. */
export function inLanguage<T>(language: Language, work: () => T): T {
  return current.run(language === 'zh-CN' ? 'zh-CN' : 'en', work);
}

/** A message in the current request's language: `say('Task not found', '任务不存在')`. */
export function say(en: string, zhCN: string): string {
  return requestLanguage() === 'zh-CN' ? zhCN : en;
}
