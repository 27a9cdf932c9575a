import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { withTenant } from '../../connectors/store/pool.js';
import { seedReadFixture } from './read-fixture.js';

/**
 * Rows scanned, counted by the planner: every statement of the frontend's usual reads must reach the
 * member's rows through an index. Each recorded statement is planned again with its own values,
 * under row-level security as cdp_app, and run (EXPLAIN ANALYZE) with sequential scans disabled (a
 * small test table would otherwise be scanned by choice where a large one would not): no request
 * may read more than a hundred rows of any large table of a tenant with 3,000 members. A member-page statement that scanned every member of the tenant cost a millisecond of
 * Postgres CPU per request at 10,000 members and would cost 100 at a million.
 */

const LARGE = new Set(['members', 'identities', 'orders', 'order_items', 'events', 'tag_values', 'audience_members', 'audience_changes', 'member_aliases']);

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let memberId: string;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  memberId = (await seedReadFixture(db, acme.tenantId, { members: 3000, orders: 3, items: 2 })).memberIds[7];
  await db.admin.query('analyze');
});

/** Rows a plan read from each large table: rows its scans returned plus rows their filters dropped, over all loops. */
function rowsRead(plan: any, read: Map<string, number>): Map<string, number> {
  const table = plan['Relation Name'];
  if (LARGE.has(table)) {
    const rows = ((plan['Actual Rows'] ?? 0) + (plan['Rows Removed by Filter'] ?? 0)) * (plan['Actual Loops'] ?? 1);
    read.set(table, (read.get(table) ?? 0) + rows);
  }
  for (const child of plan.Plans ?? []) rowsRead(child, read);
  return read;
}

/** A request's reads of the tenant's 3,000 members, 9,000 orders, 18,000 items...: at most this many rows of any table. */
const MAX_ROWS_READ = 100;

/** Runs `query` through the gateway and returns the tables of which its statements read more than MAX_ROWS_READ rows. */
async function scannedBy(query: string, variables: Record<string, unknown> = {}): Promise<string[]> {
  gw.statementValues.length = 0;
  const r = await gw.graphql(query, variables, acme.token);
  expect(r.body.errors).toBeUndefined();
  const statements = gw.statementValues.splice(0);
  expect(statements.length).toBeGreaterThan(0);
  return withTenant(db.app, acme.tenantId, async (client) => {
    await client.query('set local enable_seqscan = off');
    const read = new Map<string, number>();
    for (const s of statements) {
      const plan = (await client.query(`explain (analyze, format json) ${s.text}`, s.values as unknown[])).rows[0]['QUERY PLAN'][0].Plan;
      rowsRead(plan, read);
    }
    return [...read].filter(([, rows]) => rows > MAX_ROWS_READ).map(([table, rows]) => `${table}: ${rows} rows read`);
  });
}

describe('reads go through indexes', () => {
  it('member(id) with orders, items, events and tags', async () => {
    expect(await scannedBy(`query ($id: ID!) { member(id: $id) { id name age daysUntilBirthday
      orders(first: 10) { nodes { id amount items { sku } } } events(first: 5) { nodes { name } } tags { name value } } }`, { id: memberId })).toEqual([]);
  });

  it('the compiled member page: member(id) with identities, an order page with items and cursors, tags', async () => {
    expect(await scannedBy(`query ($id: ID!) { member(id: $id) { id name age identities { kind value }
      orders(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id amount items { sku } } } } tags { name value } } }`,
    { id: memberId })).toEqual([]);
    expect(gw.statements.at(-1)).toMatch(/^select p\.\*, encode\(convert_to\(json_build_object\(/); // it was the compiled statement that was planned
  });

  it('member(id) by a merged-away id', async () => {
    const [survivor, absorbed] = (await db.admin.query(`select member_id::text from members where tenant_id = $1 order by member_id limit 2`, [acme.tenantId])).rows;
    await db.admin.query(`insert into member_aliases (tenant_id, alias_id, member_id) values ($1, $2, $3)`, [acme.tenantId, absorbed.member_id, survivor.member_id]);
    gw.statements.length = 0;
    const r = await gw.graphql(`query ($id: ID!) { member(id: $id) { id } }`, { id: absorbed.member_id }, acme.token);
    expect(r.body.data.member.id).toBe(survivor.member_id);
    expect(await scannedBy(`query ($id: ID!) { member(id: $id) { id orders(first: 2) { nodes { id } } } }`, { id: absorbed.member_id })).toEqual([]);
  });

  it('memberByIdentity and orders(memberId:)', async () => {
    expect(await scannedBy(`{ memberByIdentity(kind: PHONE, value: "13800000008") { id name } }`)).toEqual([]);
    expect(await scannedBy(`query ($id: ID!) { orders(memberId: $id, first: 5) { nodes { id items { sku } } } }`, { id: memberId })).toEqual([]);
  });

  it('a page of members with orders, identities, tags and audiences', async () => {
    expect(await scannedBy(`{ members(first: 10) { nodes { id identities { kind value } orders(first: 3) { nodes { id items { sku } } }
      tags { name value } inAudience(name: "churn_recall") } } }`)).toEqual([]);
  });

  it('the members and change log of an audience, a page after a cursor', async () => {
    const first = await gw.graphql(`{ audience(name: "churn_recall") { members(first: 5) { pageInfo { endCursor } }
      changes(first: 5) { pageInfo { endCursor } } } }`, {}, acme.token);
    const { members, changes } = first.body.data.audience;
    expect(await scannedBy(`query ($m: String, $c: String) { audience(name: "churn_recall") { size
      members(first: 5, after: $m) { nodes { id name } } changes(first: 5, after: $c) { nodes { kind member { id } } } } }`,
    { m: members.pageInfo.endCursor, c: changes.pageInfo.endCursor })).toEqual([]);
  });

  it('a page of members(where:) with an order aggregate evaluates the members it pages through, not the tenant', async () => {
    expect(await scannedBy(`{ members(where: "level >= 1 and count(orders) >= 3", first: 5) { nodes { id } } }`)).toEqual([]);
  });

  it('an order by id with its member and items, a channel page of orders, tags and audiences with their categories', async () => {
    const { orders } = (await gw.graphql(`{ orders(first: 1) { nodes { id } } }`, {}, acme.token)).body.data;
    expect(await scannedBy(`query ($id: ID!) { order(id: $id) { id amount member { id name } items { sku } } }`, { id: orders.nodes[0].id })).toEqual([]);
    expect(await scannedBy(`{ orders(channel: JD, first: 10) { nodes { id member { id } items { sku } } } }`)).toEqual([]);
    expect(await scannedBy(`{ tags(first: 10) { nodes { name category versions { version } } } audiences(first: 10) { nodes { name size } }
      tagCategories { path tagCount } }`)).toEqual([]);
  });
});
