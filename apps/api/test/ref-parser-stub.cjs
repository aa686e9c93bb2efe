// openapi-backend (CommonJS) require()s @apidevtools/json-schema-ref-parser, which is ES-module-only;
// jest cannot require() an ES module on Node 20. openapi-contract.ts runs openapi-backend in quick
// mode on an in-memory document, where $refs are resolved by dereference-json-schema instead and
// this module's parse() result is not even awaited; anything else fails loudly.
const unavailable = () => Promise.reject(new Error('json-schema-ref-parser is not loaded under jest: give openapi-backend a document object and quick: true'));
module.exports = { parse: async (document) => document, dereference: unavailable, resolve: unavailable };
module.exports.default = module.exports;
