import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { seedReadFixture, type ReadFixture } from './read-fixture.js';

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let fx: ReadFixture;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  fx = await seedReadFixture(db, acme.tenantId, { members: 30, orders: 5, items: 2 });
});

const ok = async (query: string, variables: Record<string, unknown> = {}, token = acme.token) => {
  const r = await gw.graphql(query, variables, token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data;
};
const rankIds = (ranks: number[]) => ranks.map((k) => fx.memberIds[k - 1]);

const MEMBERS = `query ($where: String, $asOf: DateTime, $first: Int, $after: String) {
  members(where: $where, asOf: $asOf, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`;

describe('members(where:)', () => {
  it('filters by a DSL expression and pages the result with cursors', async () => {
    const where = 'level >= 2 and city = "杭州"'; // even ranks with rank % 4 = 2
    const page1 = await ok(MEMBERS, { where, first: 5 });
    expect(page1.members.totalCount).toBe(8);
    expect(page1.members.nodes.map((n: any) => n.id)).toEqual(rankIds([2, 6, 10, 14, 18]));
    const page2 = await ok(MEMBERS, { where, first: 5, after: page1.members.pageInfo.endCursor });
    expect(page2.members).toMatchObject({ pageInfo: { hasNextPage: false }, nodes: rankIds([22, 26, 30]).map((id) => ({ id })) });
  });

  it('reads materialised tags, audiences and order aggregates', async () => {
    const byTag = await ok(MEMBERS, { where: 'tag.lifecycle = "new" and audience.churn_recall', first: 100 });
    expect(byTag.members.nodes.map((n: any) => n.id)).toEqual(rankIds([4, 8, 12, 16, 20, 24, 28]));
    const byOrders = await ok(MEMBERS, { where: 'count(orders where status = "refunded") = 1 and sum(orders.amount) > 512', first: 100 });
    expect(byOrders.members.totalCount).toBe(30);
  });

  it('walks matches far apart a page at a time, as one page lists them, and finds a lone match at the end', async () => {
    const where = 'level = 3 and count(orders) > 0'; // ranks 3, 7, ..., 27
    const all = (await ok(MEMBERS, { where, first: 100 })).members.nodes.map((n: any) => n.id);
    expect(all).toEqual(rankIds([3, 7, 11, 15, 19, 23, 27]));
    const walked: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { members }: any = await ok(MEMBERS, { where, first: 2, after });
      walked.push(...members.nodes.map((n: any) => n.id));
      if (!members.pageInfo.hasNextPage) break;
      after = members.pageInfo.endCursor;
    }
    expect(walked).toEqual(all);
    const lone = await ok(MEMBERS, { where: 'birthday = date("1990-01-31") and count(orders) = 5', first: 1 });
    expect(lone.members).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false }, nodes: [{ id: rankIds([30])[0] }] });
  });

  it('pages a filter that ranks the whole population (quintile) as one evaluation of all members', async () => {
    const where = 'quintile(level) >= 4';
    const all = (await ok(MEMBERS, { where, first: 100 })).members;
    const page = (await ok(MEMBERS, { where, first: 3 })).members;
    expect(all.nodes.length).toBe(all.totalCount);
    expect(all.nodes.length).toBeGreaterThan(3);
    expect(page.nodes).toEqual(all.nodes.slice(0, 3));
  });

  it('evaluates windows at asOf and ignores rows after it', async () => {
    // order j of rank k is created at 2026-01-01 + (10k + j) hours (and 0.123456 s)
    const data = await ok(MEMBERS, { where: 'count(orders within 1 day) > 0', asOf: '2026-01-02T00:00:00Z', first: 100 });
    expect(data.members.nodes.map((n: any) => n.id)).toEqual(rankIds([1, 2]));
    const none = await ok(MEMBERS, { where: 'count(orders) > 0', asOf: '2025-12-31T00:00:00Z' });
    expect(none.members.totalCount).toBe(0);
  });

  it('answers bad source with DSL_ERROR and positioned errors', async () => {
    const r = await gw.graphql(MEMBERS, { where: 'levl >= 2' }, acme.token);
    expect(r.body.data).toBeNull();
    const e = r.body.errors![0];
    expect(e.extensions).toMatchObject({ code: 'DSL_ERROR', argument: 'where' });
    expect(e.extensions!.errors[0]).toMatchObject({ line: 1, column: 1, length: 4, suggestion: 'level' });
    expect(e.message).toMatch(/^argument "where": line 1, column 1: /);
    const notBoolean = await gw.graphql(MEMBERS, { where: 'level + 1' }, acme.token);
    expect(notBoolean.body.errors![0].extensions).toMatchObject({ code: 'DSL_ERROR' });
  });
});

describe('what a filter may read', () => {
  it('needs the scopes of the fields, collections, tags and audiences it reads', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'lister', ['members:read', 'tags:read:消费属性']);
    const cases: [string, string][] = [
      ['phone starts with "138"', 'missing scope pii'],
      ['name contains "会员1"', 'missing scope pii'],
      ['count(orders) > 1', 'missing scope orders:read'],
      ['count(items where category = "fruit") > 0', 'missing scope orders:read'],
      ['count(events) > 0', 'missing scope events:read'],
      ['tag.lifecycle = "new"', 'missing scope tags:read:lifecycle'],
      ['audience.churn_recall', 'missing scope audiences:read:churn_recall'],
    ];
    const planner = await issueTestToken(db, acme.tenantId, 'planner-no-pii', ['audiences:read', 'tags:read:消费属性']);
    for (const [where, message] of cases) {
      const r = await gw.graphql(MEMBERS, { where }, token);
      expect(r.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'FORBIDDEN' } });
      if (where.startsWith('audience.')) continue; // the planner may read audiences
      const p = await gw.graphql('query ($e: String!) { previewAudience(expression: $e) { count } }', { e: where }, planner);
      expect(p.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'FORBIDDEN' } });
    }
    const allowed = await ok(MEMBERS, { where: 'tag.high_value and level >= 3 and city = "宁波"', first: 100 }, token);
    expect(allowed.members.nodes.map((n: any) => n.id)).toEqual(rankIds([3, 7, 11, 15, 19, 23, 27]));
  });
});

describe('validateDsl', () => {
  it('returns type, dependencies and SQL for good source, and errors as data for bad source', async () => {
    const data = await ok(`query ($good: String!, $bad: String!) {
      good: validateDsl(source: $good) { ok type dependencies sql batchOnly errors { code } }
      bad: validateDsl(source: $bad) { ok type sql errors { code message line column length expected suggestion } } }`, {
      good: 'tag big_spender: boolean\n  label "大客户"\n  = sum(orders.amount within 365 days) >= 500 and tag.lifecycle = "member"',
      bad: 'tag x: number\n  = count(orders where chanel = "tmall")',
    });
    expect(data.good).toMatchObject({ ok: true, type: 'boolean', batchOnly: false, errors: [] });
    expect(data.good.dependencies).toEqual(expect.arrayContaining(['tag:lifecycle']));
    expect(data.good.sql).toMatch(/\$1::uuid/);
    expect(data.bad.ok).toBe(false);
    expect(data.bad.sql).toBeNull();
    expect(data.bad.errors[0]).toMatchObject({ line: 2, column: 24, length: 6, suggestion: 'channel' });
  });

  it('never throws, however broken the source', async () => {
    for (const source of ['', ')))(((', 'tag', '"unterminated', 'a'.repeat(5000), '(('.repeat(300)]) {
      const data = await ok('query ($s: String!) { validateDsl(source: $s) { ok errors { code line column } } }', { s: source });
      expect(data.validateDsl.ok).toBe(false);
      expect(data.validateDsl.errors.length).toBeGreaterThan(0);
    }
  });
});

describe('previewAudience', () => {
  it('returns the count, a sample of members and the SQL', async () => {
    const data = await ok(`{ previewAudience(expression: "level = 3", sample: 2) { count sample { id level } sql } }`);
    expect(data.previewAudience.count).toBe(7);
    expect(data.previewAudience.sample).toEqual(rankIds([3, 7]).map((id) => ({ id, level: 3 })));
    expect(data.previewAudience.sql).toMatch(/^select/);
    const none = await ok(`{ previewAudience(expression: "level > 10") { count sample { id } } }`);
    expect(none.previewAudience).toEqual({ count: 0, sample: [] });
  });

  it('needs audiences:read, and members:read for the sample; DSL_ERROR on bad source', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'planner', ['audiences:read']);
    expect((await ok('{ previewAudience(expression: "level = 3") { count } }', {}, token)).previewAudience.count).toBe(7);
    const sample = await gw.graphql('{ previewAudience(expression: "level = 3") { sample { id } } }', {}, token);
    expect(sample.body.errors?.[0].message).toBe('missing scope members:read');
    const bad = await gw.graphql('{ previewAudience(expression: "level = ") { count } }', {}, acme.token);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'DSL_ERROR', argument: 'expression' });
    const tooMany = await gw.graphql('{ previewAudience(expression: "level = 3", sample: 101) { count } }', {}, acme.token);
    expect(tooMany.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'sample' });
  });
});
