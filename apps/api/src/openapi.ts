import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, createApp } from './app.js';
import { loadConfig, repoRoot } from './config/app-config.js';

/**
 * Writes the OpenAPI document to libs/api-client and regenerates the typed client from it.
 * Runs without a database: only the routes' metadata is read.
 */
async function main(): Promise<void> {
  // A throw-away secret: describing the routes must not create or read the real one.
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', APP_SECRET: 'openapi-generation-'.padEnd(48, '0') });
  const app = await createApp(config);
  const document = buildOpenApiDocument(app, config);
  await app.close();
  const dir = join(repoRoot, 'libs/api-client');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document, null, 2) + '\n');
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules/openapi-typescript/bin/cli.js'), join(dir, 'openapi.json'), '-o', join(dir, 'src/schema.d.ts')],
    { stdio: 'inherit' },
  );
  console.log(`wrote ${join(dir, 'openapi.json')} and src/schema.d.ts`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
