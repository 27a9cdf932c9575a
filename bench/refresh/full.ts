import { withTenant } from '../../connectors/store/pool.js';
import { defineTag, publishTag } from '../../connectors/tags/lifecycle.js';
import { defineAudience } from '../../connectors/audiences/lifecycle.js';
import { DEMO_AUDIENCES, DEMO_TAGS } from '../../connectors/tags/demo-definitions.js';
import { claimJob, queueJob } from '../../connectors/refresh/jobs.js';
import { runJob, type DefinitionReport } from '../../connectors/refresh/full-refresh.js';
import { HAND_WRITTEN, handTable } from './hand-written.js';
import type { BenchTenant } from './setup.js';

/** One definition: the engine's times (cold = into empty tables, warm = nothing changed) and hand-written SQL's. */
export interface DefinitionTimes {
  key: string;
  engineCold: number;
  engineColdStage: number;
  engineWarm: number;
  handCompute: number;
  handRewrite: number;
  /** Members whose engine value differs from the hand-written one (must be 0). */
  mismatches: number;
}

export interface FullRefreshResult {
  /** Member batches; null = one set-based statement per definition (the default). */
  batchSize: number | null;
  definitions: DefinitionTimes[];
  totals: { engineCold: number; engineColdStage: number; engineWarm: number; handCompute: number; handRewrite: number };
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
  const reports: DefinitionReport[] & { asOf?: Date } = await runJob(t.pools.app, t.tenantId, job, { batchSize });
  reports.asOf = job.as_of ?? undefined;
  const failed = reports.filter((r) => r.error);
  if (failed.length) throw new Error(`refresh failed: ${failed.map((r) => `${r.key}: ${r.error}`).join('; ')}`);
  return reports;
}

/**
 * The demo definitions refreshed by the engine, cold (empty tag_values) and warm (again, nothing
 * changed), against the hand-written statements of hand-written.ts run in the same database as the
 * same role under the same row-level security: compute into a temporary table (what the engine's
 * staging does), and compute + rewrite a tag_values-shaped table the naive way (delete all, insert
 * all, one transaction). Checks every value against the hand-written result.
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
  const cold = await fullRefresh(t, batchSize);
  await t.pools.admin.query('analyze tag_values, audience_members');
  const warm = await fullRefresh(t, batchSize);

  await t.pools.admin.query('create table if not exists bench_tag_values (like tag_values including all)');
  await t.pools.admin.query('grant select, insert, update, delete on bench_tag_values to cdp_app');
  await t.pools.admin.query('alter table bench_tag_values enable row level security');
  await t.pools.admin.query('alter table bench_tag_values force row level security');
  await t.pools.admin.query(`do $$ begin create policy tenant_isolation on bench_tag_values using (tenant_id = cdp_current_tenant())
    with check (tenant_id = cdp_current_tenant()); exception when duplicate_object then null; end $$`);
  await t.pools.admin.query('truncate bench_tag_values');
  const asOf = warm.asOf!; // the same evaluation time as the engine's last refresh: values comparable
  const client = await t.pools.app.connect();
  const definitions: DefinitionTimes[] = [];
  try {
    const tx = async <T>(fn: () => Promise<T>): Promise<T> => {
      await client.query(`begin; select set_config('app.tenant_id', '${t.tenantId}', true)`);
      const r = await fn();
      await client.query('commit');
      return r;
    };
    for (const { key, sql } of HAND_WRITTEN) {
      const table = handTable(key);
      await client.query(`drop table if exists ${table}`);
      let t0 = performance.now();
      await tx(() => client.query(`create temp table ${table} as ${sql}`, [t.tenantId, asOf]));
      const handCompute = sec(t0);
      await client.query(`analyze ${table}`);
      const name = key.split(':')[1];
      t0 = performance.now();
      await tx(async () => {
        await client.query('delete from bench_tag_values where tenant_id = $1 and tag_name = $2', [t.tenantId, name]);
        await client.query(`insert into bench_tag_values (tenant_id, tag_name, member_id, value)
          select $1, $3, member_id, value from (${sql}) q where value is not null`, [t.tenantId, asOf, name]);
      });
      const handRewrite = sec(t0); // the rewrite computes again inside its insert
      const engine = key.startsWith('tag:')
        ? `select member_id, value from tag_values where tenant_id = $1 and tag_name = $2`
        : `select member_id, 'true'::jsonb as value from audience_members where tenant_id = $1 and audience_name = $2`;
      const diff = await tx(() => client.query<{ n: number }>(
        `select count(*)::int as n from (${engine}) e full join ${table} h on h.member_id = e.member_id
          where h.member_id is null or e.member_id is null or h.value <> e.value`, [t.tenantId, name]));
      const c = cold.find((r) => r.key === key)!;
      const w = warm.find((r) => r.key === key)!;
      definitions.push({ key, engineCold: c.seconds, engineColdStage: c.stageSeconds, engineWarm: w.seconds, handCompute, handRewrite,
        mismatches: diff.rows[0].n });
    }
  } finally {
    client.release();
  }
  const sum = (f: (d: DefinitionTimes) => number) => definitions.reduce((a, d) => a + f(d), 0);
  return {
    batchSize: batchSize ?? null,
    definitions,
    totals: { engineCold: sum((d) => d.engineCold), engineColdStage: sum((d) => d.engineColdStage), engineWarm: sum((d) => d.engineWarm),
      handCompute: sum((d) => d.handCompute), handRewrite: sum((d) => d.handRewrite) },
  };
}
