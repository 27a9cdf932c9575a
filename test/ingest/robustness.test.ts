import { describe, it, expect, beforeAll } from 'vitest';
import { gzipSync } from 'node:zlib';
import { ingestHarness, IMPORT_MEMBERS, IMPORT_ORDERS, TRACK, order, type IngestHarness } from './harness.js';

let h: IngestHarness;

beforeAll(async () => {
  h = await ingestHarness();
});

describe('bad input loses nothing and blocks nothing', () => {
  it('isolates a row the database refuses: the rest of the batch is stored, nothing of that row is', async () => {
    await h.sql(`create function refuse_boom() returns trigger language plpgsql as $$
                 begin if new.channel_order_id = 'BOOM' then raise exception 'order BOOM refused by a check'; end if; return new; end $$`);
    await h.sql(`create trigger refuse_boom before insert on orders for each row execute function refuse_boom()`);
    try {
      const orders = Array.from({ length: 7 }, (_, i) => order(i === 3 ? 'BOOM' : `R-${i}`, `1580000000${i}`));
      const r = await h.ok(IMPORT_ORDERS, { orders });
      expect(r.importOrders).toEqual({ accepted: 6, duplicates: 0, held: 0, rejected: [
        { index: 3, message: 'orders[3]: could not be stored (order BOOM refused by a check)' },
      ] });
      expect((await h.sql(`select count(*)::int as n from orders where tenant_id = $1 and channel_order_id like 'R-%'`, [h.tenantId]))[0].n).toBe(6);
      expect(await h.sql(`select 1 from identities where tenant_id = $1 and value = '15800000003'`, [h.tenantId])).toEqual([]);
      expect(await h.sql(`select 1 from members where tenant_id = $1 and phone = '15800000003'`, [h.tenantId])).toEqual([]);
    } finally {
      await h.sql('drop trigger refuse_boom on orders');
    }
  });

  it('refuses control characters in text by field (they would break the batch encoding)', async () => {
    const r = await h.ok(IMPORT_ORDERS, { orders: [
      order('CC-1', '15800000011', { items: [{ sku: 'S', productName: 'a\u001eb', quantity: 1, price: 1 }] }),
      order('CC-2', '15800000012', { storeId: 'store\u001f7' }),
      order('CC-3', '15800000013', { items: [{ sku: 'S', productName: 'two\nlines\tand a tab', quantity: 1, price: 1 }] }),
    ] });
    expect(r.importOrders).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [
      { index: 0, message: 'orders[0].items[0].productName: must not contain control characters' },
      { index: 1, message: 'orders[1].storeId: must not contain control characters' },
    ] });
    expect(await h.sql(`select product_name from order_items i join orders o using (tenant_id, order_id) where o.tenant_id = $1 and o.channel_order_id = 'CC-3'`, [h.tenantId]))
      .toEqual([{ product_name: 'two\nlines\tand a tab' }]);
  });

  it('answers the collection endpoint clearly for NUL text, broken gzip and oversized bodies, and keeps serving', async () => {
    const base = h.gw.url.replace(/\/graphql$/, '');
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${h.token}` };
    const body = JSON.stringify({ batch: [
      { type: 'track', messageId: 'nul-1', userId: 'u-nul', event: 'bad\u0000name' },
      { type: 'track', messageId: 'nul-2', userId: 'u-nul', event: 'fine', properties: { note: 'ok' } },
      { type: 'track', messageId: 'nul-3', userId: 'u-nul', event: 'fine', properties: { note: 'x\u0000y' } },
    ] });
    const r = await fetch(`${base}/v1/batch`, { method: 'POST', headers, body });
    expect(await r.json()).toEqual({ success: true, accepted: 1, duplicates: 0, held: 0, rejected: [
      { index: 0, message: 'batch[0].event: must not contain NUL characters' },
      { index: 2, message: 'batch[2].properties: must not contain NUL characters' },
    ] });
    const broken = await fetch(`${base}/v1/batch`, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip' }, body: gzipSync(body).subarray(0, 20) });
    expect(broken.status).toBe(400);
    const huge = await fetch(`${base}/v1/batch`, { method: 'POST', headers, body: `{"batch":[${'"x",'.repeat(2_300_000)}"x"]}` });
    expect(huge.status).toBe(413);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('merges racing with imports', () => {
  it('leaves no order, item or event with a member that no longer exists', async () => {
    for (let round = 0; round < 3; round++) {
      const ext = `race-ext-${round}`;
      const p1 = `1570000${round}001`;
      const p2 = `1570000${round}002`;
      await h.ok(IMPORT_MEMBERS, { members: [{ identities: [{ kind: 'EXTERNAL_ID', value: ext }], phone: p1, registeredAt: '2020-01-01T00:00:00Z' }] });
      await h.ok(IMPORT_MEMBERS, { members: [{ identities: [], phone: p2, registeredAt: '2023-01-01T00:00:00Z' }] });
      const ordersFor = (tag: string) => Array.from({ length: 30 }, (_, i) => order(`RACE-${round}-${tag}-${i}`, p2));
      const events = Array.from({ length: 30 }, (_, i) => ({ eventId: `race-${round}-${i}`, name: 'view_product', occurredAt: '2026-03-04T00:00:00Z',
        identities: [{ kind: 'PHONE', value: p2 }] }));
      const merge = order(`RACE-${round}-merge`, p2, { identities: [{ kind: 'EXTERNAL_ID', value: ext }, { kind: 'PHONE', value: p2 }] });
      const results = await Promise.all([
        h.ok(IMPORT_ORDERS, { orders: ordersFor('a') }),
        h.ok(IMPORT_ORDERS, { orders: [merge] }),
        h.ok(TRACK, { events }),
        h.ok(IMPORT_ORDERS, { orders: ordersFor('b') }),
      ]);
      expect(results.map((r) => Object.values(r)[0])).toEqual([
        { accepted: 30, duplicates: 0, held: 0, rejected: [] }, { accepted: 1, duplicates: 0, held: 0, rejected: [] },
        { accepted: 30, duplicates: 0, held: 0, rejected: [] }, { accepted: 30, duplicates: 0, held: 0, rejected: [] },
      ]);
      const owners = await h.sql(`select distinct i.member_id from identities i where i.tenant_id = $1 and i.value in ($2, $3, $4)`, [h.tenantId, ext, p1, p2]);
      expect(owners).toHaveLength(1);
      const [survivor] = owners;
      const placed = await h.sql(
        `select (select count(*)::int from orders where tenant_id = $1 and channel_order_id like $2 and member_id = $3) as orders,
                (select count(*)::int from events where tenant_id = $1 and event_id like $4 and member_id = $3) as events`,
        [h.tenantId, `RACE-${round}-%`, survivor.member_id, `race-${round}-%`]);
      expect(placed).toEqual([{ orders: 61, events: 30 }]);
    }
    const orphans = await h.sql(
      `select 'order' as kind, count(*)::int as n from orders o where tenant_id = $1 and not exists (select 1 from members m where m.tenant_id = o.tenant_id and m.member_id = o.member_id)
       union all select 'item', count(*)::int from order_items o where tenant_id = $1 and not exists (select 1 from members m where m.tenant_id = o.tenant_id and m.member_id = o.member_id)
       union all select 'event', count(*)::int from events o where tenant_id = $1 and not exists (select 1 from members m where m.tenant_id = o.tenant_id and m.member_id = o.member_id)`,
      [h.tenantId]);
    expect(orphans).toEqual([{ kind: 'order', n: 0 }, { kind: 'item', n: 0 }, { kind: 'event', n: 0 }]);
  });
});
