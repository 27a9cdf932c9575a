import type { Pools } from '../connectors/store/pool.js';
import type { Logger } from './logger.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

/** Workers that run beside the HTTP server in every gateway process (none yet). */
export function startBackgroundWork(_opts: { pools: Pools; log: Logger }): BackgroundWork {
  return { stop: async () => undefined };
}
