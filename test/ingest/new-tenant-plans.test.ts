import { describe, it, expect, beforeAll } from 'vitest';
import { escapeLiteral } from 'pg';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { inTenant } from '../../tenants/tenant-tx.js';
import { importEvents, importOrders } from '../../connectors/ingest/pipeline.js';
import type { Queryable } from '../../connectors/ingest/db.js';

/**
 * A tenant newer than the last ANALYZE is missing from the statistics, so a custom plan estimates
 * its rows at about one; on that estimate the identity look-up joined every member of the tenant
 * with every key of the batch (connectors/ingest/db.ts, GENERIC_PLANS; without it this test reads
 * 4.5 million rows in one statement). Counted as rows the statements' scans of tables and CTEs
 * read (EXPLAIN ANALYZE of each statement, prepared as the import prepares it, in a savepoint
 * rolled back before the statement itself runs), never as time.
 */

let db: TestDatabase;

const events = (from: number, n: number, users: number, tag: string) => Array.from({ length: n }, (_, i) => ({
  eventId: `${tag}-${from + i}`, name: 'view_product', channel: 'APP', occurredAt: '2026-03-01T10:00:00Z',
  identities: [{ kind: 'APP_USER_ID', value: `u-${(from + i) % users}` }], properties: { sku: `S-${i % 50}` },
}));

const orders = (from: number, n: number, tag: string) => Array.from({ length: n }, (_, i) => ({
  channel: 'TMALL', channelOrderId: `${tag}-${from + i}`, status: 'PAID', amount: 100, discount: 0, createdAt: '2026-03-01T10:00:00Z',
  identities: [{ kind: 'PHONE', value: `139${String(from + i).padStart(8, '0')}` }], items: [{ sku: 'S-1', quantity: 1, price: 100 }],
}));

interface Scanned { statement: string; rows: number }

/** Rows read by the scans of a plan tree, of tables and of CTEs (returned rows plus rows filtered out, times loops). */
function scannedRows(node: any): number {
  const scans = node['Relation Name'] || node['CTE Name'];
  const own = scans ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((n: number, p: any) => n + scannedRows(p), 0);
}

/** A Queryable that first runs each data statement, prepared, under EXPLAIN ANALYZE in a savepoint it rolls back, noting the rows its scans read. */
function explaining(client: Queryable, seen: Scanned[]): Queryable {
  return {
    async query(text, values) {
      if (/^\s*(with|select|insert|update|delete)\b/i.test(text) && !/pg_get_serial_sequence/.test(text)) {
        // PREPARE and EXECUTE: the statement planned as the import plans it (plan_cache_mode applies)
        await client.query('savepoint explained');
        // EXECUTE takes its arguments as literals: the test's own data, quoted by pg
        const args = (values ?? []).map((v) => (v === null || v === undefined ? 'null' : typeof v === 'number' ? String(v)
          : escapeLiteral(Array.isArray(v) ? `{${v.join(',')}}` : String(v)))).join(', ');
        let r;
        try {
          await client.query(`prepare explained as ${text}`);
          r = await client.query(`explain (analyze, format json) execute explained${args ? `(${args})` : ''}`);
        } catch (err) {
          throw new Error(`explaining ${text.slice(0, 80)}: ${(err as Error).message}`);
        } finally {
          await client.query('rollback to savepoint explained');
          await client.query('deallocate all');
        }
        seen.push({ statement: text.replace(/\s+/g, ' ').slice(0, 60), rows: scannedRows(r.rows[0]['QUERY PLAN'][0].Plan) });
      }
      return client.query(text, values);
    },
  };
}

beforeAll(async () => {
  db = await testDatabase();
  // an established tenant, then statistics that know only it
  const old = await createTestTenant(db, 'established');
  await inTenant(db.app, old, async (c) => {
    await importEvents(c, old, events(0, 5000, 5000, 'A'));
    await importOrders(c, old, orders(0, 2000, 'A'));
  });
  await db.admin.query('analyze');
});

describe('a tenant newer than the statistics', () => {
  it('imports events and orders reading the tenant at most once per statement, never once per key', async () => {
    const fresh = await createTestTenant(db, 'fresh');
    await inTenant(db.app, fresh, async (c) => {
      for (let from = 0; from < 6000; from += 3000) await importEvents(c, fresh, events(from, 3000, 6000, 'B'));
      await importOrders(c, fresh, orders(0, 3000, 'B'));
    });
    const seen: Scanned[] = [];
    const result = await inTenant(db.app, fresh, async (c) => ({
      events: await importEvents(explaining(c, seen), fresh, events(6000, 500, 6000, 'B')),
      orders: await importOrders(explaining(c, seen), fresh, [...orders(0, 250, 'B').map((o) => ({ ...o, amount: 90 })), ...orders(3000, 250, 'B')]),
    }));
    expect(result.events).toMatchObject({ accepted: 500, rejected: [] });
    expect(result.orders).toMatchObject({ accepted: 500, rejected: [] });
    expect(seen.length).toBeGreaterThan(4);
    // each statement handles 500 keys of a tenant of 6,000 members: reading the whole tenant once
    // takes some 12,000 rows (identities and members), reading it once per key millions
    for (const s of seen) expect(s.rows, s.statement).toBeLessThan(100_000);
  });
});
