import type { Queryable } from './db.js';
import { encodeRecords, recordsFrom, type Column } from './records.js';
import { collectionsSql, queueDirty, type DirtySet } from './dirty.js';
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
 * Stores valid orders set-based (a few statements for the whole batch, whatever its size): identity
 * resolution, held records for orders without a member, then one statement that returns what is
 * stored under each (channel, channelOrderId) and inserts the orders that are not, with their items,
 * queueing their members as dirty; then one UPDATE of the changed orders (another content digest or
 * member) and a replacement of their items (their members noted in `dirty`). Identical orders are
 * left untouched ('duplicate'). A row repeated later in the batch counts as duplicate when identical
 * to the later one and as accepted otherwise; the later one is stored.
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
    const payload = (idx: number[]) => encodeRecords(idx.map((i) => {
      const o = rows[i];
      return [i, res.members[i], o.channel, o.channelOrderId, o.status, o.amount, o.discount, o.createdAt, o.paidAt, o.storeId, digests[i]];
    }));
    // One statement: what is stored under these keys (returned, to decide update or duplicate), and
    // a plain INSERT of the orders not stored, with their items. A concurrent import of the same new
    // order makes it fail with a unique violation, and the batch is re-run from its savepoint
    // (withRetry), then finding the order stored.
    const found = await db.query(
      `with r as (select r.*, nextval($4::regclass) as order_id from ${recordsFrom(2, ORDER_COLS, 'r')}),
            ex as (select r.k, o.order_id, o.member_id, o.source_hash from r
                     join orders o on o.tenant_id = $1 and o.channel = r.channel and o.channel_order_id = r.channel_order_id),
            fresh as (select * from r where not exists (select 1 from ex where ex.k = r.k)),
            ins as (insert into orders (tenant_id, order_id, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at,
                                        store_id, source_hash)
                    select $1, order_id, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at, store_id, source_hash
                      from fresh order by channel, channel_order_id),
            it as (insert into order_items (tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price)
                   select $1, fresh.order_id, x.line_no, x.member_id, x.sku, x.product_name, x.category, x.quantity, x.price
                     from ${recordsFrom(3, ITEM_COLS, 'x')} join fresh on fresh.k = x.k),
            dirty as (${queueDirty('select distinct member_id from fresh', collectionsSql('orders', 'items'))})
       select k, order_id, member_id, source_hash from ex`,
      [tenantId, payload(storeIdx), itemRecords(rows, storeIdx, res.members), await orderSequence(db)],
    );
    const stored = new Map<number, { order_id: string; member_id: string; source_hash: string | null }>(found.rows.map((r) => [r.k, r]));
    const changed: number[] = [];
    for (const i of storeIdx) {
      const old = stored.get(i);
      if (old && mode === 'import' && (old.source_hash !== digests[i] || old.member_id !== res.members[i])) changed.push(i);
      outcomes[i] = !old || changed.at(-1) === i ? 'accepted' : 'duplicate';
    }
    if (changed.length > 0) {
      await db.query(
        `update orders o set member_id = r.member_id, status = r.status, amount = r.amount, discount = r.discount,
                created_at = r.created_at, paid_at = r.paid_at, store_id = r.store_id, source_hash = r.source_hash, updated_at = now()
           from ${recordsFrom(2, ORDER_COLS, 'r')}
          where o.tenant_id = $1 and o.channel = r.channel and o.channel_order_id = r.channel_order_id`,
        [tenantId, payload(changed)],
      );
      await db.query('delete from order_items where tenant_id = $1 and order_id = any($2::bigint[])', [tenantId, changed.map((i) => stored.get(i)!.order_id)]);
      await db.query(
        `insert into order_items (tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price)
         select $1, o.id, x.line_no, x.member_id, x.sku, x.product_name, x.category, x.quantity, x.price
           from ${recordsFrom(2, ITEM_COLS, 'x')}
           join ${recordsFrom(3, [['k', 'int'], ['id', 'bigint']], 'o')} on o.k = x.k`,
        [tenantId, itemRecords(rows, changed, res.members), encodeRecords(changed.map((i) => [i, stored.get(i)!.order_id]))],
      );
      for (const i of changed) {
        const old = stored.get(i)!;
        if (old.member_id !== res.members[i]) dirty.add(old.member_id, 'orders', 'items');
        dirty.add(res.members[i], 'orders', 'items');
      }
    }
  }
  return { outcomes, members, linked: res.linked };
}

let sequence: string | undefined;

/** The sequence of orders.order_id: ids are drawn up front so that items need no join on the inserted rows. */
async function orderSequence(db: Queryable): Promise<string> {
  sequence ??= (await db.query(`select pg_get_serial_sequence('orders', 'order_id') as s`)).rows[0].s as string;
  return sequence;
}

const ORDER_COLS: Column[] = [['k', 'int'], ['member_id', 'bigint'], ['channel', 'text'], ['channel_order_id', 'text'], ['status', 'text'],
  ['amount', 'numeric'], ['discount', 'numeric'], ['created_at', 'timestamptz'], ['paid_at', 'timestamptz'], ['store_id', 'text'],
  ['source_hash', 'text']];
const ITEM_COLS: Column[] = [['k', 'int'], ['line_no', 'int'], ['member_id', 'bigint'], ['sku', 'text'], ['product_name', 'text'],
  ['category', 'text'], ['quantity', 'int'], ['price', 'numeric']];

/** The items of rows `idx` as batch records, keyed by row position `k`. */
function itemRecords(rows: OrderRow[], idx: number[], members: Array<string | null>): string {
  return encodeRecords(idx.flatMap((i) => rows[i].items.map((it, n) => [i, n + 1, members[i], it.sku, it.productName, it.category, it.quantity, it.price])));
}

/** An order stored in held_records.payload, back as an OrderRow. */
export function reviveOrder(p: any): OrderRow {
  return { ...p, createdAt: new Date(p.createdAt), paidAt: p.paidAt ? new Date(p.paidAt) : null };
}
