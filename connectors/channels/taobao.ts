import { Source, identities, mapStatus } from './reader.js';
import { needBuyer, type UnifiedOrderInput } from './unified.js';
import type { OrderStatus } from '../ingest/validate.js';

/**
 * Taobao Open Platform trade status (taobao.trades.sold.get / taobao.trade.fullinfo.get `status`) →
 * unified status. TRADE_CLOSED is a refund when the trade had been paid (pay_time set), a
 * cancellation otherwise; TRADE_CLOSED_BY_TAOBAO closes unpaid trades.
 */
export const TAOBAO_STATUS: Record<string, OrderStatus> = {
  TRADE_NO_CREATE_PAY: 'created',
  WAIT_BUYER_PAY: 'created',
  PAY_PENDING: 'created',
  WAIT_PRE_AUTH_CONFIRM: 'created',
  WAIT_SELLER_SEND_GOODS: 'paid',
  SELLER_CONSIGNED_PART: 'shipped',
  WAIT_BUYER_CONFIRM_GOODS: 'shipped',
  TRADE_BUYER_SIGNED: 'completed',
  TRADE_FINISHED: 'completed',
  TRADE_CLOSED: 'refunded',
  TRADE_CLOSED_BY_TAOBAO: 'cancelled',
};

/**
 * A Taobao or Tmall trade (Taobao Open Platform Trade object; Tmall shops use the same API) →
 * unified order. See docs/connectors.md for the field table.
 */
export function taobaoAdapter(channel: 'tmall' | 'taobao') {
  return (payload: unknown, path: string): UnifiedOrderInput => {
    const t = new Source(payload, path);
    const paidAt = t.optTime('pay_time');
    let status = mapStatus(t, 'status', TAOBAO_STATUS);
    if (status === 'refunded' && paidAt === null) status = 'cancelled';
    const buyer = t.optStr('buyer_open_uid') ?? t.optStr('buyer_nick');
    return {
      channel,
      channelOrderId: t.has('tid_str') ? t.str('tid_str') : t.str('tid'),
      identities: needBuyer(identities(['TAOBAO_OUID', buyer], ['PHONE', t.phone('receiver_mobile')]), path,
        'buyer_open_uid, buyer_nick or an unmasked receiver_mobile'),
      status,
      amount: t.yuan('payment'),
      discount: t.optYuan('discount_fee'),
      createdAt: t.time('created'),
      paidAt,
      storeId: t.optStr('seller_nick', 100),
      items: t.list('orders', 'order').map((o) => ({
        sku: o.has('sku_id') ? o.str('sku_id') : o.str('num_iid'),
        productName: o.optStr('title', 300),
        category: o.optStr('cid'),
        quantity: o.int('num', 1),
        price: o.yuan('price'),
      })),
    };
  };
}
