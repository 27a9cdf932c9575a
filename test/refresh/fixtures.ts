import { withTenant, type Queryable } from '../../connectors/store/pool.js';
import { defineTag, publishTag } from '../../connectors/tags/lifecycle.js';
import { defineAudience } from '../../connectors/audiences/lifecycle.js';
import { claimJob, getJob, type JobRow } from '../../connectors/refresh/jobs.js';
import { runJob, type DefinitionReport } from '../../connectors/refresh/full-refresh.js';
import type { TestDatabase } from '../support/db.js';

/** The examples of tag-dsl.md that the tests materialise. */
export const HIGH_VALUE = `tag high_value: boolean
  label "高价值客户"
  category "消费属性/价值"
  = sum(orders.amount where status in ["paid", "completed"] within 365 days) >= 5000`;

export const LIFECYCLE = `tag lifecycle: enum("new", "normal", "member", "super", "churned")
  label "生命周期"
  category "行为属性/生命周期"
  = case
      when count(orders) = 0 then "new"
      when days_since(last(orders.created_at)) > 180 then "churned"
      when tag.high_value then "super"
      when level >= 1 then "member"
      else "normal"
    end`;

export const CHURN_RECALL = `audience churn_recall
  label "流失召回"
  = tag.lifecycle = "churned" and phone is not null`;

/**
 * `n` members with a deterministic mix: every third has a phone, level cycles 0..2, and member i has
 * i % 4 orders of 1,000 * (i % 7) CNY, paid, placed (i * 13) % 400 days ago. Returns member ids in order.
 */
export async function seedMembers(db: TestDatabase, tenantId: string, n: number): Promise<string[]> {
  const r = await db.admin.query<{ member_id: string }>(
    `insert into members (tenant_id, name, phone, level)
     select $1, 'm' || g, case when g % 3 = 0 then '138' || lpad(g::text, 8, '0') end, g % 3
       from generate_series(1, $2) g order by g returning member_id`, [tenantId, n]);
  const ids = r.rows.map((x) => x.member_id);
  await db.admin.query(
    `insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
     select $1, m.id, 'tmall', 'o' || m.i || '_' || k, 'paid', 1000 * (m.i % 7), now() - ((m.i * 13) % 400) * interval '1 day' - k * interval '1 hour'
       from unnest($2::bigint[]) with ordinality as m(id, i), generate_series(1, 3) k
      where k <= m.i % 4`, [tenantId, ids]);
  return ids;
}

/** Inserts an order for a member and marks the member dirty, as ingestion does, in one transaction. */
export async function importOrder(db: TestDatabase, tenantId: string, memberId: string, amount: number, daysAgo = 1): Promise<void> {
  await withTenant(db.app, tenantId, async (c) => {
    await c.query(
      `insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
       values ($1, $2, 'jd', 'x' || gen_random_uuid(), 'paid', $3, now() - $4 * interval '1 day')`, [tenantId, memberId, amount, daysAgo]);
    await markDirty(c, tenantId, [memberId], ['orders']);
  });
}

/** Marks members dirty for `collections` (the ingestion side of the contract). */
export async function markDirty(db: Queryable, tenantId: string, memberIds: string[], collections: string[]): Promise<void> {
  await db.query(
    `insert into dirty_members (tenant_id, member_id, collections) select $1, m, $3 from unnest($2::bigint[]) m
     on conflict (tenant_id, member_id) do update set collections = (
       select array_agg(distinct c) from unnest(dirty_members.collections || excluded.collections) c)`,
    [tenantId, memberIds, collections]);
}

/** Defines and publishes tags (in order) and defines audiences, as a data PM would. */
export async function install(db: TestDatabase, tenantId: string, tags: string[], audiences: string[] = []): Promise<void> {
  for (const source of tags) {
    await withTenant(db.app, tenantId, async (c) => {
      const { name } = await defineTag(c, tenantId, source, 'test');
      await publishTag(c, tenantId, name, 'test');
    });
  }
  for (const source of audiences) await withTenant(db.app, tenantId, (c) => defineAudience(c, tenantId, source, 'test'));
}

/** Claims and runs the tenant's queued jobs one after another, as the worker does; returns them finished. */
export async function runQueuedJobs(db: TestDatabase, tenantId: string, batchSize = 7): Promise<Array<{ job: JobRow; reports: DefinitionReport[] }>> {
  const done: Array<{ job: JobRow; reports: DefinitionReport[] }> = [];
  for (;;) {
    const job = await claimJob(db.app, tenantId);
    if (!job) return done;
    const reports = await runJob(db.app, tenantId, job, { batchSize });
    const finished = await withTenant(db.app, tenantId, (c) => getJob(c, tenantId, job.job_id));
    done.push({ job: finished!, reports });
  }
}

/** tag_values of a tag as { memberId: value }. */
export async function tagValues(db: TestDatabase, tenantId: string, tag: string): Promise<Record<string, unknown>> {
  const r = await db.admin.query<{ member_id: string; value: unknown }>(
    'select member_id, value from tag_values where tenant_id = $1 and tag_name = $2 order by member_id', [tenantId, tag]);
  return Object.fromEntries(r.rows.map((x) => [x.member_id, x.value]));
}

/** Members of an audience, sorted. */
export async function audienceMembers(db: TestDatabase, tenantId: string, audience: string): Promise<string[]> {
  const r = await db.admin.query<{ member_id: string }>(
    'select member_id from audience_members where tenant_id = $1 and audience_name = $2 order by member_id', [tenantId, audience]);
  return r.rows.map((x) => x.member_id);
}
