import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { HIGH_VALUE, LIFECYCLE, CHURN_RECALL, runQueuedJobs, seedMembers } from '../refresh/fixtures.js';

let db: TestDatabase;
let gw: TestGateway;
let tenant: { tenantId: string; token: string };
let members: string[];

const DEFINE = `mutation ($s: String!) { defineTag(source: $s) { name version publishedVersion status type category batchOnly unpublishedChanges } }`;
const PUBLISH = `mutation ($n: String!) { publishTag(name: $n) { name status version publishedVersion } }`;
const DEPRECATE = `mutation ($n: String!) { deprecateTag(name: $n) { name status } }`;
const DRY_RUN = `query ($n: String!) { dryRunTag(name: $n) { version publishedVersion gained lost changed unchanged } }`;

async function gql(query: string, variables: Record<string, unknown> = {}, token = tenant.token): Promise<any> {
  return (await gw.graphql(query, variables, token)).body;
}

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  tenant = await createTenantWithToken(db, 'authoring');
  members = await seedMembers(db, tenant.tenantId, 30);
});

describe('tag lifecycle', () => {
  it('a bad source is a DSL_ERROR with the positioned errors; nothing is stored', async () => {
    const body = await gql(DEFINE, { s: 'tag broken: boolean = gendr = "M"' });
    expect(body.errors[0].extensions.code).toBe('DSL_ERROR');
    expect(body.errors[0].extensions.errors[0]).toMatchObject({ line: 1, column: 23, suggestion: 'gender' });
    const tags = await db.admin.query('select count(*)::int as n from tag_definitions where tenant_id = $1', [tenant.tenantId]);
    expect(tags.rows[0].n).toBe(0);
  });

  it('defines a draft, publishes it, and keeps every version with who defined it and when', async () => {
    const first = await gql(DEFINE, { s: HIGH_VALUE });
    expect(first.data.defineTag).toEqual({ name: 'high_value', version: 1, publishedVersion: null, status: 'draft', type: 'boolean',
      category: '消费属性/价值', batchOnly: false, unpublishedChanges: true });
    expect((await gql(PUBLISH, { n: 'high_value' })).data.publishTag).toEqual({ name: 'high_value', status: 'published', version: 1, publishedVersion: 1 });
    const same = await gql(DEFINE, { s: HIGH_VALUE });
    expect(same.data.defineTag.version).toBe(1); // the same source is not a new version
    const changed = HIGH_VALUE.replace('>= 5000', '>= 3000');
    const second = await gql(DEFINE, { s: changed });
    expect(second.data.defineTag).toMatchObject({ version: 2, publishedVersion: 1, status: 'published', unpublishedChanges: true });
    const versions = await gql(`{ tag(name: "high_value") { versions { version source createdBy createdAt } } }`);
    const list = versions.data.tag.versions;
    expect(list.map((v: any) => [v.version, v.source, v.createdBy])).toEqual([[2, changed, 'admin'], [1, HIGH_VALUE, 'admin']]);
    expect(Date.parse(list[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(list[1].createdAt));
  });

  it('a dry run counts members that would gain, lose, change or keep their value', async () => {
    await runQueuedJobs(db, tenant.tenantId); // materialise version 1 (>= 5000)
    const values = await db.admin.query(`select value, count(*)::int as n from tag_values where tenant_id = $1 and tag_name = 'high_value' group by value`, [tenant.tenantId]);
    const count = (v: boolean) => values.rows.find((r) => r.value === v)?.n ?? 0;
    // version 2 (>= 3000) in SQL: who would flip from false to true
    const flips = await db.admin.query(
      `select count(*)::int as n from members m where m.tenant_id = $1 and (select coalesce(sum(amount), 0) from orders o
         where o.tenant_id = m.tenant_id and o.member_id = m.member_id and o.created_at > now() - interval '365 days') between 3000 and 4999.99`,
      [tenant.tenantId]);
    expect(flips.rows[0].n).toBeGreaterThan(0);
    const run = (await gql(DRY_RUN, { n: 'high_value' })).data.dryRunTag;
    expect(run).toEqual({ version: 2, publishedVersion: 1, gained: 0, lost: 0, changed: flips.rows[0].n,
      unchanged: count(true) + count(false) - flips.rows[0].n });
    expect(count(true) + count(false)).toBe(members.length);
  });

  it('deprecating a tag that published definitions read fails and names them', async () => {
    await gql(PUBLISH, { n: 'high_value' });
    await gql(DEFINE, { s: LIFECYCLE });
    expect((await gql(PUBLISH, { n: 'lifecycle' })).errors).toBeUndefined();
    expect((await gql(`mutation ($s: String!) { defineAudience(source: $s) { name } }`, { s: CHURN_RECALL })).errors).toBeUndefined();
    const refused = await gql(DEPRECATE, { n: 'lifecycle' });
    expect(refused.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(refused.errors[0].message).toBe('tag lifecycle cannot be deprecated: audience:churn_recall depends on it');
    const deps = await gql(`{ tag(name: "high_value") { dependants } }`);
    expect(deps.data.tag.dependants).toEqual(['tag:lifecycle']);
  });

  it('a tag that reads a draft cannot be published; a deprecated tag leaves new definitions', async () => {
    await gql(DEFINE, { s: 'tag spender: number = sum(orders.amount)' });
    await gql(DEFINE, { s: 'tag big_spender: boolean = tag.spender > 10000' });
    const refused = await gql(PUBLISH, { n: 'big_spender' });
    expect(refused.errors[0].message).toBe('tag big_spender reads tag:spender, which is not published: publish it first');
    expect((await gql(DEPRECATE, { n: 'big_spender' })).data.deprecateTag.status).toBe('deprecated');
    expect((await gql(DEPRECATE, { n: 'spender' })).data.deprecateTag.status).toBe('deprecated');
    const gone = await gql(DEFINE, { s: 'tag again: boolean = tag.spender > 1' });
    expect(gone.errors[0].extensions.code).toBe('DSL_ERROR');
  });

  it('shows batch-only tags and their last full refresh', async () => {
    await gql(DEFINE, { s: 'tag rfm_m: number = quintile(sum(orders.amount within 365 days))' });
    await gql(PUBLISH, { n: 'rfm_m' });
    const before = await gql(`{ tag(name: "rfm_m") { batchOnly lastRefreshedAt } }`);
    expect(before.data.tag).toEqual({ batchOnly: true, lastRefreshedAt: null });
    const jobs = await runQueuedJobs(db, tenant.tenantId);
    const job = jobs.find((j) => j.job.target === 'tag:rfm_m')!;
    expect(job.reports).toMatchObject([{ key: 'tag:rfm_m', batches: 1 }]); // one set-based pass, not member batches
    const after = await gql(`{ tag(name: "rfm_m") { batchOnly lastRefreshedAt } }`);
    expect(after.data.tag.lastRefreshedAt).toBe(job.job.as_of!.toISOString());
  });

  it('a redefinition that would close a cycle through published tags is a DSL_ERROR', async () => {
    await gql(DEFINE, { s: 'tag base_score: number = count(orders)' });
    await gql(PUBLISH, { n: 'base_score' });
    await gql(DEFINE, { s: 'tag double_score: number = tag.base_score * 2' });
    expect((await gql(PUBLISH, { n: 'double_score' })).errors).toBeUndefined();
    const cycle = await gql(DEFINE, { s: 'tag base_score: number = tag.double_score + 1' });
    expect(cycle.errors[0].extensions.code).toBe('DSL_ERROR');
    expect(cycle.errors[0].extensions.errors.map((e: any) => e.code)).toContain('CYCLE');
    const versions = await gql(`{ tag(name: "base_score") { version } }`);
    expect(versions.data.tag.version).toBe(1);
  });

  it('the category tree counts tags per node and below', async () => {
    const body = await gql(`{ tagCategories { name path tagCount ownTagCount children { name path tagCount ownTagCount children { name } } } }`);
    expect(body.data.tagCategories).toEqual([
      { name: '消费属性', path: '消费属性', tagCount: 1, ownTagCount: 0, children: [
        { name: '价值', path: '消费属性/价值', tagCount: 1, ownTagCount: 1, children: [] }] },
      { name: '行为属性', path: '行为属性', tagCount: 1, ownTagCount: 0, children: [
        { name: '生命周期', path: '行为属性/生命周期', tagCount: 1, ownTagCount: 1, children: [] }] },
    ]);
  });

  it('tags:write narrowed by category allows that category only, naming the scope it lacks', async () => {
    const narrow = await issueTestToken(db, tenant.tenantId, 'value-team', ['tags:write:消费属性', 'tags:read']);
    const ok = await gql(DEFINE, { s: 'tag big_order: boolean category "消费属性/订单" = max(orders.amount) > 3000' }, narrow);
    expect(ok.data.defineTag.name).toBe('big_order');
    const denied = await gql(DEFINE, { s: 'tag login_days: number category "行为属性" = count(events.login)' }, narrow);
    expect(denied.errors[0]).toMatchObject({ message: 'missing scope tags:write:login_days', extensions: { code: 'FORBIDDEN' } });
    const reader = await issueTestToken(db, tenant.tenantId, 'reader', ['tags:read']);
    expect((await gql(PUBLISH, { n: 'big_order' }, reader)).errors[0].message).toBe('missing scope tags:write');
  });
});
