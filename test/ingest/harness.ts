import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';

/** A test file's database, gateway and a tenant whose token has ingest and every read scope. */
export interface IngestHarness {
  db: TestDatabase;
  gw: TestGateway;
  tenantId: string;
  token: string;
  /** Runs a mutation or query and fails the test on GraphQL errors. */
  ok<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Owner-pool query on the tenant's rows. */
  sql<R = any>(text: string, values?: unknown[]): Promise<R[]>;
}

/** Sets up an IngestHarness for one test file (call in beforeAll). */
export async function ingestHarness(tenantName = 'acme'): Promise<IngestHarness> {
  const db = await testDatabase();
  const gw = await startTestGateway(db);
  const { tenantId } = await createTenantWithToken(db, tenantName);
  const token = await issueTestToken(db, tenantId, 'importer', ['ingest', 'members:read', 'orders:read', 'events:read', 'pii']);
  return {
    db, gw, tenantId, token,
    async ok(query, variables) {
      const r = await gw.graphql(query, variables, token);
      if (r.body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(r.body.errors)}`);
      return r.body.data as any;
    },
    async sql(text, values) {
      return (await db.admin.query(text, values)).rows;
    },
  };
}

export const IMPORT_ORDERS = `mutation ($orders: [OrderInput!]!) {
  importOrders(orders: $orders) { accepted duplicates held rejected { index message } } }`;
export const IMPORT_MEMBERS = `mutation ($members: [MemberInput!]!) {
  importMembers(members: $members) { accepted duplicates held rejected { index message } } }`;
export const TRACK = `mutation ($events: [EventInput!]!) {
  track(events: $events) { accepted duplicates held rejected { index message } } }`;

/** A valid unified order for `phone`, with one item. */
export function order(id: string, phone: string | null, extra: Record<string, unknown> = {}) {
  return {
    channel: 'TMALL', channelOrderId: id, identities: phone ? [{ kind: 'PHONE', value: phone }] : [],
    status: 'PAID', amount: 199.5, discount: 10, createdAt: '2026-03-01T10:00:00+08:00', paidAt: '2026-03-01T10:05:00+08:00',
    items: [{ sku: 'SKU-1', productName: '苹果', category: 'fruit', quantity: 2, price: 99.75 }],
    ...extra,
  };
}
