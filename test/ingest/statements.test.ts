import { describe, it, expect, beforeAll } from 'vitest';
import { ingestHarness, IMPORT_ORDERS, TRACK, order, type IngestHarness } from './harness.js';
import { GENERIC_PLANS } from '../../connectors/ingest/db.js';

let h: IngestHarness;

beforeAll(async () => {
  h = await ingestHarness();
  // the process looks up the members and orders id sequences once, on its first import
  await h.ok(IMPORT_ORDERS, { orders: [order('W-0', '13800000000')] });
});

/** What each statement of an import does, by its leading words and the tables it writes. */
function kindOf(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  // each savepoint's round trip opens with the plan setting (connectors/ingest/db.ts)
  const s = text.startsWith(`${GENERIC_PLANS}; `) ? text.slice(GENERIC_PLANS.length + 2) : text;
  if (/^(savepoint|release savepoint|rollback to savepoint)/.test(s)) return s.split(' cdp_')[0];
  if (/^with k as .* for key share/.test(s)) return 'identity look-up';
  if (/^with r as .*insert into members/.test(s)) return 'create members';
  if (/^insert into identities/.test(s)) return 'link identities';
  if (/^update held_records .* attached_at = now\(\)/.test(s)) return 'take held';
  if (/^with r as .*insert into orders.*insert into order_items.*insert into dirty_members/.test(s)) return 'look up, insert orders and items, queue dirty';
  if (/^with r as .*insert into events.*insert into dirty_members/.test(s)) return 'look up, insert events, queue dirty';
  if (/^insert into audit_log/.test(s)) return 'audit';
  return s.slice(0, 60);
}

/** The statements one GraphQL import request issued (authentication, begin and commit are not in the hook), and its result. */
async function run(query: string, variables: Record<string, unknown>): Promise<{ result: any; statements: string[] }> {
  h.gw.statements.length = 0;
  const result = Object.values(await h.ok(query, variables))[0];
  return { result, statements: h.gw.statements.map(kindOf).filter((k) => k !== 'audit') };
}

const phones = (from: number, n: number) => Array.from({ length: n }, (_, i) => `139${String(from + i).padStart(8, '0')}`);
const event = (id: string, user: string) => ({ eventId: id, name: 'login', occurredAt: '2026-03-01T08:00:00Z', identities: [{ kind: 'APP_USER_ID', value: user }] });

describe('statements per import batch', () => {
  it('imports orders of new buyers in seven statements, however many rows', async () => {
    const expected = ['savepoint', 'identity look-up', 'create members', 'link identities',
      'look up, insert orders and items, queue dirty', 'take held', 'release savepoint'];
    const few = await run(IMPORT_ORDERS, { orders: phones(1, 3).map((p, i) => order(`S-${i}`, p)) });
    expect(few).toEqual({ result: { accepted: 3, duplicates: 0, held: 0, rejected: [] }, statements: expected });
    const many = await run(IMPORT_ORDERS, { orders: phones(100, 400).map((p, i) => order(`T-${i}`, p)) });
    expect(many).toEqual({ result: { accepted: 400, duplicates: 0, held: 0, rejected: [] }, statements: expected });
  });

  it('re-imports identical orders of known buyers in four statements, queueing nobody', async () => {
    await h.sql(`delete from dirty_members where tenant_id = $1`, [h.tenantId]);
    const again = await run(IMPORT_ORDERS, { orders: phones(100, 400).map((p, i) => order(`T-${i}`, p)) });
    expect(again).toEqual({ result: { accepted: 0, duplicates: 400, held: 0, rejected: [] },
      statements: ['savepoint', 'identity look-up', 'look up, insert orders and items, queue dirty', 'release savepoint'] });
    expect(await h.sql(`select member_id from dirty_members where tenant_id = $1`, [h.tenantId])).toEqual([]);
  });

  it('tracks events of known members in four statements, and queues each member once', async () => {
    await h.ok(TRACK, { events: [event('E-0', 'u-1'), event('E-1', 'u-2')] });
    await h.sql(`delete from dirty_members where tenant_id = $1`, [h.tenantId]);
    const events = Array.from({ length: 500 }, (_, i) => event(`F-${i}`, `u-${1 + (i % 2)}`));
    expect(await run(TRACK, { events })).toEqual({ result: { accepted: 500, duplicates: 0, held: 0, rejected: [] },
      statements: ['savepoint', 'identity look-up', 'look up, insert events, queue dirty', 'release savepoint'] });
    const dirty = await h.sql(`select d.collections, i.value from dirty_members d join identities i using (tenant_id, member_id)
                                where d.tenant_id = $1 order by i.value`, [h.tenantId]);
    expect(dirty).toEqual([{ collections: ['events'], value: 'u-1' }, { collections: ['events'], value: 'u-2' }]);
  });
});
