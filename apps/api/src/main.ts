import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from './app.js';
import { ConfigError, loadConfig, repoRoot } from './config/app-config.js';
import { openDatabase } from './database/database.js';
import { runMigrations } from './database/migrate.js';
import { installProcessGuards } from './common/process-guard.js';

async function main(): Promise<void> {
  // From here on, an exception from a callback or an event emitter is logged, not fatal: one bad
  // answer from an outside service must not take every user's requests down with it.
  installProcessGuards();
  for (const file of [join(process.cwd(), '.env'), join(repoRoot, '.env')]) {
    if (existsSync(file)) {
      process.loadEnvFile(file);
      break;
    }
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  // What Atelier does to its embedded PostgreSQL (a left-over server stopped, restarts) is worth a line in the log.
  const database = await openDatabase(config, (msg) => console.log(JSON.stringify({ level: 'warn', msg })));
  try {
    const applied = await runMigrations(database.url);
    if (applied.length) console.log(JSON.stringify({ level: 'info', msg: 'applied migrations', migrations: applied }));
    const app = await createApp(config, database.url);
    await app.listen(config.port, config.host);
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
    app.getHttpServer().once('close', () => void database.close());
    console.log(
      JSON.stringify({
        level: 'info',
        msg: `Atelier is listening on ${url} (API docs at ${url}/api/docs)`,
        database: database.embedded ? 'embedded' : 'external',
      }),
    );
  } catch (error) {
    await database.close();
    throw error;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
