import type pg from 'pg';
import { inTenantTransaction, withTenant, type Queryable } from '../store/pool.js';
import { bindQuery } from '../tags/compile.js';
import { swapTagFromStage } from '../tags/apply.js';
import { swapAudienceFromStage } from '../audiences/apply.js';
import { definitionsFor, loadPlan, type PlannedDefinition } from './plan.js';
import { claimJob, finishJob, getJob, heartbeat, recordProgress, requeueJob, type JobRow } from './jobs.js';
import { lockDefinitionExclusive } from './locks.js';
import type { WorkLog } from './work-log.js';

const HEARTBEAT_MS = 10_000;
/** Session-local staging table of the job's connection: never visible to readers. */
const STAGE = 'pg_temp.refresh_stage';

/**
 * Settings of a refresh's staging and swap transactions (set local), each measured on the demo
 * definitions at 1,000,000 members (bench/refresh):
 * - work_mem: a tenant-wide grouped scan or join hashes one entry per member, which at 4MB (the
 *   server default) spills to disk in batches. Every process of a parallel statement may use it
 *   (times hash_mem_multiplier) per hash. CDP_REFRESH_WORK_MEM overrides it.
 * - jit off: the tenant-wide statements cost far above the JIT thresholds, and compiling them with
 *   inlining and optimisation took longer than it saved (high_value staged in 5.1 s without, 5.9 s with).
 */
export const REFRESH_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  work_mem: process.env.CDP_REFRESH_WORK_MEM ?? '256MB',
  jit: 'off',
});

/** Applies REFRESH_SETTINGS to the caller's transaction (set local). */
export async function tuneRefreshTransaction(db: Queryable): Promise<void> {
  const names = Object.keys(REFRESH_SETTINGS);
  await db.query('select set_config(n, v, true) from unnest($1::text[], $2::text[]) as s(n, v)',
    [names, names.map((n) => REFRESH_SETTINGS[n])]);
}

export interface FullRefreshOptions {
  /**
   * Stage in batches of this many members (scope 'members', $3 = the batch's ids), progress after
   * each. Unset (the default): one set-based statement per definition, progress after each
   * definition. Batches are for small tenants or progress granularity only: every batch re-scans
   * the collections it reads (`member_id = any($3)` is a filter, not a range), so the total work
   * grows with members × batches: at 1,000,000 members / 10,000,000 orders, 50,000-member batches
   * took 6x the set-based pass (bench/refresh, docs/tags-and-audiences.md).
   */
  batchSize?: number;
  log?: WorkLog;
  /** Aborted at shutdown: the job stops between batches and goes back to the queue. */
  signal?: AbortSignal;
  /**
   * The owner pool, for ANALYZE (cdp_app owns no table and cannot): before a definition that reads
   * (tag.x, audience.x) what an earlier swap of the job wrote in bulk, the table is analyzed, so it
   * is planned with fresh statistics (once for several such reads: rfm_segment after rfm_r, rfm_f
   * and rfm_m). Without it a first refresh of tags that read tags can take many times longer: at
   * 1,000,000 members rfm_segment staged in 150 s on stale statistics, 4 s on fresh ones.
   */
  maintenance?: pg.Pool;
}

/** Rows a swap must write before the table is analyzed for the definitions that read it. */
const ANALYZE_AFTER = (members: number) => Math.max(10_000, Math.floor(members / 10));

/** The table a definition's values live in. */
const tableOf = (key: string) => (key.startsWith('tag:') ? 'tag_values' : 'audience_members');

class Stopped extends Error {}

/** What a job did per definition (benchmarks and logs). */
export interface DefinitionReport {
  key: string;
  batches: number;
  changed: number;
  /** Whole definition, staging (computing into the staging table) and swap (the one write transaction). */
  seconds: number;
  stageSeconds: number;
  swapSeconds: number;
  /** ANALYZE this definition waited for: what it reads was written in bulk earlier in the job (else 0). */
  analyzeSeconds: number;
  error?: string;
}

/**
 * Runs a claimed job to its end (finishJob is always called). For each definition of the target,
 * in dependency order: computes the new values into the connection's staging table (one set-based
 * statement, or member batches with `batchSize`; short transactions, nothing visible to readers,
 * processed/total and the heartbeat written after each), then
 * swaps them in with one transaction that writes only the differences (and, for audiences, the
 * ENTERED/EXITED changes). Readers see a definition's old values or its new ones, never a mix. A
 * definition that fails is reported and the definitions reading it are skipped; the rest go on.
 */
export async function runJob(pool: pg.Pool, tenantId: string, job: JobRow, opts: FullRefreshOptions = {}): Promise<DefinitionReport[]> {
  const batchSize = opts.batchSize ?? Number.POSITIVE_INFINITY;
  const asOf = job.as_of ?? new Date();
  const reports: DefinitionReport[] = [];
  const beat = setInterval(() => void heartbeat(pool, tenantId, job.job_id).catch(() => undefined), HEARTBEAT_MS);
  let client: pg.PoolClient | undefined;
  try {
    const { plan, members } = await withTenant(pool, tenantId, async (db) => ({
      plan: await loadPlan(db, tenantId),
      members: Number((await db.query<{ n: string }>('select count(*) as n from members where tenant_id = $1', [tenantId])).rows[0].n),
    }));
    const defs = definitionsFor(plan, job.target);
    if (!defs) {
      await finishJob(pool, tenantId, job.job_id, `${job.target} is not a published tag or audience`);
      return reports;
    }
    const total = defs.length * members;
    let processed = 0;
    await recordProgress(pool, tenantId, job.job_id, 0, total);
    client = await pool.connect();
    const failed = new Set<string>();
    const unanalyzed = new Set<string>(); // definitions written in bulk since their table's last ANALYZE
    for (const def of defs) {
      const started = performance.now();
      const report: DefinitionReport = { key: def.key, batches: 0, changed: 0, seconds: 0, stageSeconds: 0, swapSeconds: 0, analyzeSeconds: 0 };
      reports.push(report);
      const blocked = def.dependencies.find((d) => failed.has(d));
      if (opts.signal?.aborted) throw new Stopped();
      try {
        if (blocked) throw new Error(`not refreshed: it reads ${blocked}, which failed`);
        const stale = def.dependencies.filter((d) => unanalyzed.has(d));
        if (opts.maintenance && stale.length > 0) {
          for (const table of new Set(stale.map(tableOf))) {
            await opts.maintenance.query(`analyze ${table}`);
            for (const key of [...unanalyzed]) if (tableOf(key) === table) unanalyzed.delete(key);
          }
          report.analyzeSeconds = (performance.now() - started) / 1000;
        }
        const stageStarted = performance.now();
        await client.query(`drop table if exists ${STAGE}`);
        // one batch covering every member is the set-based query: one grouped pass, no id array
        if (def.batchOnly || members <= batchSize) {
          await inTenantTransaction(client, tenantId, (db) => stageAll(db, tenantId, def, asOf));
          report.batches = 1;
          processed += members;
          await recordProgress(pool, tenantId, job.job_id, processed, total);
        } else {
          let after = '0';
          await client.query(`create temp table ${STAGE} (member_id bigint not null, value jsonb)`);
          for (;;) {
            const ids = await inTenantTransaction(client, tenantId, async (db) => {
              const batch = (await db.query<{ member_id: string }>(
                'select member_id from members where tenant_id = $1 and member_id > $2 order by member_id limit $3',
                [tenantId, after, batchSize])).rows.map((r) => r.member_id);
              if (batch.length > 0) await stageMembers(db, tenantId, def, asOf, batch);
              return batch;
            });
            if (ids.length === 0) break;
            if (opts.signal?.aborted) throw new Stopped();
            after = ids[ids.length - 1];
            report.batches++;
            processed = Math.min(total, processed + ids.length);
            await recordProgress(pool, tenantId, job.job_id, processed, total);
            if (ids.length < batchSize) break;
          }
        }
        await client.query(`analyze ${STAGE}`);
        const swapStarted = performance.now();
        report.stageSeconds = (swapStarted - stageStarted) / 1000;
        const written = await inTenantTransaction(client, tenantId, async (db) => {
          await tuneRefreshTransaction(db);
          await lockDefinitionExclusive(db, tenantId, def.key);
          if (def.kind === 'tag') {
            const w = await swapTagFromStage(db, tenantId, def.name, STAGE, job.job_id, asOf);
            return w.upserted + w.deleted;
          }
          const w = await swapAudienceFromStage(db, tenantId, def.name, STAGE, job.job_id, asOf);
          return w.entered + w.exited;
        });
        report.changed = written;
        report.swapSeconds = (performance.now() - swapStarted) / 1000;
        if (written >= ANALYZE_AFTER(members)) unanalyzed.add(def.key);
      } catch (err) {
        if (err instanceof Stopped) throw err;
        failed.add(def.key);
        report.error = (err as Error).message;
        opts.log?.warn({ tenantId, job: job.job_id, definition: def.key, err }, 'refresh of a definition failed');
      }
      report.seconds = (performance.now() - started) / 1000;
    }
    const errors = reports.filter((r) => r.error).map((r) => `${r.key}: ${r.error}`);
    await finishJob(pool, tenantId, job.job_id, errors.length ? errors.join('; ') : null);
    return reports;
  } catch (err) {
    if (err instanceof Stopped) {
      await requeueJob(pool, tenantId, job.job_id).catch(() => undefined);
      return reports;
    }
    opts.log?.error({ tenantId, job: job.job_id, err }, 'refresh job failed');
    await finishJob(pool, tenantId, job.job_id, (err as Error).message).catch(() => undefined);
    return reports;
  } finally {
    clearInterval(beat);
    if (client) {
      await client.query(`drop table if exists ${STAGE}`).catch(() => undefined);
      client.release();
    }
  }
}

/** The staged rows of one definition: tags keep non-null values, audiences the members in it. */
function stageRows(def: PlannedDefinition, queryText: string): string {
  return def.kind === 'tag'
    ? `select q.member_id, to_jsonb(q.value) as value from (${queryText}) q where q.value is not null`
    : `select distinct q.member_id from (${queryText}) q where q.value is true`;
}

/**
 * Creates the staging table from the set-based query with CREATE TABLE AS: unlike INSERT ... SELECT
 * it may run the query in parallel, and it writes no WAL (a temporary table).
 */
async function stageAll(db: Queryable, tenantId: string, def: PlannedDefinition, asOf: Date): Promise<void> {
  const query = def.query('all');
  await tuneRefreshTransaction(db);
  await db.query(`create temp table ${STAGE} as ${stageRows(def, query.text)}`, bindQuery(query, 'all', tenantId, asOf));
}

async function stageMembers(db: Queryable, tenantId: string, def: PlannedDefinition, asOf: Date, ids: string[]): Promise<void> {
  const query = def.query('members');
  const columns = def.kind === 'tag' ? '(member_id, value)' : '(member_id)';
  await db.query(`insert into ${STAGE} ${columns} ${stageRows(def, query.text)}`, bindQuery(query, 'members', tenantId, asOf, ids));
}

/**
 * Runs the tenant's jobs in this process (one at a time, as claimJob hands them out) until job
 * `jobId` has ended, whoever runs it: when another process holds the tenant's running job, waits
 * for it. Returns the ended job.
 */
export async function runUntilFinished(pool: pg.Pool, tenantId: string, jobId: string, opts: FullRefreshOptions = {}): Promise<JobRow> {
  for (;;) {
    const job = await claimJob(pool, tenantId);
    if (job) await runJob(pool, tenantId, job, opts);
    const target = await withTenant(pool, tenantId, (db) => getJob(db, tenantId, jobId));
    if (!target) throw new Error(`refresh job ${jobId} does not exist`);
    if (target.state === 'succeeded' || target.state === 'failed') return target;
    if (!job) await new Promise((r) => setTimeout(r, 200));
  }
}
