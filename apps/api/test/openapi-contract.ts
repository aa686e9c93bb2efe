import { createHash } from 'node:crypto';
import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Document, type Operation } from 'openapi-backend';
import { ValidationContext } from 'openapi-backend/validation.js';
import type { Response, Test } from 'supertest';

/**
 * Every response the API tests see is checked against the document the server serves
 * (/api/docs/openapi.json): the status must be listed for the operation, the content type must be
 * one the document gives for that status, and a JSON body must match its schema. So an
 * undocumented status, a wrong content type or a field of the wrong type fails the test that
 * provoked it, and the document cannot drift from the server.
 *
 * The checking is openapi-backend's: a maintained, framework-free OpenAPI 3 library that routes a
 * request to its operation (path templates, servers) and validates bodies with Ajv 8 after
 * resolving every $ref, honouring OAS 3.0's `nullable`; in strict mode it also refuses to start on
 * a document that is not valid OpenAPI. (openapi-response-validator and jest-openapi, the other
 * candidates, have had no release in years.) It does not check statuses or content types on its
 * own, hence the two checks of ours before its body validation.
 */

/** Paths that are not the API's: media files, the provider sandbox, the web app, the explorer itself. */
const UNDOCUMENTED = /^\/(?!api\/)|^\/api\/docs(\/|$)/;

const contracts = new Map<string, Promise<OpenAPIBackend>>();

/** One validator per distinct document (tests that change settings still serve the same one). */
export function contractFor(document: Document): Promise<OpenAPIBackend> {
  const key = createHash('sha256').update(JSON.stringify(document)).digest('hex');
  let contract = contracts.get(key);
  if (!contract) {
    // quick: $refs resolved synchronously in memory, validators compiled on first use (see
    // ref-parser-stub.cjs); the document's own validity against the OpenAPI schema is then checked
    // explicitly, and fails the first request.
    const api = new OpenAPIBackend({
      definition: structuredClone(document),
      strict: true,
      quick: true,
      // Formats too (date-time, uuid, email, uri): a date sent as something else is a wrong type.
      customizeAjv: (ajv) => addFormats.default(ajv),
    });
    contract = api.init().then((ready) => {
      ready.validateDefinition();
      return ready;
    });
    contracts.set(key, contract);
  }
  return contract;
}

const mediaType = (header: string | undefined) => (header ?? '').split(';')[0].trim().toLowerCase();

/** Why a response disagrees with the document, or null when it agrees. */
export function contractViolation(api: OpenAPIBackend, method: string, url: string, response: Response): string | null {
  const { pathname, searchParams } = new URL(url, 'http://localhost');
  if (UNDOCUMENTED.test(pathname)) return null;
  const operation = api.matchOperation({ method, path: pathname, headers: {}, query: Object.fromEntries(searchParams) }) as Operation | undefined;
  if (!operation) {
    // A route that does not exist is the one case the document cannot list: it must be a 404 in the error shape.
    if (response.status !== 404) return `the document has no operation ${method.toUpperCase()} ${pathname}, yet it answered ${response.status}`;
    const schema = (api.definition.components?.schemas as Record<string, object>).ErrorResponseDto;
    const validate = api.validator.getAjv(ValidationContext.Response).compile(schema);
    return validate(response.body) ? null : `the 404 of the unknown route ${pathname} is not an ErrorResponseDto: ${JSON.stringify(validate.errors)}`;
  }
  const status = response.status;
  const responses = operation.responses as Record<string, { content?: Record<string, unknown> }>;
  const documented = responses[status] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
  const where = `${operation.operationId} (${method.toUpperCase()} ${pathname}) answered ${status}`;
  if (!documented) return `${where}, which the document does not list (it lists ${Object.keys(responses).join(', ')})`;
  const type = mediaType(response.headers['content-type']);
  const content = documented.content;
  const hasBody = (response.text ?? '').length > 0 || (Buffer.isBuffer(response.body) && response.body.length > 0);
  if (!content) {
    if (hasBody) return `${where} with a ${type || 'typeless'} body, but the document gives that status no content`;
    return null;
  }
  if (!(type in content)) return `${where} with ${type || 'no content type'}, but the document gives ${Object.keys(content).join(', ')}`;
  if (type !== 'application/json') return null;
  const result = api.validator.validateResponse(response.body, operation, status);
  if (result.valid) return null;
  return `${where} with a body that does not match the document: ${JSON.stringify(result.errors)}\nbody: ${JSON.stringify(response.body).slice(0, 2000)}`;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/**
 * The supertest agent with the contract check added ahead of each request's own expectations.
 * The document is read from the server once, on the first request.
 */
export function contractCheckedAgent<Agent extends object>(agent: Agent, loadDocument: () => Promise<Document>): Agent {
  let contract: Promise<OpenAPIBackend> | undefined;
  const api = () => (contract ??= loadDocument().then(contractFor));
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !METHODS.has(property) || typeof value !== 'function') return value;
      return (url: string, ...rest: unknown[]): Test => {
        const test = (value as (...args: unknown[]) => Test).call(target, url, ...rest);
        if (UNDOCUMENTED.test(new URL(url, 'http://localhost').pathname)) return test;
        const end = test.end.bind(test);
        // The check needs the (asynchronously loaded) document, so it wraps end() rather than
        // being an expect(fn), which supertest runs synchronously.
        test.end = (callback?: (error: unknown, response: Response) => void) =>
          end((error: unknown, response: Response) => {
            if (!response) return callback?.(error, response);
            api().then(
              (checker) => {
                const query = queryOf(test);
                const violation = contractViolation(checker, property, query ? `${url}${url.includes('?') ? '&' : ''}${url.includes('?') ? query.slice(1) : query}` : url, response);
                if (!violation) return callback?.(error, response);
                // Not instanceof Error: supertest's errors may come from another realm under jest.
                const also = error ? `\n(and the test's own expectation failed: ${(error as Error).message ?? String(error)})` : '';
                callback?.(new Error(`OpenAPI contract: ${violation}${also}`), response);
              },
              (loadError: unknown) => callback?.(loadError, response),
            );
          }) as unknown as Test;
        return test;
      };
    },
  });
}

/** The query string set with .query({...}) (superagent keeps it apart from the URL until sent). */
function queryOf(test: Test): string | null {
  const { qs: parts = {}, _query: raw = [] } = test as unknown as { qs?: Record<string, unknown>; _query?: string[] };
  const query = [new URLSearchParams(Object.entries(parts).map(([k, v]) => [k, String(v)])).toString(), ...raw].filter(Boolean).join('&');
  return query ? `?${query}` : null;
}
