import type pg from 'pg';
import { withTenant, type Queryable } from '../store/pool.js';
import { CHANGES_CHANNEL } from '../changes/change-log.js';
import { lockTenantJobs } from './locks.js';

/** A refresh_jobs row as the API shows it. */
export interface JobRow {
  job_id: string;
  target: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  processed: number;
  total: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  as_of: Date | null;
  requested_by: string | null;
}

const JOB_COLUMNS = `job_id, target, state, processed::float8 as processed, total::float8 as total, error, created_at,
  started_at, finished_at, as_of, requested_by`;

/** A running job whose process has not written a heartbeat for this long is taken over. */
export const STALE_JOB_SECONDS = 60;

/**
 * Queues a refresh of `target` ('all', 'tag:NAME', 'audience:NAME'; checked by the caller) in the
 * caller's transaction. A job for the same target that is still queued is returned instead of a
 * second one: it has not started, so it will see everything the new request would.
 */
export async function queueJob(db: Queryable, tenantId: string, target: string, requestedBy: string | null): Promise<JobRow> {
  const queued = await db.query<JobRow>(
    `select ${JOB_COLUMNS} from refresh_jobs where tenant_id = $1 and target = $2 and state = 'queued' order by job_id limit 1`,
    [tenantId, target]);
  if (queued.rows[0]) return queued.rows[0];
  const r = await db.query<JobRow>(
    `insert into refresh_jobs (tenant_id, target, requested_by) values ($1, $2, $3) returning ${JOB_COLUMNS}`,
    [tenantId, target, requestedBy]);
  await notifyJob(db, tenantId, r.rows[0].job_id, 0);
  return r.rows[0];
}

/** The job `jobId` of the tenant, or null. */
export async function getJob(db: Queryable, tenantId: string, jobId: string): Promise<JobRow | null> {
  if (!/^[1-9][0-9]{0,17}$/.test(jobId)) return null;
  const r = await db.query<JobRow>(`select ${JOB_COLUMNS} from refresh_jobs where tenant_id = $1 and job_id = $2`, [tenantId, jobId]);
  return r.rows[0] ?? null;
}

/**
 * Claims the tenant's next job, one running job per tenant: a running job with a fresh heartbeat
 * means none; a running job whose process died (stale heartbeat) is taken over and restarted; else
 * the oldest queued job. The claim sets state 'running', started_at and as_of to now (the evaluation
 * time of the whole job). Returns null when there is nothing to run.
 */
export async function claimJob(pool: pg.Pool, tenantId: string): Promise<JobRow | null> {
  return withTenant(pool, tenantId, async (db) => {
    await lockTenantJobs(db, tenantId);
    const open = await db.query<{ job_id: string; state: string; stale: boolean }>(
      `select job_id, state, coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $2) as stale
         from refresh_jobs where tenant_id = $1 and state in ('queued', 'running')
        order by (state = 'running') desc, job_id limit 1`,
      [tenantId, STALE_JOB_SECONDS]);
    const next = open.rows[0];
    if (!next || (next.state === 'running' && !next.stale)) return null;
    if (next.state === 'running') await db.query('delete from refresh_recheck where tenant_id = $1 and job_id = $2', [tenantId, next.job_id]);
    const r = await db.query<JobRow>(
      `update refresh_jobs set state = 'running', started_at = now(), as_of = now(), heartbeat_at = now(),
              processed = 0, total = 0, error = null
        where tenant_id = $1 and job_id = $2 returning ${JOB_COLUMNS}`,
      [tenantId, next.job_id]);
    return r.rows[0];
  });
}

/** Records progress (and the heartbeat) in a short transaction of its own, and wakes progress subscribers. */
export async function recordProgress(pool: pg.Pool, tenantId: string, jobId: string, processed: number, total: number): Promise<void> {
  await withTenant(pool, tenantId, async (db) => {
    await db.query(
      `update refresh_jobs set processed = $3, total = $4, heartbeat_at = now()
        where tenant_id = $1 and job_id = $2 and state = 'running'`,
      [tenantId, jobId, processed, total]);
    await notifyJob(db, tenantId, jobId, processed);
  });
}

/** Writes the heartbeat of a running job (a long statement must not make the job look dead). */
export async function heartbeat(pool: pg.Pool, tenantId: string, jobId: string): Promise<void> {
  await withTenant(pool, tenantId, (db) =>
    db.query(`update refresh_jobs set heartbeat_at = now() where tenant_id = $1 and job_id = $2 and state = 'running'`, [tenantId, jobId]));
}

/** Ends a job: succeeded (processed = total) or failed with a message; forgets its recheck rows. */
export async function finishJob(pool: pg.Pool, tenantId: string, jobId: string, error: string | null): Promise<void> {
  await withTenant(pool, tenantId, async (db) => {
    await db.query(
      `update refresh_jobs set state = $3, error = $4, finished_at = now(), heartbeat_at = now(),
              processed = case when $3 = 'succeeded' then total else processed end
        where tenant_id = $1 and job_id = $2`,
      [tenantId, jobId, error === null ? 'succeeded' : 'failed', error]);
    await db.query('delete from refresh_recheck where tenant_id = $1 and job_id = $2', [tenantId, jobId]);
    await notifyJob(db, tenantId, jobId, -1);
  });
}

/** Puts a job this process stopped working on (shutdown) back in the queue for any process to restart. */
export async function requeueJob(pool: pg.Pool, tenantId: string, jobId: string): Promise<void> {
  await withTenant(pool, tenantId, async (db) => {
    await db.query(
      `update refresh_jobs set state = 'queued', processed = 0, heartbeat_at = null
        where tenant_id = $1 and job_id = $2 and state = 'running'`, [tenantId, jobId]);
    await db.query('delete from refresh_recheck where tenant_id = $1 and job_id = $2', [tenantId, jobId]);
    await notifyJob(db, tenantId, jobId, 0);
  });
}

/** The ChangeHub key progress subscribers of a job wait on (an audience name cannot contain '#'). */
export const jobWakeKey = (jobId: string) => `refresh_job#${jobId}`;

/**
 * Wakes refreshProgress subscribers in every process through the change hub's channel (payload
 * "tenant:refresh_job#ID:n"; the hub wakes the key before the last ':'). Delivered at commit.
 */
async function notifyJob(db: Queryable, tenantId: string, jobId: string, n: number): Promise<void> {
  await db.query('select pg_notify($1, $2)', [CHANGES_CHANNEL, `${tenantId}:${jobWakeKey(jobId)}:${n}`]);
}
