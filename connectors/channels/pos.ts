import { Source, identities, mapStatus } from './reader.js';
import { normalizePhone } from '../identity/keys.js';
import { needBuyer, type UnifiedOrderInput } from './unified.js';
import type { OrderStatus } from '../ingest/validate.js';

/** POS receipt types: a sale, a refund receipt, a voided receipt. */
export const POS_STATUS: Record<string, OrderStatus> = { sale: 'completed', refund: 'refunded', void: 'cancelled' };

/**
 * A store till receipt (this gateway's own POS shape, docs/connectors.md) → unified order. The
 * receipt number is unique within its store, so the order key is `store_id-receipt_no`. A sale is
 * paid at the till: paidAt is the receipt time. The phone is typed in by the cashier, so a number
 * that is not a phone is an error here, where channel adapters skip masked ones.
 */
export function posAdapter(payload: unknown, path: string): UnifiedOrderInput {
  const r = new Source(payload, path);
  const storeId = r.str('store_id');
  const status = r.has('type') ? mapStatus(r, 'type', POS_STATUS) : 'completed';
  const at = r.time('time');
  return {
    channel: 'pos',
    channelOrderId: `${storeId}-${r.str('receipt_no')}`,
    identities: needBuyer(identities(['POS_CARD', r.optStr('member_card')], ['PHONE', r.has('phone') ? normalizePhone(r.str('phone'), r.at('phone')) : null]),
      path, 'member_card or phone'),
    status,
    amount: r.yuan('amount'),
    discount: r.optYuan('discount'),
    createdAt: at,
    paidAt: status === 'cancelled' ? null : at,
    storeId,
    items: r.list('items').map((it) => ({
      sku: it.str('sku'),
      productName: it.optStr('name', 300),
      category: it.optStr('category'),
      quantity: it.int('qty', 1),
      price: it.yuan('price'),
    })),
  };
}
