import { Source, identities, mapStatus } from './reader.js';
import { needBuyer, type UnifiedOrderInput } from './unified.js';
import type { OrderStatus } from '../ingest/validate.js';

/**
 * JD POP order state (jingdong.pop.order.search / jingdong.pop.order.get `orderState`) → unified
 * status. TRADE_CANCELED is a refund when payment had been confirmed, a cancellation otherwise.
 */
export const JD_STATUS: Record<string, OrderStatus> = {
  WAIT_PAY: 'created',
  NOT_PAY: 'created',
  WAIT_SELLER_STOCK_OUT: 'paid',
  WAIT_SELLER_DELIVERY: 'paid',
  LOCKED: 'paid',
  PAUSE: 'paid',
  POP_ORDER_PAUSE: 'paid',
  SEND_TO_DISTRIBUTION_CENER: 'shipped',
  DISTRIBUTION_CENTER_RECEIVED: 'shipped',
  WAIT_GOODS_RECEIVE_CONFIRM: 'shipped',
  RECEIPTS_CONFIRM: 'shipped',
  FINISHED_L: 'completed',
  TRADE_CANCELED: 'refunded',
};

/** A JD POP order (OrderSearchInfo) → unified order. See docs/connectors.md. */
export function jdAdapter(payload: unknown, path: string): UnifiedOrderInput {
  const o = new Source(payload, path);
  const paidAt = o.optTime('paymentConfirmTime');
  let status = mapStatus(o, 'orderState', JD_STATUS);
  if (status === 'refunded' && paidAt === null) status = 'cancelled';
  const consignee = o.optChild('consigneeInfo');
  const amount = o.yuan('orderPayment');
  const total = o.optYuan('orderTotalPrice');
  const discount = o.optYuan('sellerDiscount')
    ?? (total !== null && Number(total) > Number(amount) ? (Number(total) - Number(amount)).toFixed(2) : null);
  return {
    channel: 'jd',
    channelOrderId: o.str('orderId'),
    identities: needBuyer(identities(['JD_PIN', o.optStr('pin') ?? o.optStr('open_id_buyer')],
      ['PHONE', consignee?.phone('mobile') ?? consignee?.phone('telephone')]), path, 'pin, open_id_buyer or an unmasked consigneeInfo.mobile'),
    status,
    amount,
    discount,
    createdAt: o.time('orderStartTime'),
    paidAt,
    storeId: o.optStr('venderId', 100),
    items: o.list('itemInfoList').map((it) => ({
      sku: it.str('skuId'),
      productName: it.optStr('skuName', 300),
      category: null,
      quantity: it.int('itemTotal', 1),
      price: it.yuan('jdPrice'),
    })),
  };
}
