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
 * Stores valid orders set-based (one statement per step for the whole batch): identity resolution,
 * held records for orders without a member, a look-up of what is stored under each (channel,
 * channelOrderId), then one INSERT of the new orders and one UPDATE of the changed ones (another
 * content digest or member); identical orders are left untouched ('duplicate'); then the items of
 * new and changed orders. A row repeated later in the batch counts as duplicate when
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
    // What is stored under these keys decides per row: insert (new), update (changed) or nothing (identical).
    const found = await db.query(
      `select o.channel, o.channel_order_id, o.order_id, o.member_id, o.source_hash
         from unnest($2::text[], $3::text[]) as k(channel, channel_order_id)
         join orders o on o.tenant_id = $1 and o.channel = k.channel and o.channel_order_id = k.channel_order_id`,
      [tenantId, storeIdx.map((i) => rows[i].channel), storeIdx.map((i) => rows[i].channelOrderId)],
    );
    const stored = new Map<string, { order_id: string; member_id: string; source_hash: string | null }>(
      found.rows.map((r) => [`${r.channel}:${r.channel_order_id}`, r]));
    const fresh: number[] = [];
    const changed: number[] = [];
    for (const i of storeIdx) {
      const old = stored.get(orderKey(rows[i]));
      if (!old) fresh.push(i);
      else if (mode === 'import' && (old.source_hash !== digests[i] || old.member_id !== res.members[i])) changed.push(i);
      outcomes[i] = !old || changed.at(-1) === i ? 'accepted' : 'duplicate';
    }
    const payload = (idx: number[]) => JSON.stringify(idx.map((i) => {
      const o = rows[i];
      return { member_id: res.members[i], channel: o.channel, channel_order_id: o.channelOrderId, status: o.status, amount: o.amount,
        discount: o.discount, created_at: o.createdAt.toISOString(), paid_at: o.paidAt?.toISOString() ?? null, store_id: o.storeId,
        source_hash: digests[i] };
    }));
    const COLS = `member_id bigint, channel text, channel_order_id text, status text, amount numeric, discount numeric,
                  created_at timestamptz, paid_at timestamptz, store_id text, source_hash text`;
    const ids = new Map<string, string>();
    if (fresh.length > 0) {
      // A plain insert: a concurrent import of the same new order makes it fail with a unique
      // violation, and the batch is re-run from its savepoint (withRetry), finding the order stored.
      const ins = await db.query(
        `insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at, store_id, source_hash)
         select $1, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at, store_id, source_hash
           from json_to_recordset($2::json) as r(${COLS}) order by channel, channel_order_id
         returning order_id, channel, channel_order_id`,
        [tenantId, payload(fresh)],
      );
      for (const r of ins.rows) ids.set(`${r.channel}:${r.channel_order_id}`, r.order_id);
    }
    if (changed.length > 0) {
      await db.query(
        `update orders o set member_id = r.member_id, status = r.status, amount = r.amount, discount = r.discount,
                created_at = r.created_at, paid_at = r.paid_at, store_id = r.store_id, source_hash = r.source_hash, updated_at = now()
           from json_to_recordset($2::json) as r(${COLS})
          where o.tenant_id = $1 and o.channel = r.channel and o.channel_order_id = r.channel_order_id`,
        [tenantId, payload(changed)],
      );
      for (const i of changed) {
        const old = stored.get(orderKey(rows[i]))!;
        ids.set(orderKey(rows[i]), old.order_id);
        if (old.member_id !== res.members[i]) dirty.add(old.member_id, 'orders', 'items');
      }
    }
    for (const i of [...fresh, ...changed]) dirty.add(res.members[i], 'orders', 'items');
    await writeItems(db, tenantId, [...fresh, ...changed].map((i) => ({
      order: rows[i], member: res.members[i]!, order_id: ids.get(orderKey(rows[i]))!, inserted: !stored.has(orderKey(rows[i])),
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
