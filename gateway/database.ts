import path from 'node:path';
import { startEmbeddedPostgres } from '../connectors/store/embedded.js';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded Postgres under the data directory (started here). */
export async function openDatabase(config: GatewayConfig, log: Logger): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const dir = path.join(config.dataDir, 'pg');
  log.info({ dir, port: config.embeddedPort }, 'starting embedded Postgres');
  const db = await startEmbeddedPostgres({ dir, port: config.embeddedPort, log: (line) => log.debug({ pg: line }) });
  return { url: db.url, embedded: true, stop: db.stop };
}
