import pg from 'pg';
import { withTenant, type Pools } from '../store/pool.js';
import { processDirtyMembers, PlanCache, DEFAULT_CLAIM_SIZE, type IncrementalStats } from './incremental.js';
import { runJob, type DefinitionReport } from './full-refresh.js';
import { claimJob, queueJob, STALE_JOB_SECONDS } from './jobs.js';
import { lockTenantJobs } from './locks.js';
import type { WorkLog } from './work-log.js';

/** Channel the dirty_members trigger (030_refresh.sql) notifies with the tenant id. */
export const DIRTY_CHANNEL = 'cdp_dirty';

export interface RefreshWorkerOptions {
  pools: Pools;
  log?: WorkLog;
  /** Safety poll for dirty members and queued jobs when no notification came (default 200 ms). */
  pollMs?: number;
  /** Members claimed per incremental transaction. */
  claimSize?: number;
  /** Members per full-refresh batch. */
  batchSize?: number;
  /** Queue a full refresh ('all') per tenant this often; null disables the schedule. */
  fullRefreshIntervalMs?: number | null;
  /** Called after every incremental pass that claimed members (tests, metrics). */
  onIncremental?: (tenantId: string, stats: IncrementalStats) => void;
  /** Called when a job this process ran has ended. */
  onJob?: (tenantId: string, jobId: string, reports: DefinitionReport[]) => void;
}

interface TenantWork {
  tenant_id: string;
  dirty: boolean;
  jobs: boolean;
  last_full: Date | null;
}

/**
 * The materialisation worker of one gateway process. It LISTENs on cdp_dirty (every insert into
 * dirty_members notifies, at commit) and also polls every `pollMs`; each round it drains the dirty
 * members of every tenant that has some (incremental re-evaluation), starts the tenant's next
 * refresh job in the background (one per tenant across all processes), and queues the scheduled
 * full refresh when it is due. Several processes share the work through SKIP LOCKED claims.
 */
export class RefreshWorker {
  private readonly plans = new PlanCache();
  private listener: pg.Client | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private loop: Promise<void> | undefined;
  private readonly jobs = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private lastSchedule = 0;

  constructor(private readonly opts: RefreshWorkerOptions) {}

  /** Starts listening and the loop; resolves once the listener is connected (or failed, then polls). */
  async start(): Promise<void> {
    await this.listen();
    this.loop = this.run();
  }

  /** Runs a round now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.opts.pools.appConnection);
    client.on('notification', () => this.wake());
    const retry = () => {
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(), 1000).unref();
    };
    client.on('error', retry);
    try {
      await client.connect();
      await client.query(`listen ${DIRTY_CHANNEL}`);
      this.listener = client;
      this.wake();
    } catch (err) {
      this.opts.log?.warn({ err }, 'refresh worker cannot LISTEN; polling only');
      retry();
    }
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 200;
    while (!this.stopped) {
      this.woken = false;
      try {
        await this.round();
      } catch (err) {
        this.opts.log?.error({ err }, 'refresh worker round failed');
      }
      if (this.stopped) break;
      if (!this.woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = undefined;
      }
    }
  }

  private async round(): Promise<void> {
    const { app } = this.opts.pools;
    const tenants = (await app.query<TenantWork>('select * from cdp_tenants_with_work(make_interval(secs => $1))', [STALE_JOB_SECONDS])).rows;
    const claimSize = this.opts.claimSize ?? DEFAULT_CLAIM_SIZE;
    for (const t of tenants) {
      if (this.stopped) return;
      if (t.jobs && !this.jobs.has(t.tenant_id)) await this.startJob(t.tenant_id);
      if (!t.dirty) continue;
      // drain this tenant's queue, a bounded number of passes so one busy tenant cannot starve the rest
      for (let pass = 0; pass < 20 && !this.stopped; pass++) {
        const stats = await processDirtyMembers(app, t.tenant_id, this.plans, { limit: claimSize, log: this.opts.log });
        if (stats.claimed > 0) this.opts.onIncremental?.(t.tenant_id, stats);
        if (stats.claimed < claimSize) break;
      }
    }
    await this.schedule(tenants);
  }

  private async startJob(tenantId: string): Promise<void> {
    const job = await claimJob(this.opts.pools.app, tenantId);
    if (!job) return;
    const running = runJob(this.opts.pools.app, tenantId, job, {
      batchSize: this.opts.batchSize, log: this.opts.log, signal: this.abort.signal, maintenance: this.opts.pools.admin })
      .then((reports) => this.opts.onJob?.(tenantId, job.job_id, reports))
      .catch((err) => this.opts.log?.error({ err, tenantId }, 'refresh job crashed'))
      .finally(() => {
        this.jobs.delete(tenantId);
        this.wake(); // the tenant may have another job queued
      });
    this.jobs.set(tenantId, running);
  }

  /** Queues 'all' for tenants whose last full refresh is older than the interval (at most once a minute per process). */
  private async schedule(tenants: TenantWork[]): Promise<void> {
    const interval = this.opts.fullRefreshIntervalMs;
    if (!interval) return;
    const now = Date.now();
    if (now - this.lastSchedule < Math.min(interval, 60_000)) return;
    this.lastSchedule = now;
    for (const t of tenants) {
      if (t.last_full && now - t.last_full.getTime() < interval) continue;
      await withTenant(this.opts.pools.app, t.tenant_id, async (db) => {
        await lockTenantJobs(db, t.tenant_id); // another process may be deciding the same thing
        const last = await db.query<{ due: boolean }>(
          `select coalesce(max(created_at) < now() - make_interval(secs => $2), true) as due
             from refresh_jobs where tenant_id = $1 and target = 'all'`, [t.tenant_id, interval / 1000]);
        if (last.rows[0].due) await queueJob(db, t.tenant_id, 'all', 'scheduler');
      });
    }
  }

  /** Stops the loop, puts running jobs back in the queue (between batches) and closes the listener. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
    await Promise.allSettled([...this.jobs.values()]);
    await this.listener?.end().catch(() => undefined);
  }
}
