import { Source, identities, mapStatus } from './reader.js';
import { fail } from '../ingest/fields.js';
import { needBuyer, type UnifiedOrderInput } from './unified.js';
import type { OrderStatus } from '../ingest/validate.js';

/**
 * WeChat Shop (微信小店, used by mini-program shops) order status (ec/order/get): 10 待付款,
 * 12 礼物待收下, 13 凑单买凑团中, 20 待发货, 21 部分发货, 30 待收货, 100 完成, 200 全部商品售后后取消,
 * 250 未付款取消.
 */
export const WECHAT_STATUS: Record<string, OrderStatus> = {
  10: 'created', 12: 'paid', 13: 'paid', 20: 'paid', 21: 'shipped', 30: 'shipped', 100: 'completed', 200: 'refunded', 250: 'cancelled',
};

/**
 * A WeChat Shop order → unified order: openid (WECHAT_OPENID, weak) and unionid (WECHAT_UNIONID,
 * strong) identify the buyer; money is in fen; times are Unix seconds. product_infos, price_info and
 * pay_info are read from order_detail (the API's shape) or from the top level. See docs/connectors.md.
 */
export function wechatAdapter(payload: unknown, path: string): UnifiedOrderInput {
  const o = new Source(payload, path);
  const detail = o.optChild('order_detail') ?? o;
  const price = detail.optChild('price_info') ?? (o.has('price_info') ? o.child('price_info') : null);
  if (!price) fail(`${detail.path}.price_info`, 'is required');
  const pay = detail.optChild('pay_info') ?? o.optChild('pay_info');
  const address = detail.optChild('delivery_info')?.optChild('address_info') ?? null;
  const products = detail.has('product_infos') ? detail.list('product_infos') : o.list('product_infos');
  return {
    channel: 'wechat_mp',
    channelOrderId: o.str('order_id'),
    identities: needBuyer(identities(['WECHAT_UNIONID', o.optStr('unionid')], ['WECHAT_OPENID', o.optStr('openid')],
      ['PHONE', address?.phone('tel_number')]), path, 'openid or unionid'),
    status: mapStatus(o, 'status', WECHAT_STATUS),
    amount: price.fen('order_price'),
    discount: price.optFen('discounted_price'),
    createdAt: o.time('create_time'),
    paidAt: pay?.optTime('pay_time') ?? null,
    storeId: null,
    items: products.map((p) => ({
      sku: p.has('sku_id') ? p.str('sku_id') : p.str('product_id'),
      productName: p.optStr('title', 300),
      category: null,
      quantity: p.int('sku_cnt', 1),
      price: p.fen('sale_price'),
    })),
  };
}
