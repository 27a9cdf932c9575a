import { fail, isBlank } from '../ingest/fields.js';
import { IDENTITY_KINDS, identityValue, type IdentityKind } from '../identity/keys.js';

/**
 * CSV columns → import inputs (docs/connectors.md, "CSV"). Headers are matched case-insensitively
 * in snake_case or camelCase (`channel_order_id` = `channelOrderId`). A column named after an
 * identity kind (`phone`, `wechat_unionid`, `external_id`, ...) adds that identity; errors name the
 * column: `phone: is not a phone number ...`.
 */

/** `channelOrderId`, ` Channel Order ID ` → `channel_order_id`. */
export function normalizeHeader(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[\s\-.]+/g, '_').toLowerCase()
    .replace(/^(attr|attributes)_/, 'attr.');
}

/** One parsed CSV line: normalised header → cell text. */
export type CsvRecord = Record<string, string>;

const IDENTITY_COLUMNS = IDENTITY_KINDS.map((k) => [k.toLowerCase(), k] as [string, IdentityKind]);

/** The identities a line carries in identity-kind columns. */
function identitiesOf(r: CsvRecord): Array<{ kind: IdentityKind; value: string }> {
  const out: Array<{ kind: IdentityKind; value: string }> = [];
  for (const [col, kind] of IDENTITY_COLUMNS) {
    if (!isBlank(r[col])) out.push({ kind, value: identityValue(kind, r[col], col) });
  }
  return out;
}

const cell = (r: CsvRecord, col: string) => (isBlank(r[col]) ? undefined : r[col]);

/** A members CSV line → MemberInput (strings; the member validator parses them). */
export function memberFromCsv(r: CsvRecord): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith('attr.') && !isBlank(v)) attributes[k.slice(5)] = v;
  let json: Record<string, unknown> | undefined;
  if (!isBlank(r.attributes)) {
    try {
      json = JSON.parse(r.attributes);
    } catch {
      fail('attributes', 'must be a JSON object');
    }
  }
  const ids = identitiesOf(r).filter((i) => i.kind !== 'PHONE' && i.kind !== 'EMAIL');
  return {
    identities: ids, name: cell(r, 'name'), gender: cell(r, 'gender'), birthday: cell(r, 'birthday'), phone: cell(r, 'phone'),
    email: cell(r, 'email'), idCard: cell(r, 'id_card'), province: cell(r, 'province'), city: cell(r, 'city'),
    registeredAt: cell(r, 'registered_at'), registeredChannel: cell(r, 'registered_channel'), level: cell(r, 'level'),
    points: cell(r, 'points'), married: cell(r, 'married'), hasChildren: cell(r, 'has_children'),
    attributes: json || Object.keys(attributes).length > 0 ? { ...json, ...attributes } : undefined,
  };
}

/** The key that groups consecutive item lines of one order. */
export const orderKeyOf = (r: CsvRecord) => `${(r.channel ?? '').trim().toLowerCase()}\u0000${(r.channel_order_id ?? '').trim()}`;

/** True when the file lists one line per item (a `sku` column) rather than an `items` JSON column. */
export const hasItemLines = (r: CsvRecord) => 'sku' in r;

/** Consecutive lines of one order (one line when items are a JSON column) → OrderInput. */
export function orderFromCsv(lines: CsvRecord[]): Record<string, unknown> {
  const r = lines[0];
  let items: unknown[] = [];
  if (hasItemLines(r)) {
    items = lines.filter((l) => !isBlank(l.sku)).map((l) => ({
      sku: l.sku, productName: cell(l, 'product_name'), category: cell(l, 'category'), quantity: cell(l, 'quantity'), price: cell(l, 'price'),
    }));
  } else if (!isBlank(r.items)) {
    try {
      items = JSON.parse(r.items);
    } catch {
      fail('items', 'must be a JSON list of { sku, productName, category, quantity, price }');
    }
  }
  return {
    channel: r.channel, channelOrderId: r.channel_order_id, identities: identitiesOf(r), status: cell(r, 'status'),
    amount: r.amount, discount: cell(r, 'discount'), createdAt: r.created_at, paidAt: cell(r, 'paid_at'),
    storeId: cell(r, 'store_id'), items,
  };
}
