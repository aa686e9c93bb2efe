import type { Config } from 'jest';

// ESM throughout: run with NODE_OPTIONS=--experimental-vm-modules (npm test does).
const esm: Config = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@atelier/sandbox$': '<rootDir>/apps/sandbox/src/index.ts',
    '^@atelier/providers/(.*)$': '<rootDir>/libs/providers/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  testEnvironment: 'node',
};

const config: Config = {
  rootDir: '.',
  // One PostgreSQL server for the whole run, with a migrated template database that every
  // API test file copies into a database of its own.
  globalSetup: '<rootDir>/apps/api/test/global-setup.mjs',
  globalTeardown: '<rootDir>/apps/api/test/global-teardown.mjs',
  testTimeout: 60_000,
  projects: [
    { ...esm, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs'], testMatch: ['**/src/**/*.spec.ts'] },
    {
      ...esm,
      displayName: 'api',
      roots: ['<rootDir>/apps/api/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      // See ref-parser-stub.cjs: openapi-backend require()s an ES-module-only package.
      moduleNameMapper: { ...esm.moduleNameMapper, '^@apidevtools/json-schema-ref-parser$': '<rootDir>/apps/api/test/ref-parser-stub.cjs' },
    },
    { ...esm, displayName: 'contract', roots: ['<rootDir>/apps/sandbox/test'], testMatch: ['**/*.contract-spec.ts'] },
    {
      ...esm,
      displayName: 'browser',
      roots: ['<rootDir>/apps/web/test'],
      testMatch: ['**/*.browser-spec.ts'],
      // Browser tests boot the app through the API tests' helpers, contract check included.
      moduleNameMapper: { ...esm.moduleNameMapper, '^@apidevtools/json-schema-ref-parser$': '<rootDir>/apps/api/test/ref-parser-stub.cjs' },
    },
  ],
};

export default config;
