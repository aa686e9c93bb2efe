import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { createRequire } from 'node:module';

/** What this file reads of class-validator's record of one rule. */
interface ValidationMetadata {
  name?: string;
  propertyName: string;
  constraints: unknown[];
  each: boolean;
}

// class-transformer's own registry of @Transform (the instance its main entry uses; it has no typed export).
const { defaultMetadataStorage } = createRequire(import.meta.url)('class-transformer/cjs/storage.js') as {
  defaultMetadataStorage: { findTransformMetadatas(target: Function, property: string, type: number): unknown[] | undefined };
};

/**
 * The document Nest derives from the decorators is finished here, in one place, so that it says
 * what the server does rather than what each DTO author remembered to write:
 *
 * - every rule class-validator enforces on a request (integers, minimum/maximum, lengths, patterns,
 *   array sizes) is copied from class-validator's own metadata into the request schemas and query
 *   parameters, so a rule cannot be enforced without being documented;
 * - request bodies say `additionalProperties: false` (the validation pipe refuses unknown fields);
 * - `nullable` beside a lone `$ref` (which OAS 3.0 tools ignore) becomes the referenced enum inlined
 *   with `null` among its values, the form OAS 3.0.3 prescribes;
 * - the statuses every route can answer by its guards and inputs (400, 401, 403, 500) are listed
 *   with the one error schema, public routes declare `security: []`, and the document gets
 *   `servers`, top-level `tags` and a license.
 *
 * Both the served document (/api/docs/openapi.json) and the committed one (npm run openapi) pass
 * through here; the API tests validate every response against it.
 */
export function finishOpenApiDocument(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  const classes = validatedClasses();
  // Request body schemas (and the schemas they nest) get the rules their class validates.
  const requestSchemas = new Set<string>();
  for (const operation of operations(document)) {
    const body = operation.requestBody as { content?: Record<string, { schema?: SchemaObject | ReferenceObject }> } | undefined;
    for (const media of Object.values(body?.content ?? {})) collectRefs(media.schema, schemas, requestSchemas);
  }
  for (const name of requestSchemas) {
    const schema = schemas[name];
    const cls = classes.get(name);
    if (cls) applyValidationRules(schema, cls);
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  }
  for (const { operation, cls } of queryClasses(app, document)) {
    for (const parameter of (operation.parameters ?? []) as ParameterObject[]) {
      if (parameter.in !== 'query' || !parameter.schema) continue;
      applyPropertyRules(parameter.schema as SchemaObject, rulesOf(cls, parameter.name), transformed(cls, parameter.name));
    }
  }
  inlineNullableRefs(document, schemas);
  addCommonResponses(document);
  document.servers = [{ url: '/', description: 'This Atelier server (every path starts with /api)' }];
  // The repository has no licence of its own yet: npm's word for "not licensed for use by others".
  document.info.license = { name: 'UNLICENSED' };
  document.tags = [...new Set(operations(document).flatMap((operation) => operation.tags ?? []))]
    .sort()
    .map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name }));
  return document;
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  'Account bindings': 'Binding and unbinding a phone number or an email address',
  Admin: 'Users, SMS and storage settings for admins',
  'API keys': 'Personal API keys for scripts and integrations',
  Authentication: 'Sign-up and sign-in by email and password, or phone and SMS code',
  Credits: 'Balances, the ledger and model prices',
  Files: 'Uploads and stored media files',
  Flux: 'FLUX image generation on fal.ai',
  Health: 'Liveness of the server and its database',
  History: 'My generations across every provider',
  System: 'What this server is and offers',
  Tasks: 'Generation tasks, their live events and provider callbacks',
  Users: 'My account',
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

function operations(document: OpenAPIObject): OperationObject[] {
  return Object.values(document.paths).flatMap((item) =>
    METHODS.map((method) => (item as Record<string, OperationObject | undefined>)[method]).filter((o): o is OperationObject => !!o),
  );
}

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

function collectRefs(schema: unknown, schemas: Record<string, SchemaObject>, into: Set<string>): void {
  if (!schema || typeof schema !== 'object') return;
  const ref = (schema as ReferenceObject).$ref;
  if (typeof ref === 'string') {
    const name = refName(ref);
    if (into.has(name)) return;
    into.add(name);
    collectRefs(schemas[name], schemas, into);
    return;
  }
  for (const value of Object.values(schema)) collectRefs(value, schemas, into);
}

/** Every class that class-validator knows, by name (Nest names a DTO's schema after its class). */
function validatedClasses(): Map<string, Function> {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Function | string, ValidationMetadata[]> };
  const classes = new Map<string, Function>();
  for (const target of storage.validationMetadatas.keys()) if (typeof target === 'function') classes.set(target.name, target);
  return classes;
}

function rulesOf(cls: Function, property: string): ValidationMetadata[] {
  // Inherited rules (PickType, extends) included, as the validation pipe applies them.
  return (getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false) as unknown as ValidationMetadata[]).filter((rule) => rule.propertyName === property);
}

/** A value reshaped before validation (trimmed, a phone number normalised): its pattern is checked on the result, not on what is sent. */
function transformed(cls: Function, property: string): boolean {
  return (defaultMetadataStorage.findTransformMetadatas(cls, property, 1 /* PLAIN_TO_CLASS */) ?? []).length > 0;
}

function applyValidationRules(schema: SchemaObject, cls: Function): void {
  for (const [property, propertySchema] of Object.entries(schema.properties ?? {})) {
    if ('$ref' in propertySchema) continue;
    applyPropertyRules(propertySchema, rulesOf(cls, property), transformed(cls, property));
  }
}

function applyPropertyRules(schema: SchemaObject, rules: ValidationMetadata[], isTransformed: boolean): void {
  for (const rule of rules) {
    const target = rule.each && schema.type === 'array' && schema.items && !('$ref' in schema.items) ? (schema.items as SchemaObject) : schema;
    const [first, second] = (rule.constraints ?? []) as [any, any];
    switch (rule.name) {
      case 'isInt':
        if (target.type === 'number' || target.type === undefined) target.type = 'integer';
        break;
      case 'min':
        target.minimum ??= first;
        break;
      case 'max':
        target.maximum ??= first;
        break;
      case 'minLength':
        target.minLength ??= first;
        break;
      case 'maxLength':
        target.maxLength ??= first;
        break;
      case 'isLength':
        if (first !== undefined) target.minLength ??= first;
        if (second !== undefined) target.maxLength ??= second;
        break;
      case 'isNotEmpty':
        if (target.type === 'string') target.minLength ??= 1;
        break;
      case 'arrayMinSize':
        schema.minItems ??= first;
        break;
      case 'arrayMaxSize':
        schema.maxItems ??= first;
        break;
      case 'matches':
        // Only patterns that mean the same in ECMA-262 without flags, on the value as sent.
        if (first instanceof RegExp && /^u?$/.test(first.flags) && !isTransformed) target.pattern ??= first.source;
        break;
    }
  }
}

/** The @Query() DTO of each route, found by its operationId (the method's name). */
function queryClasses(app: INestApplication, document: OpenAPIObject): Array<{ operation: OperationObject; cls: Function }> {
  const byId = new Map(operations(document).map((operation) => [operation.operationId, operation]));
  const found: Array<{ operation: OperationObject; cls: Function }> = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | null;
      if (!controller?.prototype) continue;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        const operation = byId.get(method);
        if (!operation) continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number; data?: unknown }>;
        const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as Function[];
        for (const [key, arg] of Object.entries(args)) {
          if (Number(key.split(':')[0]) === RouteParamtypes.QUERY && arg.data === undefined && types[arg.index]) {
            found.push({ operation, cls: types[arg.index] });
          }
        }
      }
    }
  }
  return found;
}

/**
 * `{ nullable, allOf: [{ $ref: Enum }] }` → the enum inlined with null among its values (an object
 * reference: its schema copied in); and a
 * nullable enum lists null itself (OAS 3.0.3: `nullable` does not widen an `enum`).
 */
function inlineNullableRefs(node: unknown, schemas: Record<string, SchemaObject>): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as SchemaObject;
  if (schema.nullable && schema.enum && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
  if (schema.nullable && (!schema.type || schema.type === 'object') && schema.allOf?.length === 1 && '$ref' in schema.allOf[0]) {
    const target = schemas[refName((schema.allOf[0] as ReferenceObject).$ref)];
    if (target?.enum) {
      delete schema.allOf;
      Object.assign(schema, { type: target.type, enum: [...target.enum, null] });
    } else if (target?.type === 'object') {
      // An object that may be null: its schema copied in beside `nullable`, the one form OAS 3.0
      // validators honour (an `allOf` member would still have to match null).
      delete schema.allOf;
      Object.assign(schema, structuredClone({ ...target, ...schema, nullable: true }));
    } else {
      throw new Error(`A nullable reference to ${JSON.stringify(schema.allOf[0])} has no OAS 3.0 form here: add one`);
    }
  }
  for (const value of Object.values(node)) inlineNullableRefs(value, schemas);
}

const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponseDto' };

function errorResponse(description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: ERROR_SCHEMA } } };
}

/** The statuses a route answers by the way it is built, whatever it does. */
function addCommonResponses(document: OpenAPIObject): void {
  for (const operation of operations(document)) {
    const responses = operation.responses as Record<string, ResponseObject>;
    const add = (status: string, description: string) => {
      responses[status] ??= errorResponse(description);
    };
    const security = operation.security ?? [];
    const hasInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
    if (hasInput) add('400', 'A field is missing, malformed, out of range or unknown (`details` names it)');
    if (security.length > 0) add('401', 'Missing, invalid or expired token or API key');
    if (operation.requestBody) {
      add('413', 'The request body is too large');
      add('415', 'The body is not JSON (or multipart/form-data for uploads)');
    }
    add('500', 'Internal server error');
    if (security.length === 0) operation.security = [];
  }
}
