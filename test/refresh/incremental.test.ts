import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { withTenant } from '../../connectors/store/pool.js';
import { PlanCache, processDirtyMembers } from '../../connectors/refresh/incremental.js';
import { swapTagFromStage } from '../../connectors/tags/apply.js';
import { queueJob, claimJob } from '../../connectors/refresh/jobs.js';
import { CHURN_RECALL, HIGH_VALUE, LIFECYCLE, audienceMembers, importOrder, install, markDirty, runQueuedJobs, seedMembers, tagValues } from './fixtures.js';

let db: TestDatabase;
let tenant: string;
let members: string[];
const plans = new PlanCache();

const VIEWER = `tag recent_viewer: boolean = count(events.view_product within 30 days) >= 1`;
const RFM_M = `tag rfm_m: number = quintile(sum(orders.amount within 365 days))`;
const GOLD = `tag gold: boolean = level >= 2`;

const pass = () => processDirtyMembers(db.app, tenant, plans, { limit: 100 });

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  members = await seedMembers(db, tenant, 40);
  await install(db, tenant, [HIGH_VALUE, LIFECYCLE, VIEWER, RFM_M, GOLD], [CHURN_RECALL]);
  await runQueuedJobs(db, tenant, 50);
});

describe('incremental re-evaluation', () => {
  it('an order re-evaluates only the definitions that read orders, for only that member, readers after what they read', async () => {
    // a member with a phone and no order: lifecycle "new", not high value
    const m = members.find((_, i) => (i + 1) % 3 === 0 && (i + 1) % 4 === 0)!;
    expect((await tagValues(db, tenant, 'lifecycle'))[m]).toBe('new');
    await importOrder(db, tenant, m, 6000, 200); // 200 days ago: high value, and churned
    const stats = await pass();
    expect(stats.claimed).toBe(1);
    // not recent_viewer (events), not gold (member fields only), not rfm_m (batch-only)
    expect(stats.definitions.map((d) => [d.key, d.members, d.changed])).toEqual([
      ['tag:high_value', 1, 1], ['tag:lifecycle', 1, 1], ['audience:churn_recall', 1, 1],
    ]);
    expect((await tagValues(db, tenant, 'high_value'))[m]).toBe(true);
    expect((await tagValues(db, tenant, 'lifecycle'))[m]).toBe('churned');
    expect(await audienceMembers(db, tenant, 'churn_recall')).toContain(m);
    const log = await db.admin.query(
      `select member_id, kind from audience_changes where tenant_id = $1 and audience_name = 'churn_recall' order by seq desc limit 1`, [tenant]);
    expect(log.rows[0]).toEqual({ member_id: m, kind: 'ENTERED' });
    expect((await pass()).claimed).toBe(0); // the claim removed the dirty row
  });

  it('an event touches only event definitions; a member edit touches every incremental definition', async () => {
    const m = members[2]; // level 0
    await db.admin.query(
      `insert into events (tenant_id, event_id, member_id, name, occurred_at) values ($1, 'e1', $2, 'view_product', now() - interval '1 day')`,
      [tenant, m]);
    await withTenant(db.app, tenant, (c) => markDirty(c, tenant, [m], ['events']));
    const events = await pass();
    expect(events.definitions.map((d) => [d.key, d.changed])).toEqual([['tag:recent_viewer', 1]]);
    expect((await tagValues(db, tenant, 'recent_viewer'))[m]).toBe(true);

    await db.admin.query('update members set level = 2 where tenant_id = $1 and member_id = $2', [tenant, m]);
    await withTenant(db.app, tenant, (c) => markDirty(c, tenant, [m], ['member']));
    const edit = await pass();
    expect(edit.definitions.map((d) => d.key)).toEqual(
      ['tag:high_value', 'tag:lifecycle', 'audience:churn_recall', 'tag:gold', 'tag:recent_viewer']);
    expect(edit.definitions.find((d) => d.key === 'tag:gold')!.changed).toBe(1);
    expect(edit.definitions.find((d) => d.key === 'tag:recent_viewer')!.changed).toBe(0); // evaluated, unchanged, not rewritten
  });

  it('claims in batches: each member once, dirty rows gone', async () => {
    await withTenant(db.app, tenant, (c) => markDirty(c, tenant, members.slice(0, 30), ['orders']));
    const first = await processDirtyMembers(db.app, tenant, plans, { limit: 25 });
    const second = await processDirtyMembers(db.app, tenant, plans, { limit: 25 });
    expect([first.claimed, second.claimed]).toEqual([25, 5]);
    expect(first.definitions[0]).toMatchObject({ key: 'tag:high_value', members: 25 });
    const left = await db.admin.query('select count(*)::int as n from dirty_members where tenant_id = $1', [tenant]);
    expect(left.rows[0].n).toBe(0);
  });

  it('two workers claiming at once never take the same member', async () => {
    await withTenant(db.app, tenant, (c) => markDirty(c, tenant, members, ['events']));
    const [a, b] = await Promise.all([
      processDirtyMembers(db.app, tenant, plans, { limit: 30 }), processDirtyMembers(db.app, tenant, plans, { limit: 30 })]);
    expect(a.claimed + b.claimed).toBe(members.length);
    expect((await pass()).claimed).toBe(0);
  });

  it('while a full refresh runs, members the worker re-evaluated keep their newer value through the swap', async () => {
    const m = members[10];
    const job = await withTenant(db.app, tenant, async (c) => {
      await queueJob(c, tenant, 'tag:gold', 'test');
      return null;
    }).then(() => claimJob(db.app, tenant));
    expect(job).not.toBeNull();
    await db.admin.query('update members set level = 2 where tenant_id = $1 and member_id = $2', [tenant, m]);
    await withTenant(db.app, tenant, (c) => markDirty(c, tenant, [m], ['member']));
    await pass(); // the worker writes gold = true and records the recheck
    expect((await tagValues(db, tenant, 'gold'))[m]).toBe(true);
    // the job's staging copy was computed before the change: it says false for m
    const client = await db.app.connect();
    try {
      await client.query('create temp table stale_stage (member_id bigint, value jsonb)');
      await client.query(`insert into stale_stage values ($1, 'false'::jsonb)`, [m]);
      await client.query(`begin; select set_config('app.tenant_id', '${tenant}', true)`);
      const before = (await client.query(`select value from tag_values where tenant_id = $1 and tag_name = 'gold' and member_id = $2`, [tenant, m])).rows[0];
      const w = await swapTagFromStage(client, tenant, 'gold', 'pg_temp.stale_stage', job!.job_id, new Date());
      const after = (await client.query(`select value from tag_values where tenant_id = $1 and tag_name = 'gold' and member_id = $2`, [tenant, m])).rows[0];
      await client.query('rollback');
      expect(before.value).toBe(true);
      expect(after.value).toBe(true); // left alone
      expect(w.deleted).toBe(members.length - 1); // everyone else was not staged: their rows go
    } finally {
      await client.query('drop table if exists stale_stage').catch(() => undefined);
      client.release();
    }
  });
});
