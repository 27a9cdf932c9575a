/**
 * A member's orders and order items. Orders fall inside the member's active days and after
 * registration, sorted by time (so order ids grow with time per member); amount = Σ price × quantity
 * − discount, exactly, in cents. channel_order_id grows with the tenant-wide order index, which makes
 * it unique per channel and keeps the unique index's inserts at its right edge.
 */

import { Rng, Stream, Weighted, pad } from './prng.js';
import { CATEGORY_POPULARITY, PRODUCTS, type Category, type Product } from './catalog.js';
import { ONLINE_SHOP, storeId, type Channel } from './channels.js';
import { dayStart, type SeedContext } from './context.js';
import { NULL, copyText, money } from './copy-text.js';
import { timeOfDay } from './time-of-day.js';
import type { MemberProfile } from './member-gen.js';
import { SHOWCASE } from './showcase.js';

/** Columns of the order lines, for the COPY statement. */
export const ORDER_COLUMNS = 'tenant_id, order_id, member_id, channel, channel_order_id, status, amount, discount, ' +
  'created_at, paid_at, store_id, imported_at, updated_at';
/** Columns of the item lines, for the COPY statement. */
export const ITEM_COLUMNS = 'tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price';

type Status = 'created' | 'paid' | 'shipped' | 'completed' | 'refunded' | 'cancelled';
const FRESH = new Weighted<Status>([['created', 12], ['paid', 30], ['shipped', 45], ['cancelled', 10], ['completed', 3]]);
const RECENT = new Weighted<Status>([['created', 2], ['paid', 5], ['shipped', 20], ['completed', 60], ['refunded', 5], ['cancelled', 8]]);
const SETTLED = new Weighted<Status>([['completed', 82], ['refunded', 7], ['cancelled', 9], ['created', 2]]);
const LINES = new Weighted<number>([[1, 50], [2, 28], [3, 14], [4, 8]]);
const QUANTITY = new Weighted<number>([[1, 75], [2, 15], [3, 6], [4, 2], [5, 1], [6, 1]]);
const COUPONS: ReadonlyArray<readonly [number, number]> = [[39_900, 5_000], [29_900, 3_000], [19_900, 2_000], [9_900, 1_000]];

/** The member's orders and items as COPY text, with row counts. */
export interface OrderBatch {
  orders: string;
  items: string;
  orderRows: number;
  itemRows: number;
}

let times = new Float64Array(64);

/** Generates member `p`'s orders (ids from the reserved block) and their items. */
export function orderLines(rng: Rng, ctx: SeedContext, p: MemberProfile): OrderBatch {
  const out: OrderBatch = { orders: '', items: '', orderRows: 0, itemRows: 0 };
  const n = p.orderCount;
  if (n === 0) return out;
  rng.forMember(ctx.key, Stream.orders, p.index);
  if (times.length < n) times = new Float64Array(n * 2);
  const [newest, oldest] = p.activeDaysAgo;
  for (let k = 0; k < n; k++) {
    let t = dayStart(ctx, rng.int(newest, oldest)) + timeOfDay(rng);
    if (t <= p.registeredAt) t = p.registeredAt + rng.int(60, 6 * 3600);
    times[k] = t;
  }
  const sorted = times.subarray(0, n).sort();
  const firstIndex = ctx.orderStart[p.index];
  const fmt = ctx.fmt;
  for (let k = 0; k < n; k++) {
    const createdAt = sorted[k];
    const globalIndex = firstIndex + k;
    const orderId = ctx.orderIdBase + globalIndex;
    const drawn = rng.chance(0.5) ? p.channels[0] : rng.pick(p.channels);
    // scripted members buy on each of their channels in turn, so their stories hold for every seed
    const channel = SHOWCASE[p.index] ? p.channels[k % p.channels.length] : drawn;
    const ageDays = (ctx.historyEnd - createdAt) / 86_400;
    const status = (ageDays < 3 ? FRESH : ageDays < 15 ? RECENT : SETTLED).pick(rng);
    let subtotal = 0;
    const lines = LINES.pick(rng);
    let previous: Product | undefined;
    for (let line = 1; line <= lines; line++) {
      const category: Category = rng.chance(0.6) ? rng.pick(p.preferred) : CATEGORY_POPULARITY.pick(rng);
      const catalog = PRODUCTS[category];
      let product = rng.pick(catalog);
      if (product === previous) product = catalog[(catalog.indexOf(product) + 1) % catalog.length];
      previous = product;
      // several of a cheap thing, rarely of a dear one
      const quantity = product.priceCents < 30_000 ? QUANTITY.pick(rng) : rng.chance(0.05) ? 2 : 1;
      const price = rng.chance(0.2) ? Math.max(100, Math.floor((product.priceCents * rng.int(85, 95)) / 1000) * 10) : product.priceCents;
      subtotal += price * quantity;
      out.items += `${ctx.tenantId}\t${orderId}\t${line}\t${p.memberId}\t${product.sku}\t${copyText(product.name)}\t` +
        `${category}\t${quantity}\t${money(price)}\n`;
    }
    out.itemRows += lines;
    let discount = 0;
    if (rng.chance(0.35)) discount = COUPONS.find(([threshold]) => subtotal >= threshold)?.[1] ?? 0;
    if (subtotal > 2_000 && rng.chance(0.1)) discount += rng.int(1, 5) * 100;
    const paid = status !== 'created' && status !== 'cancelled';
    const paidAt = paid ? createdAt + rng.int(5, 1800) : 0;
    const created = fmt.timestamp(createdAt);
    const touched = paid ? fmt.timestamp(paidAt) : created;
    const shop = channel === 'pos' ? storeId(p.city, 1 + (p.index % 7)) : ONLINE_SHOP[channel];
    out.orders += `${ctx.tenantId}\t${orderId}\t${p.memberId}\t${channel}\t${channelOrderId(rng, ctx, channel, globalIndex, createdAt, shop)}\t` +
      `${status}\t${money(subtotal - discount)}\t${money(discount)}\t${created}\t${paid ? touched : NULL}\t${shop}\t${touched}\t${touched}\n`;
  }
  out.orderRows = n;
  return out;
}

/** Per-channel order number formats; each strictly increasing in the tenant-wide order index. */
function channelOrderId(rng: Rng, ctx: SeedContext, channel: Channel, g: number, createdAt: number, shop: string): string {
  switch (channel) {
    case 'tmall': return `4${pad(g * 97 + rng.int(0, 96), 12)}${pad(rng.int(0, 999_999), 6)}`;
    case 'taobao': return `3${pad(g * 89 + rng.int(0, 88), 12)}${pad(rng.int(0, 999_999), 6)}`;
    case 'jd': return String(200_000_000_000 + g * 37 + rng.int(0, 36));
    case 'pdd': {
      const day = ctx.fmt.date(Math.floor((createdAt + 8 * 3600) / 86_400));
      return `${day.slice(2, 4)}${day.slice(5, 7)}${day.slice(8, 10)}-${pad(g * 31 + rng.int(0, 30), 15)}`;
    }
    case 'vip': return String(10_000_000_000_000 + g * 53 + rng.int(0, 52));
    case 'douyin': return `69${pad(g * 71 + rng.int(0, 70), 11)}${pad(rng.int(0, 999_999), 6)}`;
    case 'wechat_mp': return `MP${pad(g * 19 + rng.int(0, 18), 16)}`;
    case 'app': return `APP${pad(g * 13 + rng.int(0, 12), 13)}`;
    case 'web': return `WEB${pad(g * 11 + rng.int(0, 10), 13)}`;
    case 'pos': return `${shop}-${pad(g * 7 + rng.int(0, 6), 10)}`;
  }
}
