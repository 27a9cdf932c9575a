import { Source, identities, mapStatus } from './reader.js';
import { needBuyer, unitPrice, type UnifiedOrderInput } from './unified.js';
import type { OrderStatus } from '../ingest/validate.js';

/**
 * Douyin shop (抖店) order_status (order.orderDetail / order.searchList): 1 待确认/待支付,
 * 105 已支付, 2 备货中, 101 部分发货, 3 已发货, 4 已取消, 5 已完成. A cancelled order that had
 * been paid (pay_time set) is a refund.
 */
export const DOUYIN_STATUS: Record<string, OrderStatus> = {
  1: 'created', 105: 'paid', 2: 'paid', 101: 'shipped', 3: 'shipped', 4: 'cancelled', 5: 'completed',
};

/**
 * A Douyin shop order (shop_order_detail) → unified order. Money is in fen; times are Unix seconds.
 * post_tel is used when it is a plain number; encrypt_post_tel is ignored (decrypt it with the
 * Doudian decrypt API and send it as post_tel). See docs/connectors.md.
 */
export function douyinAdapter(payload: unknown, path: string): UnifiedOrderInput {
  const o = new Source(payload, path);
  const paidAt = o.optTime('pay_time');
  let status = mapStatus(o, 'order_status', DOUYIN_STATUS);
  if (status === 'cancelled' && paidAt !== null) status = 'refunded';
  return {
    channel: 'douyin',
    channelOrderId: o.str('order_id'),
    identities: needBuyer(identities(['DOUYIN_OPENID', o.optStr('doudian_open_id')], ['PHONE', o.phone('post_tel')]),
      path, 'doudian_open_id or a plain post_tel'),
    status,
    amount: o.fen('pay_amount'),
    discount: o.optFen('promotion_amount'),
    createdAt: o.time('create_time'),
    paidAt,
    storeId: o.optStr('shop_id', 100),
    items: o.list('sku_order_list').map((it) => {
      const quantity = it.int('item_num', 1);
      return {
        sku: it.has('sku_id') ? it.str('sku_id') : it.str('product_id'),
        productName: it.optStr('product_name', 300),
        category: it.optStr('first_cid'),
        quantity,
        price: it.has('goods_price') ? it.fen('goods_price') : unitPrice(it.fen('origin_amount'), quantity),
      };
    }),
  };
}
