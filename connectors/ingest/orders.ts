import type { Queryable } from './db.js';
import type { DirtySet } from './dirty.js';
import { holdRecords } from './held.js';
import type { Outcome } from './result.js';
import { orderDigest, type OrderRow } from './validate.js';
import { resolveIdentities } from '../identity/resolve.js';
import { keyString } from '../identity/keys.js';

/** What a writer did with each row of its batch. */
export interface WriteResult {
  outcomes: Outcome[];
  /** Per row: the member it went to (null when held or superseded by a later row of the batch). */
  members: Array<string | null>;
  /** Identities linked by the batch ('KIND:value'): held records carrying them can attach now. */
  linked: string[];
}

/**
 * How a batch treats rows that are already stored: `import` updates a changed row; `replay` (held
 * records attaching late) never overwrites what is stored, because a held record is older news.
 */
export type WriteMode = 'import' | 'replay';

/** Positions of the last row of each key; earlier rows with that key are superseded by it. */
export function lastOfEachKey<T>(rows: T[], key: (row: T) => string): boolean[] {
  const last = new Map<string, number>();
  rows.forEach((r, i) => last.set(key(r), i));
  return rows.map((r, i) => last.get(key(r)) === i);
}

const orderKey = (o: OrderRow) => `${o.channel}:${o.channelOrderId}`;

/**
 * Stores valid orders set-based (one statement per table for the whole batch): identity resolution,
 * held records for orders without a member, one upsert of orders keyed by (channel, channelOrderId)
 * that leaves identical orders untouched (same content digest and member → 'duplicate'), then the
 * items of new and changed orders. A row repeated later in the batch counts as duplicate when
 * identical to the later one and as accepted otherwise; the later one is what is stored.
 * Runs inside the caller's savepoint; throws on database errors.
 */
export async function writeOrders(db: Queryable, tenantId: string, rows: OrderRow[], mode: WriteMode, dirty: DirtySet): Promise<WriteResult> {
  const isLast = lastOfEachKey(rows, orderKey);
  const res = await resolveIdentities(db, tenantId, rows.map((o) => ({ keys: o.identities, channel: o.channel, seenAt: o.createdAt })));
  const outcomes: Outcome[] = new Array(rows.length);
  const members: Array<string | null> = rows.map((_, i) => (isLast[i] ? res.members[i] : null));
  const digests = rows.map(orderDigest);
  const lastByKey = new Map(rows.map((o, i) => [orderKey(o), i]));
  rows.forEach((o, i) => {
    if (isLast[i]) return;
    const j = lastByKey.get(orderKey(o))!;
    outcomes[i] = digests[i] === digests[j] && res.members[i] === res.members[j] ? 'duplicate' : 'accepted';
  });

  const heldIdx = rows.map((_, i) => i).filter((i) => isLast[i] && res.members[i] === null);
  const heldOutcomes = await holdRecords(db, tenantId, 'order', heldIdx.map((i) => ({
    key: orderKey(rows[i]), identityKeys: rows[i].identities.map(keyString), payload: rows[i],
  })));
  heldIdx.forEach((i, j) => (outcomes[i] = heldOutcomes[j]));

  const storeIdx = rows.map((_, i) => i).filter((i) => isLast[i] && res.members[i] !== null);
  if (storeIdx.length > 0) {
    const payload = storeIdx.map((i) => {
      const o = rows[i];
      return { i, member_id: res.members[i], channel: o.channel, channel_order_id: o.channelOrderId, status: o.status,
        amount: o.amount, discount: o.discount, created_at: o.createdAt.toISOString(), paid_at: o.paidAt?.toISOString() ?? null,
        store_id: o.storeId, source_hash: digests[i] };
    });
    const conflict = mode === 'replay'
      ? 'do nothing'
      : `do update set member_id = excluded.member_id, status = excluded.status, amount = excluded.amount,
           discount = excluded.discount, created_at = excluded.created_at, paid_at = excluded.paid_at,
           store_id = excluded.store_id, source_hash = excluded.source_hash, updated_at = now()
         where orders.source_hash is distinct from excluded.source_hash or orders.member_id <> excluded.member_id`;
    // `old` reads the snapshot before the upsert: the member a changed order leaves must be re-evaluated too.
    const up = await db.query(
      `with r as (select * from json_to_recordset($2::json) as r(i int, member_id bigint, channel text, channel_order_id text,
                    status text, amount numeric, discount numeric, created_at timestamptz, paid_at timestamptz, store_id text, source_hash text)),
            old as (select o.channel, o.channel_order_id, o.member_id from orders o
                      join r on o.tenant_id = $1 and o.channel = r.channel and o.channel_order_id = r.channel_order_id),
            up as (insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, discount, created_at,
                                       paid_at, store_id, source_hash)
                   select $1, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at, store_id, source_hash
                     from r order by channel, channel_order_id
                   on conflict (tenant_id, channel, channel_order_id) ${conflict}
                   returning order_id, channel, channel_order_id, member_id, (xmax = 0) as inserted)
       select up.order_id, up.channel, up.channel_order_id, up.member_id, up.inserted, old.member_id as old_member_id
         from up left join old on old.channel = up.channel and old.channel_order_id = up.channel_order_id`,
      [tenantId, JSON.stringify(payload)],
    );
    const written = new Map<string, { order_id: string; inserted: boolean }>();
    for (const row of up.rows) {
      written.set(`${row.channel}:${row.channel_order_id}`, row);
      dirty.add(row.member_id, 'orders', 'items');
      if (row.old_member_id && row.old_member_id !== row.member_id) dirty.add(row.old_member_id, 'orders', 'items');
    }
    for (const i of storeIdx) outcomes[i] = written.has(orderKey(rows[i])) ? 'accepted' : 'duplicate';
    await writeItems(db, tenantId, storeIdx.filter((i) => written.has(orderKey(rows[i]))).map((i) => ({
      order: rows[i], member: res.members[i]!, ...written.get(orderKey(rows[i]))!,
    })));
  }
  return { outcomes, members, linked: res.linked };
}

async function writeItems(db: Queryable, tenantId: string, orders: Array<{ order: OrderRow; member: string; order_id: string; inserted: boolean }>) {
  const replaced = orders.filter((o) => !o.inserted).map((o) => o.order_id);
  if (replaced.length > 0) {
    await db.query('delete from order_items where tenant_id = $1 and order_id = any($2::bigint[])', [tenantId, replaced]);
  }
  const items = orders.flatMap((o) => o.order.items.map((it, n) => ({
    order_id: o.order_id, line_no: n + 1, member_id: o.member, sku: it.sku, product_name: it.productName,
    category: it.category, quantity: it.quantity, price: it.price,
  })));
  if (items.length === 0) return;
  await db.query(
    `insert into order_items (tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price)
     select $1, r.order_id, r.line_no, r.member_id, r.sku, r.product_name, r.category, r.quantity, r.price
       from json_to_recordset($2::json) as r(order_id bigint, line_no int, member_id bigint, sku text, product_name text,
                                            category text, quantity int, price numeric)`,
    [tenantId, JSON.stringify(items)],
  );
}

/** An order stored in held_records.payload, back as an OrderRow. */
export function reviveOrder(p: any): OrderRow {
  return { ...p, createdAt: new Date(p.createdAt), paidAt: p.paidAt ? new Date(p.paidAt) : null };
}
