import { fail } from '../ingest/fields.js';
import type { IdentityKey } from '../identity/keys.js';
import type { Channel, OrderStatus } from '../ingest/validate.js';

/** What an adapter makes of one channel order: the unified order input (validateOrder checks it again). */
export interface UnifiedOrderInput {
  channel: Channel;
  channelOrderId: string;
  identities: IdentityKey[];
  status: OrderStatus;
  amount: string;
  discount: string | null;
  createdAt: Date;
  paidAt: Date | null;
  storeId: string | null;
  items: Array<{ sku: string; productName: string | null; category: string | null; quantity: number; price: string }>;
}

/** Maps one payload element (its path is `path`) to a unified order; throws FieldError naming the source field. */
export type ChannelAdapter = (payload: unknown, path: string) => UnifiedOrderInput;

/** Throws unless the buyer has an identity, naming the source fields that could have carried one. */
export function needBuyer(ids: IdentityKey[], path: string, fields: string): IdentityKey[] {
  if (ids.length === 0) fail(path, `no buyer identity: needs ${fields}`);
  return ids;
}

/** Unit price from a line total and a quantity, in yuan with two decimals. */
export function unitPrice(lineTotalYuan: string, quantity: number): string {
  return (Math.round((Number(lineTotalYuan) * 100) / quantity) / 100).toFixed(2);
}
