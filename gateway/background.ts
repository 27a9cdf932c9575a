import type { Pools } from '../connectors/store/pool.js';
import { RefreshWorker } from '../connectors/refresh/worker.js';
import type { Logger } from './logger.js';

export interface BackgroundWork {
  worker: RefreshWorker;
  stop(): Promise<void>;
}

const DEFAULT_FULL_REFRESH = '24h';

/**
 * CDP_FULL_REFRESH_INTERVAL as milliseconds: `24h`, `90m`, `45s`, `2d`, or a number of seconds;
 * `0` or `off` disables the schedule. Throws on anything else.
 */
export function fullRefreshInterval(raw: string | undefined = process.env.CDP_FULL_REFRESH_INTERVAL): number | null {
  const text = (raw ?? DEFAULT_FULL_REFRESH).trim() || DEFAULT_FULL_REFRESH;
  if (text === '0' || text === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m|s)?$/.exec(text);
  if (!m) throw new Error(`CDP_FULL_REFRESH_INTERVAL must look like 24h, 90m, 45s or 0 (off), got "${raw}"`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's' ?? 's'] ?? 1000;
  return Math.max(1000, Number(m[1]) * unit);
}

/**
 * Workers that run beside the HTTP server in every gateway process: the materialisation worker
 * (incremental re-evaluation of dirty members, refresh jobs, the scheduled full refresh every
 * CDP_FULL_REFRESH_INTERVAL). Several processes share the work through the database.
 */
export function startBackgroundWork(opts: { pools: Pools; log: Logger; fullRefreshIntervalMs?: number | null }): BackgroundWork {
  const worker = new RefreshWorker({
    pools: opts.pools,
    log: opts.log,
    pollMs: Number(process.env.CDP_REFRESH_POLL_MS ?? 200),
    // member batches instead of one set-based pass per definition (finer progress, more work at scale)
    batchSize: process.env.CDP_REFRESH_BATCH ? Number(process.env.CDP_REFRESH_BATCH) : undefined,
    fullRefreshIntervalMs: opts.fullRefreshIntervalMs !== undefined ? opts.fullRefreshIntervalMs : fullRefreshInterval(),
  });
  const started = worker.start().catch((err) => opts.log.error({ err }, 'refresh worker did not start'));
  return {
    worker,
    async stop() {
      await started;
      await worker.stop();
    },
  };
}
