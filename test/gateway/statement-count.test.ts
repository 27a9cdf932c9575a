import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { seedReadFixture } from './read-fixture.js';

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  await seedReadFixture(db, acme.tenantId, { members: 60, orders: 4, items: 3 });
});

const PAGE = `query ($first: Int!) { members(first: $first) { edges { node {
  id name phone identities { kind value }
  orders(first: 3) { pageInfo { hasNextPage } nodes { id amount items { sku price } } }
  tags { name value } lifecycle: tag(name: "lifecycle") churn: inAudience(name: "churn_recall") } } } }`;

/** Runs the page query and returns the SQL statements the request issued (auth/begin and commit excluded). */
async function statementsOf(first: number): Promise<string[]> {
  gw.statements.length = 0;
  const r = await gw.graphql(PAGE, { first }, acme.token);
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.members.edges).toHaveLength(first);
  for (const edge of r.body.data.members.edges) {
    expect(edge.node.orders.nodes).toHaveLength(3);
    for (const order of edge.node.orders.nodes) expect(order.items).toHaveLength(3);
    expect(edge.node.identities).toHaveLength(2);
  }
  return [...gw.statements];
}

const tableOf = (sql: string) => /\bfrom\s+(members|identities|orders|order_items|tag_values|audience_members|events)\b/i.exec(sql)?.[1];

describe('no N+1', () => {
  it('serves a page of 50 members with orders, items, identities, tags and audiences in 6 statements', async () => {
    const statements = await statementsOf(50);
    expect(statements.map(tableOf)).toEqual(['members', 'identities', 'orders', 'tag_values', 'audience_members', 'order_items']);
  });

  it('issues as many statements for 5 members as for 50', async () => {
    expect((await statementsOf(5)).length).toBe((await statementsOf(50)).length);
  });

  it('serves member(id) with its orders, items, events and tags in one statement, the same answer as the loaders give', async () => {
    const node = `id name orders(first: 3) { pageInfo { endCursor } edges { cursor node { id createdAt paidAt amount items { sku price } } } }
      events(first: 2) { pageInfo { endCursor hasNextPage } nodes { id eventId name channel occurredAt receivedAt properties } }
      tags { name value } lifecycle: tag(name: "lifecycle")`;
    const page = await gw.graphql(`{ members(first: 2) { nodes { ${node} } } }`, {}, acme.token);
    const second = page.body.data.members.nodes[1];
    gw.statements.length = 0;
    const one = await gw.graphql(`query ($id: ID!) { member(id: $id) { ${node} } }`, { id: second.id }, acme.token);
    expect(gw.statements).toHaveLength(1);
    expect(one.body.data.member).toEqual(second);
    const after = second.orders.pageInfo.endCursor;
    gw.statements.length = 0;
    const next = await gw.graphql(`query ($id: ID!, $after: String) { member(id: $id) { orders(first: 3, after: $after) { nodes { id } } } }`,
      { id: second.id, after }, acme.token);
    expect(gw.statements).toHaveLength(1);
    expect(next.body.data.member.orders.nodes).toHaveLength(1);
    expect(second.events.nodes.length).toBeGreaterThan(0);
    gw.statements.length = 0;
    const events = await gw.graphql(`query ($id: ID!, $after: String) { member(id: $id) { events(first: 2, after: $after) { nodes { id } } } }`,
      { id: second.id, after: second.events.pageInfo.endCursor }, acme.token);
    expect(gw.statements).toHaveLength(1);
    expect(events.body.errors).toBeUndefined();
  });
});
