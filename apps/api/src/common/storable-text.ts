import { say } from './language.js';

/** U+0000, which PostgreSQL cannot store in text or JSON, or half of a surrogate pair (not UTF-8). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Nesting no request of ours (nor a provider's callback) comes near; deeper bodies would overflow
 * the stack of the validation that follows.
 */
export const MAX_BODY_DEPTH = 32;

const unstorable = (field: string) =>
  say(`${field} contains a character that cannot be stored (U+0000 or an unpaired surrogate)`, '含有无法保存的字符（U+0000 或不成对的代理字符），请删除后重试');

/**
 * Keys no request of ours uses that the validation would never see: the framework strips
 * `__proto__`, `constructor` and `prototype`, and class-transformer skips a key its target already
 * has as a method (`toString`, `hasOwnProperty`, …), so such an unknown field would be ignored
 * instead of refused, and a map's entry silently dropped.
 */
function isBuiltInKey(key: string): boolean {
  return key === 'prototype' || Object.hasOwn(Object.prototype, key);
}

export interface BodyProblem {
  /** The path of the value: `prompt`, `imageUrls.1`, `imageSize.width` (`body` for the whole). */
  field: string;
  message: string;
}

/**
 * The first value in a parsed body that could not be stored (keys count too: they end up in
 * stored JSON), a key named like a built-in object property, or a value nested deeper than
 * `MAX_BODY_DEPTH`; null when there is none.
 */
export function findUnacceptableValue(value: unknown, path = '', depth = 0): BodyProblem | null {
  const field = path || 'body';
  if (typeof value === 'string') return UNSTORABLE.test(value) ? { field, message: unstorable(field) } : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_BODY_DEPTH) return { field, message: say(`${field} is nested too deeply (more than ${MAX_BODY_DEPTH} levels)`, `${field} 嵌套过深（超过 ${MAX_BODY_DEPTH} 层）`) };
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
  for (const [key, item] of entries) {
    const child = path ? `${path}.${key}` : key;
    if (UNSTORABLE.test(key)) return { field: child, message: unstorable(child) };
    if (!Array.isArray(value) && isBuiltInKey(key)) {
      return { field: child, message: say(`${child} is not a field this API takes (a built-in object property name)`, `${child} 不是本接口接受的字段（与对象内置属性同名）`) };
    }
    const found = findUnacceptableValue(item, child, depth + 1);
    if (found) return found;
  }
  return null;
}
