import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { withTenant } from '../../connectors/store/pool.js';
import { RefreshWorker } from '../../connectors/refresh/worker.js';
import { claimJob, queueJob, getJob } from '../../connectors/refresh/jobs.js';
import { runJob } from '../../connectors/refresh/full-refresh.js';
import { fullRefreshInterval } from '../../gateway/background.js';
import { HIGH_VALUE, install, markDirty, runQueuedJobs, seedMembers, tagValues } from './fixtures.js';

let db: TestDatabase;
let tenant: string;
let members: string[];

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  members = await seedMembers(db, tenant, 200);
  await install(db, tenant, [HIGH_VALUE]);
  await runQueuedJobs(db, tenant, 100);
});

describe('refresh worker', () => {
  it('two workers (two processes) share the dirty queue: every member is re-evaluated exactly once', async () => {
    const claimed: number[] = [0, 0];
    const workers = [0, 1].map((i) => new RefreshWorker({ pools: db, pollMs: 20, claimSize: 7, fullRefreshIntervalMs: null,
      onIncremental: (_t, s) => { claimed[i] += s.claimed; } }));
    await Promise.all(workers.map((w) => w.start()));
    // everyone spends 10,000 more: all high value now
    await db.admin.query(`insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
      select $1, m, 'jd', 'w' || m, 'paid', 10000, now() - interval '1 day' from unnest($2::bigint[]) m`, [tenant, members]);
    await withTenant(db.app, tenant, (c) => markDirty(c, tenant, members, ['orders']));
    await until(async () => (claimed[0] + claimed[1] >= members.length ? true : undefined), 'all members claimed');
    await Promise.all(workers.map((w) => w.stop()));
    expect(claimed[0] + claimed[1]).toBe(members.length);
    expect(claimed[0]).toBeGreaterThan(0);
    expect(claimed[1]).toBeGreaterThan(0);
    expect(Object.values(await tagValues(db, tenant, 'high_value')).every((v) => v === true)).toBe(true);
  });

  it('the schedule queues a full refresh per tenant when the last one is older than the interval, once', async () => {
    const worker = new RefreshWorker({ pools: db, pollMs: 20, fullRefreshIntervalMs: 60_000 });
    await worker.start();
    const job = await until(async () => (await db.admin.query(
      `select job_id, state from refresh_jobs where tenant_id = $1 and requested_by = 'scheduler' and state = 'succeeded'`, [tenant])).rows[0], 'a scheduled job');
    await worker.stop();
    const scheduled = await db.admin.query(`select count(*)::int as n from refresh_jobs where tenant_id = $1 and requested_by = 'scheduler'`, [tenant]);
    expect(scheduled.rows[0].n).toBe(1); // the next one is due in a minute
    expect(job.state).toBe('succeeded');
    expect(fullRefreshInterval('90m')).toBe(5_400_000);
    expect(fullRefreshInterval('off')).toBeNull();
    expect(() => fullRefreshInterval('soon')).toThrow(/CDP_FULL_REFRESH_INTERVAL/);
  });

  it('a running job whose process died (old heartbeat) is taken over and restarted', async () => {
    const dead = await db.admin.query<{ job_id: string }>(
      `insert into refresh_jobs (tenant_id, target, state, processed, total, started_at, as_of, heartbeat_at)
       values ($1, 'all', 'running', 50, 200, now() - interval '10 minutes', now() - interval '10 minutes', now() - interval '5 minutes')
       returning job_id`, [tenant]);
    const taken = await claimJob(db.app, tenant);
    expect(taken).toMatchObject({ job_id: dead.rows[0].job_id, state: 'running', processed: 0 });
    expect(taken!.as_of!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await claimJob(db.app, tenant)).toBeNull(); // one running job per tenant
    await runJob(db.app, tenant, taken!);
    const done = await withTenant(db.app, tenant, (c) => getJob(c, tenant, taken!.job_id));
    expect(done).toMatchObject({ state: 'succeeded', processed: 200, total: 200 });
  });

  it('a job stopped at shutdown goes back to the queue for any process to restart', async () => {
    await withTenant(db.app, tenant, (c) => queueJob(c, tenant, 'all', 'test'));
    const job = await claimJob(db.app, tenant);
    const stop = new AbortController();
    stop.abort();
    await runJob(db.app, tenant, job!, { signal: stop.signal });
    const after = await withTenant(db.app, tenant, (c) => getJob(c, tenant, job!.job_id));
    expect(after).toMatchObject({ state: 'queued', processed: 0 });
    expect((await claimJob(db.app, tenant))!.job_id).toBe(job!.job_id);
  });
});
