import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'atelier-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('works with nothing set, generating and keeping an app secret in DATA_DIR', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first).toMatchObject({ port: 3000, nodeEnv: 'development', databaseUrl: undefined, corsOrigins: [] });
    expect(first.appSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dataDir, 'app-secret'), 'utf8').trim()).toBe(first.appSecret);
    expect(statSync(join(dataDir, 'app-secret')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ DATA_DIR: dataDir }).appSecret).toBe(first.appSecret);
  });

  it('prefers APP_SECRET and parses every value', () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      APP_SECRET: 's'.repeat(40),
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/atelier',
      CORS_ORIGINS: 'https://a.example, https://b.example:8443',
      TRUST_PROXY: 'yes',
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      appSecret: 's'.repeat(40),
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/atelier',
      corsOrigins: ['https://a.example', 'https://b.example:8443'],
      trustProxy: true,
      nodeEnv: 'production',
    });
    expect(loadConfig({ DATA_DIR: dataDir, CORS_ORIGINS: '*' }).corsOrigins).toBe(true);
  });

  it('lists every bad value with a clear message', () => {
    let error: unknown;
    try {
      loadConfig({
        DATA_DIR: dataDir,
        PORT: 'eighty',
        NODE_ENV: 'staging',
        APP_SECRET: 'short',
        DATABASE_URL: 'mysql://x',
        TRUST_PROXY: 'maybe',
        CORS_ORIGINS: 'https://ok.example,not an origin',
        LOG_LEVEL: 'loud',
        SIGNIN_MAX_ATTEMPTS_PER_IP: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'NODE_ENV must be one of development, production, test (got "staging")',
      'PORT must be an integer between 0 and 65535 (got "eighty")',
      'DATABASE_URL must start with postgres:// or postgresql:// (got "mysql:")',
      'APP_SECRET must be at least 32 characters long (leave it unset to generate one in DATA_DIR)',
      'CORS_ORIGINS entry "not an origin" is not a valid origin',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'TRUST_PROXY must be true or false (got "maybe")',
      'SIGNIN_MAX_ATTEMPTS_PER_IP must be an integer between 1 and 100000 (got "0")',
    ]);
    expect((error as Error).message).toContain('Invalid configuration:');
  });

  it('reads how long requests wait on the database, with defaults', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).databaseTimeouts).toEqual({ connectMs: 10_000, queryMs: 60_000 });
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_CONNECT_TIMEOUT_MS: '1500', DATABASE_QUERY_TIMEOUT_MS: '0' }).databaseTimeouts).toEqual({
      connectMs: 1500,
      queryMs: 0,
    });
    expect(() => loadConfig({ DATA_DIR: dataDir, DATABASE_CONNECT_TIMEOUT_MS: '0' })).toThrow(
      'DATABASE_CONNECT_TIMEOUT_MS must be an integer between 100 and 600000 (got "0")',
    );
  });
});
