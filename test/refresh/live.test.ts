import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import { RefreshWorker } from '../../connectors/refresh/worker.js';
import type { IncrementalStats } from '../../connectors/refresh/incremental.js';
import { HIGH_VALUE, seedMembers } from './fixtures.js';

let db: TestDatabase;
let gw: TestGateway;
let worker: RefreshWorker;
let tenant: { tenantId: string; token: string };
let members: string[];
const passes: IncrementalStats[] = [];

const VIP = `audience vip_buyers label "高价值有手机" = tag.high_value and phone is not null`;
const RECENT_VIEWS = `tag recent_views: number = count(events.view_product within 30 days)`;
const PROGRESS = `subscription ($id: ID!) { refreshProgress(jobId: $id) { id state processed total } }`;
const CHANGES = `subscription ($a: String!, $after: String) { audienceChanges(audience: $a, after: $after) { kind memberId } }`;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const body = (await gw.graphql(query, variables, tenant.token)).body;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Follows a job through refreshProgress until it ends; returns every update. */
async function follow(jobId: string): Promise<Array<{ state: string; processed: number; total: number }>> {
  const sub = subscribe<any>(gw.url, tenant.token, PROGRESS, { id: jobId });
  for (let n = 1; ; n++) {
    const got = await sub.waitFor(n, 30_000);
    if (['succeeded', 'failed'].includes(got[n - 1].refreshProgress.state)) break;
  }
  await sub.dispose();
  return sub.received.map((r) => r.refreshProgress);
}

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  tenant = await createTenantWithToken(db, 'live-refresh');
  members = await seedMembers(db, tenant.tenantId, 40);
  // PHONE identities, as ingestion would have stored them with the members
  await db.admin.query(`insert into identities (tenant_id, kind, value, member_id)
    select tenant_id, 'PHONE', phone, member_id from members where tenant_id = $1 and phone is not null`, [tenant.tenantId]);
  worker = new RefreshWorker({ pools: db, pollMs: 50, batchSize: 15, fullRefreshIntervalMs: null, onIncremental: (_t, s) => passes.push(s) });
  await worker.start();
});

afterAll(() => worker.stop());

describe('materialisation, live', () => {
  it('refreshProgress streams a job from queued to succeeded, processed reaching total', async () => {
    await gql(`mutation ($s: String!) { defineTag(source: $s) { name } }`, { s: HIGH_VALUE });
    await gql(`mutation ($s: String!) { defineTag(source: $s) { name } }`, { s: RECENT_VIEWS });
    await gql(`mutation { a: publishTag(name: "high_value") { name } b: publishTag(name: "recent_views") { name } }`);
    await gql(`mutation ($s: String!) { defineAudience(source: $s) { name } }`, { s: VIP });
    const { refresh } = await gql(`mutation { refresh(target: "all") { id target state } }`);
    expect(refresh).toMatchObject({ target: 'all', state: 'queued' });
    const updates = await follow(refresh.id);
    const last = updates[updates.length - 1];
    expect(last).toEqual({ id: refresh.id, state: 'succeeded', processed: 3 * members.length, total: 3 * members.length });
    for (let i = 1; i < updates.length; i++) expect(updates[i].processed).toBeGreaterThanOrEqual(updates[i - 1].processed);
    const job = await gql(`query ($id: ID!) { refreshJob(id: $id) { state processed total startedAt finishedAt error } }`, { id: refresh.id });
    expect(job.refreshJob).toMatchObject({ state: 'succeeded', processed: 120, total: 120, error: null });
    expect(Date.parse(job.refreshJob.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.refreshJob.startedAt));
  });

  it('an imported order that moves a member into an audience reaches a live subscriber as ENTERED', async () => {
    const { audience } = await gql(`{ audience(name: "vip_buyers") { size changes(first: 100) { edges { cursor } } } }`);
    const edges = audience.changes.edges;
    const sub = subscribe<any>(gw.url, tenant.token, CHANGES, { a: 'vip_buyers', after: edges.length ? edges[edges.length - 1].cursor : null });
    const phone = await db.admin.query<{ member_id: string; phone: string }>(
      `select m.member_id, m.phone from members m where m.tenant_id = $1 and m.phone is not null and not exists (
         select 1 from audience_members a where a.tenant_id = m.tenant_id and a.audience_name = 'vip_buyers' and a.member_id = m.member_id)
       order by m.member_id limit 1`, [tenant.tenantId]);
    const buyer = phone.rows[0];
    passes.length = 0;
    const result = await gql(`mutation ($o: [OrderInput!]!) { importOrders(orders: $o) { accepted } }`, { o: [{
      channel: 'TMALL', channelOrderId: 'live-1', identities: [{ kind: 'PHONE', value: buyer.phone }],
      status: 'PAID', amount: 8888, createdAt: new Date(Date.now() - 3600_000).toISOString(), paidAt: new Date().toISOString() }] });
    expect(result.importOrders.accepted).toBe(1);
    const [change] = await sub.waitFor(1);
    expect(change.audienceChanges).toEqual({ kind: 'ENTERED', memberId: buyer.member_id });
    await sub.dispose();
    // the worker re-evaluated that member only, for the definitions reading orders (not recent_views)
    const evaluated = passes.flatMap((p) => p.definitions.map((d) => [d.key, d.members, d.changed]));
    expect(evaluated).toEqual([['tag:high_value', 1, 1], ['audience:vip_buyers', 1, 1]]);
    const after = await gql(`{ audience(name: "vip_buyers") { size } }`);
    expect(after.audience.size).toBe(audience.size + 1);
  });

  it('a changed tag definition reaches the audience through its refresh, with dry run numbers matching the outcome', async () => {
    await gql(`mutation ($s: String!) { defineTag(source: $s) { version } }`, { s: HIGH_VALUE.replace('>= 5000', '>= 100000') });
    const { dryRunTag } = await gql(`{ dryRunTag(name: "high_value") { gained lost changed unchanged } }`);
    const trueNow = await db.admin.query(`select count(*)::int as n from tag_values where tenant_id = $1 and tag_name = 'high_value' and value = 'true'`, [tenant.tenantId]);
    expect(dryRunTag).toEqual({ gained: 0, lost: 0, changed: trueNow.rows[0].n, unchanged: members.length - trueNow.rows[0].n });
    const { publishTag } = await gql(`mutation { publishTag(name: "high_value") { publishedVersion } }`);
    expect(publishTag.publishedVersion).toBe(2);
    const job = await db.admin.query(`select job_id from refresh_jobs where tenant_id = $1 and target = 'tag:high_value' order by job_id desc limit 1`, [tenant.tenantId]);
    const updates = await follow(job.rows[0].job_id);
    expect(updates[updates.length - 1]).toMatchObject({ state: 'succeeded', processed: 2 * members.length });
    const { audience } = await gql(`{ audience(name: "vip_buyers") { size } }`);
    expect(audience.size).toBe(0); // nobody spent 100,000
  });
});
