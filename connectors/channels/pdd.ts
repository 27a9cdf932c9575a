import { Source, identities, mapStatus } from './reader.js';
import { needBuyer, type UnifiedOrderInput } from './unified.js';
import type { OrderStatus } from '../ingest/validate.js';

/** Pinduoduo order_status (pdd.order.information.get): 1 待发货, 2 已发货待签收, 3 已签收. */
export const PDD_STATUS: Record<string, OrderStatus> = { 1: 'paid', 2: 'shipped', 3: 'completed' };

/** Pinduoduo refund_status 4 (退款成功) overrides order_status. */
const PDD_REFUNDED = '4';

/**
 * A Pinduoduo order (order_info of pdd.order.information.get / pdd.order.list.get) → unified order.
 * Pinduoduo gives apps no stable buyer id by default; when the payload carries one (open_id or
 * buyer_id, as some ISV exports add) it becomes PDD_UID. receiver_phone is used when it is a plain
 * number (the API encrypts it: decrypt before import). See docs/connectors.md.
 */
export function pddAdapter(payload: unknown, path: string): UnifiedOrderInput {
  const o = new Source(payload, path);
  let status = mapStatus(o, 'order_status', PDD_STATUS);
  if (o.has('refund_status') && String(o.get('refund_status')) === PDD_REFUNDED) status = 'refunded';
  if (o.has('confirm_status') && String(o.get('confirm_status')) === '0') status = 'created';
  return {
    channel: 'pdd',
    channelOrderId: o.str('order_sn'),
    identities: needBuyer(identities(['PDD_UID', o.optStr('open_id') ?? o.optStr('buyer_id')], ['PHONE', o.phone('receiver_phone')]),
      path, 'open_id, buyer_id or a plain receiver_phone'),
    status,
    amount: o.yuan('pay_amount'),
    discount: o.optYuan('discount_amount'),
    createdAt: o.time('created_time'),
    paidAt: o.optTime('pay_time'),
    storeId: o.optStr('mall_id', 100),
    items: o.list('item_list').map((it) => ({
      sku: it.has('sku_id') ? it.str('sku_id') : it.str('goods_id'),
      productName: it.optStr('goods_name', 300),
      category: null,
      quantity: it.int('goods_count', 1),
      price: it.yuan('goods_price'),
    })),
  };
}
