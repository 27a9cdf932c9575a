import { withTenant } from '../../connectors/store/pool.js';
import { defineTag, publishTag } from '../../connectors/tags/lifecycle.js';
import { defineAudience } from '../../connectors/audiences/lifecycle.js';
import { DEMO_AUDIENCES, DEMO_TAGS } from '../../connectors/tags/demo-definitions.js';
import { claimJob, queueJob } from '../../connectors/refresh/jobs.js';
import { runJob, tuneRefreshTransaction, type DefinitionReport } from '../../connectors/refresh/full-refresh.js';
import { HAND_WRITTEN, handTable } from './hand-written.js';
import type { BenchTenant } from './setup.js';

/** One definition: the engine's times (cold = into empty tables, warm = nothing changed) and hand-written SQL's. */
export interface DefinitionTimes {
  key: string;
  engineCold: number;
  engineColdStage: number;
  /** The swap transaction of the cold refresh (the rest of engineCold: staging, ANALYZE, bookkeeping). */
  engineColdSwap: number;
  /** ANALYZE of tag_values before the cold staging (it reads tags written earlier in the job). */
  engineColdAnalyze: number;
  engineWarm: number;
  engineWarmStage: number;
  /** Rows the warm refresh wrote (nothing changed: must be 0). */
  engineWarmChanged: number;
  handCompute: number;
  handRewrite: number;
  /** Members whose engine value differs from the hand-written one (must be 0). */
  mismatches: number;
}

export interface FullRefreshResult {
  /** Member batches; null = one set-based statement per definition (the default). */
  batchSize: number | null;
  definitions: DefinitionTimes[];
  totals: { engineCold: number; engineColdStage: number; engineWarm: number; engineWarmStage: number; handCompute: number; handRewrite: number };
}

const sec = (t0: number) => (performance.now() - t0) / 1000;

/** Removes the tenant's definitions and everything materialised from them. */
async function reset(t: BenchTenant): Promise<void> {
  for (const table of ['tag_values', 'audience_members', 'audience_changes', 'refresh_recheck', 'refresh_jobs', 'dirty_members', 'audiences', 'tag_definitions']) {
    await t.pools.admin.query(`delete from ${table} where tenant_id = $1`, [t.tenantId]);
  }
  await t.pools.admin.query('vacuum analyze tag_values, audience_members, audience_changes');
}

async function fullRefresh(t: BenchTenant, batchSize: number | undefined): Promise<DefinitionReport[] & { asOf?: Date }> {
  await withTenant(t.pools.app, t.tenantId, (db) => queueJob(db, t.tenantId, 'all', 'bench'));
  const job = await claimJob(t.pools.app, t.tenantId);
  if (!job) throw new Error('no job to claim');
  const reports: DefinitionReport[] & { asOf?: Date } = await runJob(t.pools.app, t.tenantId, job, { batchSize, maintenance: t.pools.admin });
  reports.asOf = job.as_of ?? undefined;
  const failed = reports.filter((r) => r.error);
  if (failed.length) throw new Error(`refresh failed: ${failed.map((r) => `${r.key}: ${r.error}`).join('; ')}`);
  return reports;
}

/**
 * The hand-written statements at `asOf`, as the application role in one session: compute into a
 * temporary table (what the engine's staging does), and a naive refresh of tag_values itself
 * under the name 'hw:NAME' (delete every row of it, insert every value, one transaction: the same
 * table and indexes the engine writes). Both with the engine's settings (REFRESH_SETTINGS). With `compare`, counts
 * members whose engine value differs.
 */
async function handPass(t: BenchTenant, asOf: Date, compare: boolean) {
  const client = await t.pools.app.connect();
  const out: Array<{ key: string; compute: number; rewrite: number; mismatches: number }> = [];
  const tx = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query(`begin; select set_config('app.tenant_id', '${t.tenantId}', true)`);
    await tuneRefreshTransaction(client); // the engine's settings: the comparison measures the SQL, not a setting
    const r = await fn();
    await client.query('commit');
    return r;
  };
  try {
    for (const { key, sql } of HAND_WRITTEN) {
      const table = handTable(key);
      const name = key.split(':')[1];
      await client.query(`drop table if exists ${table}`);
      let t0 = performance.now();
      await tx(() => client.query(`create temp table ${table} as ${sql}`, [t.tenantId, asOf]));
      const compute = sec(t0);
      await client.query(`analyze ${table}`);
      t0 = performance.now();
      await tx(async () => {
        await client.query('delete from tag_values where tenant_id = $1 and tag_name = $2', [t.tenantId, `hw:${name}`]);
        await client.query(`insert into tag_values (tenant_id, tag_name, member_id, value)
          select $1, $3, member_id, value from (${sql}) q where value is not null`, [t.tenantId, asOf, `hw:${name}`]);
      });
      const rewrite = sec(t0); // computes again inside its insert: compute + write
      let mismatches = 0;
      if (compare) {
        const engine = key.startsWith('tag:')
          ? `select member_id, value from tag_values where tenant_id = $1 and tag_name = $2`
          : `select member_id, 'true'::jsonb as value from audience_members where tenant_id = $1 and audience_name = $2`;
        mismatches = (await tx(() => client.query<{ n: number }>(
          `select count(*)::int as n from (${engine}) e full join ${table} h on h.member_id = e.member_id
            where h.member_id is null or e.member_id is null or h.value <> e.value`, [t.tenantId, name]))).rows[0].n;
      }
      out.push({ key, compute, rewrite, mismatches });
    }
    return out;
  } finally {
    for (const { key } of HAND_WRITTEN) await client.query(`drop table if exists ${handTable(key)}`).catch(() => undefined);
    client.release();
  }
}

/**
 * The demo definitions refreshed by the engine, cold (empty tag_values) and warm (again, nothing
 * changed), against handPass before and after it (averaged; the first pass also warms the caches).
 * Checks every engine value against the hand-written result at the engine's asOf.
 */
export async function benchFullRefresh(t: BenchTenant, batchSize?: number): Promise<FullRefreshResult> {
  await reset(t);
  await withTenant(t.pools.app, t.tenantId, async (db) => {
    for (const source of DEMO_TAGS) {
      const { name } = await defineTag(db, t.tenantId, source, 'bench');
      await publishTag(db, t.tenantId, name, 'bench', { queueRefresh: false });
    }
    for (const source of DEMO_AUDIENCES) await defineAudience(db, t.tenantId, source, 'bench', { queueRefresh: false });
  });
  const first = await handPass(t, new Date(), false); // also warms the caches the engine found warm or cold
  // as autovacuum would after a bulk insert: otherwise the engine's first reads and ANALYZE of
  // tag_values pay for the hand-written rows' hint bits and statistics
  await t.pools.admin.query('vacuum analyze tag_values');
  const cold = await fullRefresh(t, batchSize);
  const warm = await fullRefresh(t, batchSize);
  const second = await handPass(t, warm.asOf!, true); // the same evaluation time as the engine's last refresh
  await t.pools.admin.query(`delete from tag_values where tenant_id = $1 and tag_name like 'hw:%'`, [t.tenantId]);
  const definitions: DefinitionTimes[] = second.map((h, i) => {
    const c = cold.find((r) => r.key === h.key)!;
    const w = warm.find((r) => r.key === h.key)!;
    return { key: h.key, engineCold: c.seconds, engineColdStage: c.stageSeconds, engineColdSwap: c.swapSeconds, engineColdAnalyze: c.analyzeSeconds, engineWarm: w.seconds,
      engineWarmStage: w.stageSeconds, engineWarmChanged: w.changed,
      handCompute: (h.compute + first[i].compute) / 2, handRewrite: (h.rewrite + first[i].rewrite) / 2, mismatches: h.mismatches };
  });
  const sum = (f: (d: DefinitionTimes) => number) => definitions.reduce((a, d) => a + f(d), 0);
  return {
    batchSize: batchSize ?? null,
    definitions,
    totals: { engineCold: sum((d) => d.engineCold), engineColdStage: sum((d) => d.engineColdStage), engineWarm: sum((d) => d.engineWarm),
      engineWarmStage: sum((d) => d.engineWarmStage),
      handCompute: sum((d) => d.handCompute), handRewrite: sum((d) => d.handRewrite) },
  };
}
