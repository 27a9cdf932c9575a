import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { withTenant } from '../../connectors/store/pool.js';
import { loadPlan } from '../../connectors/refresh/plan.js';
import { bindQuery } from '../../connectors/tags/compile.js';
import { queueJob } from '../../connectors/refresh/jobs.js';
import { CHURN_RECALL, HIGH_VALUE, LIFECYCLE, audienceMembers, install, runQueuedJobs, seedMembers, tagValues } from './fixtures.js';

let db: TestDatabase;
let tenant: string;
let members: string[];

/** What the published definition's compiled set-based query returns now, at `asOf`: { member: value } without nulls. */
async function compiledResult(key: string, asOf: Date): Promise<Record<string, unknown>> {
  return withTenant(db.app, tenant, async (c) => {
    const def = (await loadPlan(c, tenant)).byKey.get(key)!;
    const q = def.query('all');
    const r = await c.query<{ member_id: string; value: unknown }>(
      `select member_id, to_jsonb(value) as value from (${q.text}) q where value is not null order by member_id`,
      bindQuery(q, 'all', tenant, asOf));
    return Object.fromEntries(r.rows.map((x) => [x.member_id, x.value]));
  });
}

async function changeLog(audience: string): Promise<Array<[string, string]>> {
  const r = await db.admin.query<{ member_id: string; kind: string }>(
    'select member_id, kind from audience_changes where tenant_id = $1 and audience_name = $2 order by seq', [tenant, audience]);
  return r.rows.map((x) => [x.member_id, x.kind]);
}

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  members = await seedMembers(db, tenant, 60);
  await install(db, tenant, [HIGH_VALUE, LIFECYCLE], [CHURN_RECALL]);
});

describe('full refresh', () => {
  it('materialises each published definition exactly as its compiled query computes it, in dependency order', async () => {
    const jobs = await runQueuedJobs(db, tenant);
    expect(jobs.map((j) => [j.job.target, j.job.state])).toEqual([
      ['tag:high_value', 'succeeded'], ['tag:lifecycle', 'succeeded'], ['audience:churn_recall', 'succeeded'],
    ]);
    // the first job already refreshed everything reading high_value, readers after what they read
    expect(jobs[0].reports.map((r) => r.key)).toEqual(['tag:high_value', 'tag:lifecycle', 'audience:churn_recall']);
    const asOf = jobs[2].job.as_of!;
    const highValue = await tagValues(db, tenant, 'high_value');
    expect(highValue).toEqual(await compiledResult('tag:high_value', asOf));
    expect(Object.values(highValue).filter((v) => v === true).length).toBeGreaterThan(0);
    expect(Object.keys(highValue)).toHaveLength(members.length); // boolean tags have a value for everyone
    const lifecycle = await tagValues(db, tenant, 'lifecycle');
    expect(lifecycle).toEqual(await compiledResult('tag:lifecycle', asOf));
    expect(new Set(Object.values(lifecycle))).toEqual(new Set(['new', 'normal', 'member', 'super', 'churned']));
    const churn = await compiledResult('audience:churn_recall', asOf);
    const expected = Object.entries(churn).filter(([, v]) => v === true).map(([m]) => m);
    expect(await audienceMembers(db, tenant, 'churn_recall')).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  it('reports processed/total per batch, reaching total; the audience log holds one ENTERED per member; size is exact', async () => {
    const job = await withTenant(db.app, tenant, (c) => queueJob(c, tenant, 'all', 'test'));
    const progress: Array<[number, number]> = [];
    const watcher = setInterval(async () => {
      const r = await db.admin.query('select processed::int as p, total::int as t from refresh_jobs where job_id = $1', [job.job_id]);
      progress.push([r.rows[0].p, r.rows[0].t]);
    }, 5);
    const [done] = await runQueuedJobs(db, tenant, 7);
    clearInterval(watcher);
    expect(done.job).toMatchObject({ state: 'succeeded', total: 3 * members.length, processed: 3 * members.length, error: null });
    expect(done.reports.map((r) => r.batches)).toEqual([9, 9, 9]); // 60 members in batches of 7
    for (const [p, t] of progress) expect(p).toBeLessThanOrEqual(t);
    const inAudience = await audienceMembers(db, tenant, 'churn_recall');
    const log = await changeLog('churn_recall');
    expect(log).toEqual(inAudience.map((m) => [m, 'ENTERED']));
    const size = await db.admin.query('select size::int from audiences where tenant_id = $1 and name = $2', [tenant, 'churn_recall']);
    expect(size.rows[0].size).toBe(inAudience.length);
  });

  it('a refresh that finds nothing changed writes no row and appends no change', async () => {
    const before = await db.admin.query(`select count(*)::int as n, max(updated_at) as t from tag_values where tenant_id = $1`, [tenant]);
    await withTenant(db.app, tenant, (c) => queueJob(c, tenant, 'all', 'test'));
    const [done] = await runQueuedJobs(db, tenant);
    expect(done.reports.map((r) => [r.key, r.changed])).toEqual([
      ['tag:high_value', 0], ['tag:lifecycle', 0], ['audience:churn_recall', 0]]);
    const after = await db.admin.query(`select count(*)::int as n, max(updated_at) as t from tag_values where tenant_id = $1`, [tenant]);
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('members that no longer qualify exit, logged as EXITED after the earlier ENTERED', async () => {
    const inAudience = await audienceMembers(db, tenant, 'churn_recall');
    const leaving = inAudience.slice(0, 2);
    await db.admin.query('update members set phone = null where tenant_id = $1 and member_id = any($2::bigint[])', [tenant, leaving]);
    await withTenant(db.app, tenant, (c) => queueJob(c, tenant, 'audience:churn_recall', 'test'));
    const [done] = await runQueuedJobs(db, tenant);
    expect(done.reports).toMatchObject([{ key: 'audience:churn_recall', changed: 2 }]);
    expect(await audienceMembers(db, tenant, 'churn_recall')).toEqual(inAudience.slice(2));
    expect((await changeLog('churn_recall')).slice(-2)).toEqual(leaving.map((m) => [m, 'EXITED']));
  });

  it('a target that is not a published definition fails the job with a message', async () => {
    await withTenant(db.app, tenant, (c) => queueJob(c, tenant, 'tag:nope', 'test'));
    const [done] = await runQueuedJobs(db, tenant);
    expect(done.job).toMatchObject({ state: 'failed', error: 'tag:nope is not a published tag or audience' });
  });
});

describe('full refresh, set-based (one staging statement, one swap statement per definition)', () => {
  it('writes only differences: changed values updated in place, unchanged rows untouched; leavers logged EXITED then joiners ENTERED, each by member id, seq consecutive, size exact', async () => {
    const inAudience = await audienceMembers(db, tenant, 'churn_recall');
    const leavers = inAudience.slice(-2); // the highest ids: EXITED must still come first
    const lifecycle = await tagValues(db, tenant, 'lifecycle');
    const phones = (await db.admin.query<{ member_id: string }>(
      'select member_id from members where tenant_id = $1 and phone is not null order by member_id', [tenant])).rows.map((r) => r.member_id);
    const joiners = phones.filter((m) => lifecycle[m] === 'new').slice(0, 2);
    expect(leavers).toHaveLength(2);
    expect(joiners).toHaveLength(2);
    await db.admin.query('delete from orders where tenant_id = $1 and member_id = any($2::bigint[])', [tenant, leavers]);
    await db.admin.query(
      `insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
       select $1, m, 'jd', 'late' || m, 'paid', 10, now() - interval '200 days' from unnest($2::bigint[]) m`, [tenant, joiners]);
    const untouched = members.find((m) => !leavers.includes(m) && !joiners.includes(m))!;
    const stamp = async (m: string) => (await db.admin.query(
      `select updated_at from tag_values where tenant_id = $1 and tag_name = 'lifecycle' and member_id = $2`, [tenant, m])).rows[0].updated_at;
    const untouchedBefore = await stamp(untouched);
    const lastSeq = async () => (await db.admin.query<{ last_seq: string }>(
      'select last_seq from audiences where tenant_id = $1 and name = $2', [tenant, 'churn_recall'])).rows[0].last_seq;
    const seqBefore = Number(await lastSeq());

    await withTenant(db.app, tenant, (c) => queueJob(c, tenant, 'tag:lifecycle', 'test'));
    const [done] = await runQueuedJobs(db, tenant, Number.POSITIVE_INFINITY);
    expect(done.job.state).toBe('succeeded');
    expect(done.reports.map((r) => [r.key, r.batches, r.changed])).toEqual([
      ['tag:lifecycle', 1, 4], ['audience:churn_recall', 1, 4]]);
    const after = await tagValues(db, tenant, 'lifecycle');
    expect(after).toEqual(await compiledResult('tag:lifecycle', done.job.as_of!));
    expect(leavers.map((m) => after[m])).toEqual(['new', 'new']);
    expect(joiners.map((m) => after[m])).toEqual(['churned', 'churned']);
    expect(await stamp(untouched)).toEqual(untouchedBefore);

    const expected = [...inAudience.filter((m) => !leavers.includes(m)), ...joiners].sort((a, b) => Number(a) - Number(b));
    expect(await audienceMembers(db, tenant, 'churn_recall')).toEqual(expected);
    const log = await db.admin.query<{ seq: string; member_id: string; kind: string }>(
      'select seq, member_id, kind from audience_changes where tenant_id = $1 and audience_name = $2 and seq > $3 order by seq',
      [tenant, 'churn_recall', seqBefore]);
    expect(log.rows.map((x) => [x.member_id, x.kind])).toEqual([
      ...leavers.map((m) => [m, 'EXITED']), ...joiners.map((m) => [m, 'ENTERED'])]);
    expect(log.rows.map((x) => Number(x.seq))).toEqual([1, 2, 3, 4].map((i) => seqBefore + i));
    expect(Number(await lastSeq())).toBe(seqBefore + 4);
    const size = await db.admin.query('select size::int from audiences where tenant_id = $1 and name = $2', [tenant, 'churn_recall']);
    expect(size.rows[0].size).toBe(expected.length);
  });
});
