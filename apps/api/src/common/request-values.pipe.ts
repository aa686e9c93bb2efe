import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import { fieldError } from './errors.js';
import { say } from './language.js';
import { findUnacceptableValue } from './storable-text.js';

/**
 * Checks a route's body, query and path values before class-validator sees them:
 *
 * - text PostgreSQL cannot store (U+0000, unpaired surrogates) or absurd nesting is refused with a
 *   400 naming the field, before any of it is half-written (the statement would fail) or overflows
 *   the validation's stack;
 * - `null` for a body field the document does not declare `nullable` is refused with a 400 naming
 *   the field (class-validator's @IsOptional would otherwise take it for "left out").
 *
 * A global pipe rather than middleware, so it runs after the guards: a caller who may not use a
 * route hears 401/403, not what was wrong with a body the route would never read.
 */
@Injectable()
export class RequestValuesPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const problem = findUnacceptableValue(value, metadata.data ?? '');
    if (problem) throw fieldError(problem.field, problem.message);
    if (metadata.type === 'body' && metadata.metatype) {
      const field = findForbiddenNull(value, metadata.metatype, metadata.data ?? '');
      if (field) throw fieldError(field, say(`${field} must not be null (leave out an optional field instead)`, `${field} 不能为 null（可选字段不需要时请省略）`));
    }
    return value;
  }
}

type SwaggerProperty = { nullable?: boolean; type?: unknown; required?: boolean };

/** The class a swagger `type` option names (`Cls`, `[Cls]`, `() => Cls`, `() => [Cls]`), if any. */
function classOf(type: unknown): Function | null {
  let candidate = Array.isArray(type) ? type[0] : type;
  // A lazy `() => Cls` is an arrow function: it has no prototype.
  if (typeof candidate === 'function' && !candidate.prototype) candidate = (candidate as () => unknown)();
  if (Array.isArray(candidate)) candidate = candidate[0];
  return typeof candidate === 'function' && Reflect.hasMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, candidate.prototype) ? candidate : null;
}

/** The path of the first `null` sent for a property that its DTO does not declare nullable. */
export function findForbiddenNull(value: unknown, cls: Function, path = ''): string | null {
  if (typeof value !== 'object' || value === null || !cls.prototype) return null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findForbiddenNull(item, cls, path ? `${path}.${index}` : String(index));
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const property = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, cls.prototype, key) as SwaggerProperty | undefined;
    if (!property) continue; // unknown fields are the validation pipe's to refuse
    const field = path ? `${path}.${key}` : key;
    if (item === null) {
      if (!property.nullable) return field;
      continue;
    }
    const nested = classOf(property.type);
    if (nested) {
      const found = findForbiddenNull(item, nested, field);
      if (found) return found;
    }
  }
  return null;
}
