import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  nodeEnv: NodeEnv;
  version: string;
  host: string;
  port: number;
  dataDir: string;
  /** Set when an external PostgreSQL is used; otherwise the embedded one is started. */
  databaseUrl?: string;
  embeddedPostgresPort: number;
  /** How long requests wait on the database before answering 503. */
  databaseTimeouts: { connectMs: number; queryMs: number };
  appSecret: string;
  jwtExpiresInSeconds: number;
  /** `true` reflects any origin, an empty list disables CORS. */
  corsOrigins: string[] | true;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  trustProxy: boolean;
  webDistDir: string;
  signin: { windowSeconds: number; maxAttemptsPerIp: number; maxFailuresPerAccount: number };
  /** URL prefixes the guarded fetcher may reach even though they are not public (besides the sandbox). */
  fetchAllowList: string[];
  /** The address clients and providers reach this server at (webhooks); none: providers are polled only. */
  publicUrl: string | null;
  tasks: {
    /** Whether this instance polls providers (every instance may; they share the work through leases). */
    worker: boolean;
    /** How often the engine looks for due tasks. */
    tickMs: number;
    /** How long a claimed task stays with one instance before another may take it over. */
    leaseSeconds: number;
    /** First and longest wait between two polls of one task. */
    pollMinMs: number;
    pollMaxMs: number;
  };
  sandbox: {
    /** Mounts the provider sandbox under /sandbox and points untouched provider settings at it. */
    enabled: boolean;
    queueMs: number;
    runMinMs: number;
    runMaxMs: number;
    outputTtlSeconds: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The repository root, found by walking up so it works from sources (tests) and from `dist`. */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'atelier') return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

function readVersion(): string {
  try {
    return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Reads and validates every setting from the environment. All problems are collected so one
 * start-up failure lists every bad value at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];

  const str = (name: string, fallback: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, fallback: T, allowed: readonly T[]): T => {
    const value = str(name, fallback);
    if (!allowed.includes(value as T)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  };

  const nodeEnv = oneOf<NodeEnv>('NODE_ENV', 'development', ['development', 'production', 'test']);
  const port = int('PORT', 3000, 0, 65535);
  const host = str('HOST', '0.0.0.0');
  const dataDir = resolve(str('DATA_DIR', join(process.cwd(), 'data')));

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl) {
    try {
      const url = new URL(databaseUrl);
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        problems.push(`DATABASE_URL must start with postgres:// or postgresql:// (got "${url.protocol}")`);
      }
    } catch {
      problems.push('DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/database)');
    }
  }
  const embeddedPostgresPort = int('EMBEDDED_POSTGRES_PORT', 54329, 1, 65535);
  const databaseTimeouts = {
    connectMs: int('DATABASE_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    queryMs: int('DATABASE_QUERY_TIMEOUT_MS', 60_000, 0, 24 * 3600_000),
  };

  const appSecretRaw = env.APP_SECRET?.trim();
  if (appSecretRaw !== undefined && appSecretRaw !== '' && appSecretRaw.length < 32) {
    problems.push('APP_SECRET must be at least 32 characters long (leave it unset to generate one in DATA_DIR)');
  }

  const jwtExpiresInSeconds = int('JWT_EXPIRES_IN_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600);

  let corsOrigins: string[] | true = [];
  const corsRaw = str('CORS_ORIGINS', '');
  if (corsRaw === '*') corsOrigins = true;
  else if (corsRaw !== '') {
    corsOrigins = corsRaw.split(',').map((o) => o.trim()).filter(Boolean);
    for (const origin of corsOrigins) {
      try {
        const url = new URL(origin);
        if (url.origin !== origin) problems.push(`CORS_ORIGINS entry "${origin}" must be an origin like https://example.com`);
      } catch {
        problems.push(`CORS_ORIGINS entry "${origin}" is not a valid origin`);
      }
    }
  }

  const bodyLimitBytes = int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024);
  const logLevel = oneOf<LogLevel>('LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info', [
    'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent',
  ]);
  const trustProxy = bool('TRUST_PROXY', false);
  const webDistDir = resolve(str('WEB_DIST_DIR', join(repoRoot, 'apps/web/dist')));

  const signin = {
    windowSeconds: int('SIGNIN_RATE_WINDOW_SECONDS', 900, 1, 86400),
    maxAttemptsPerIp: int('SIGNIN_MAX_ATTEMPTS_PER_IP', 30, 1, 100000),
    maxFailuresPerAccount: int('SIGNIN_MAX_FAILURES_PER_ACCOUNT', 10, 1, 100000),
  };

  const fetchAllowList = str('FETCH_ALLOWLIST', '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of fetchAllowList) {
    let valid = false;
    try {
      const url = new URL(entry);
      valid = (url.protocol === 'http:' || url.protocol === 'https:') && url.href === entry && entry.endsWith('/');
    } catch {
      valid = false;
    }
    if (!valid) problems.push(`FETCH_ALLOWLIST entry "${entry}" must be a normalised http(s) URL prefix ending with "/", e.g. http://10.0.0.5:9000/bucket/`);
  }

  let publicUrl: string | null = null;
  const publicUrlRaw = str('PUBLIC_URL', '');
  if (publicUrlRaw) {
    try {
      const url = new URL(publicUrlRaw);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
      publicUrl = url.href.replace(/\/+$/, '');
    } catch {
      problems.push(`PUBLIC_URL must be an http(s) URL such as https://atelier.example.com (got "${publicUrlRaw}")`);
    }
  }

  const tasks = {
    worker: bool('TASK_WORKER', true),
    tickMs: int('TASK_TICK_MS', 1000, 20, 60_000),
    leaseSeconds: int('TASK_LEASE_SECONDS', 60, 2, 3600),
    pollMinMs: int('TASK_POLL_MIN_MS', 1000, 10, 60_000),
    pollMaxMs: int('TASK_POLL_MAX_MS', 15_000, 10, 600_000),
  };
  if (tasks.pollMaxMs < tasks.pollMinMs) problems.push('TASK_POLL_MAX_MS must not be below TASK_POLL_MIN_MS');

  const sandbox = {
    // Off in production unless asked for explicitly.
    enabled: bool('SANDBOX', nodeEnv !== 'production'),
    queueMs: int('SANDBOX_QUEUE_MS', 1000, 0, 600_000),
    runMinMs: int('SANDBOX_RUN_MIN_MS', 2000, 0, 600_000),
    runMaxMs: int('SANDBOX_RUN_MAX_MS', 4000, 0, 600_000),
    outputTtlSeconds: int('SANDBOX_OUTPUT_TTL_SECONDS', 3600, 1, 30 * 86400),
  };
  if (sandbox.runMaxMs < sandbox.runMinMs) problems.push('SANDBOX_RUN_MAX_MS must not be below SANDBOX_RUN_MIN_MS');

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    nodeEnv,
    version: readVersion(),
    host,
    port,
    dataDir,
    databaseUrl,
    embeddedPostgresPort,
    databaseTimeouts,
    appSecret: appSecretRaw || loadOrCreateAppSecret(dataDir),
    jwtExpiresInSeconds,
    corsOrigins,
    bodyLimitBytes,
    logLevel,
    trustProxy,
    webDistDir,
    signin,
    fetchAllowList,
    publicUrl,
    tasks,
    sandbox,
  };
}

/** Generates the app secret on first start and keeps it, so tokens and encrypted settings survive restarts. */
function loadOrCreateAppSecret(dataDir: string): string {
  const file = join(dataDir, 'app-secret');
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
