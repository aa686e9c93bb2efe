import { join } from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { ensureDatabase, startEmbeddedPostgres } from './embedded-postgres.js';

export interface Database {
  url: string;
  /** Stops the embedded server when one was started. */
  close(): Promise<void>;
  embedded: boolean;
}

/**
 * Uses DATABASE_URL when set; otherwise starts the embedded PostgreSQL under DATA_DIR (and keeps
 * it running: see startEmbeddedPostgres). `report` hears what is done to the embedded server.
 */
export async function openDatabase(config: AppConfig, report: (message: string) => void = () => {}): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, close: async () => {}, embedded: false };
  const server = await startEmbeddedPostgres({ dir: join(config.dataDir, 'postgres'), port: config.embeddedPostgresPort, report });
  try {
    await ensureDatabase(server.adminUrl, 'atelier');
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.urlFor('atelier'), close: () => server.stop(), embedded: true };
}
