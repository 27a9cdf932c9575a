import { createHash, hash } from 'node:crypto';
import {
  bool, date, fail, field, int, isBlank, jsonObject, list, money, optText, optTime, text, time,
} from './fields.js';
import { identityList, identityValue, keyString, type IdentityKey } from '../identity/keys.js';

/** Channels of data-model.md, as stored (lower-case). */
export const CHANNELS = ['tmall', 'taobao', 'jd', 'pdd', 'vip', 'douyin', 'wechat_mp', 'app', 'web', 'pos'] as const;
/** A stored channel name. */
export type Channel = (typeof CHANNELS)[number];
/** Order statuses of data-model.md, as stored (lower-case). */
export const ORDER_STATUSES = ['created', 'paid', 'shipped', 'completed', 'refunded', 'cancelled'] as const;
/** A stored order status. */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order item as stored. */
export interface ItemRow {
  sku: string;
  productName: string;
  category: string;
  quantity: number;
  price: string;
}

/** A checked, normalised order (the unified shape every source maps to). */
export interface OrderRow {
  channel: Channel;
  channelOrderId: string;
  identities: IdentityKey[];
  status: OrderStatus;
  amount: string;
  discount: string;
  createdAt: Date;
  paidAt: Date | null;
  storeId: string | null;
  items: ItemRow[];
}

/** A checked, normalised behaviour event. */
export interface EventRow {
  eventId: string;
  name: string;
  channel: Channel | null;
  occurredAt: Date;
  identities: IdentityKey[];
  properties: Record<string, unknown>;
}

/** Member columns an import may set; a field left undefined is not given and keeps its stored value. */
export interface MemberFields {
  name?: string;
  gender?: 'M' | 'F' | 'U';
  birthday?: string;
  phone?: string;
  email?: string;
  idCardSha256?: string;
  province?: string;
  city?: string;
  registeredAt?: Date;
  registeredChannel?: Channel;
  level?: number;
  points?: number;
  married?: boolean;
  hasChildren?: boolean;
}

/** A checked, normalised member record. */
export interface MemberRecord {
  identities: IdentityKey[];
  fields: MemberFields;
  attributes: Record<string, unknown> | null;
}

/** `TMALL`, `tmall`, `WeChat_MP` → `tmall`. */
export function channel(v: unknown, path: string): Channel {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (!(CHANNELS as readonly string[]).includes(s)) fail(path, isBlank(v) ? 'is required' : `must be one of ${CHANNELS.map((c) => c.toUpperCase()).join(', ')}`);
  return s as Channel;
}

function status(v: unknown, path: string, paid: boolean): OrderStatus {
  if (isBlank(v)) return paid ? 'paid' : 'created';
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (!(ORDER_STATUSES as readonly string[]).includes(s)) fail(path, `must be one of ${ORDER_STATUSES.map((c) => c.toUpperCase()).join(', ')}`);
  return s as OrderStatus;
}

function needIdentities(ids: IdentityKey[], path: string): IdentityKey[] {
  if (ids.length === 0) fail(path, 'at least one identity { kind, value } is required');
  if (ids.length > 20) fail(path, 'at most 20 identities per record');
  return ids;
}

const FUTURE_SKEW_MS = 24 * 3600 * 1000;

function notFuture(d: Date, path: string): Date {
  if (d.getTime() > Date.now() + FUTURE_SKEW_MS) fail(path, 'is more than a day in the future');
  return d;
}

/**
 * Checks one order in the unified shape (OrderInput, a CSV line, a channel adapter's output).
 * Throws a FieldError whose path starts with `path` (e.g. `orders[3].items[0].price`).
 */
export function validateOrder(input: unknown, path: string): OrderRow {
  if (input === null || typeof input !== 'object') fail(path, 'must be an object');
  const o = input as Record<string, unknown>;
  const paidAt = optTime(o.paidAt, `${path}.paidAt`);
  const items = list(o.items, `${path}.items`);
  if (items.length > 500) fail(`${path}.items`, 'at most 500 items per order');
  return {
    channel: channel(o.channel, `${path}.channel`),
    channelOrderId: text(o.channelOrderId, `${path}.channelOrderId`, 100),
    identities: needIdentities(identityList(o.identities, `${path}.identities`), `${path}.identities`),
    status: status(o.status, `${path}.status`, paidAt !== null),
    amount: money(o.amount, `${path}.amount`),
    discount: isBlank(o.discount) ? '0.00' : money(o.discount, `${path}.discount`),
    createdAt: notFuture(time(o.createdAt, `${path}.createdAt`), `${path}.createdAt`),
    paidAt,
    storeId: optText(o.storeId, `${path}.storeId`, 100),
    items: items.map((it, i) => validateItem(it, `${path}.items[${i}]`)),
  };
}

function validateItem(input: unknown, path: string): ItemRow {
  if (input === null || typeof input !== 'object') fail(path, 'must be an object');
  const sku = text(field(input, 'sku'), `${path}.sku`, 100);
  return {
    sku,
    productName: optText(field(input, 'productName'), `${path}.productName`, 300) ?? sku,
    category: optText(field(input, 'category'), `${path}.category`, 100) ?? 'unknown',
    quantity: int(field(input, 'quantity'), `${path}.quantity`, 1, 1_000_000),
    price: money(field(input, 'price'), `${path}.price`),
  };
}

/** Checks one event (EventInput, a Segment track message after mapping). */
export function validateEvent(input: unknown, path: string): EventRow {
  if (input === null || typeof input !== 'object') fail(path, 'must be an object');
  const e = input as Record<string, unknown>;
  return {
    eventId: text(e.eventId, `${path}.eventId`, 200),
    name: text(e.name, `${path}.name`, 100),
    channel: isBlank(e.channel) ? null : channel(e.channel, `${path}.channel`),
    occurredAt: notFuture(time(e.occurredAt, `${path}.occurredAt`), `${path}.occurredAt`),
    identities: needIdentities(identityList(e.identities, `${path}.identities`), `${path}.identities`),
    properties: jsonObject(e.properties, `${path}.properties`) ?? {},
  };
}

const GENDERS: Record<string, 'M' | 'F' | 'U'> = {
  m: 'M', male: 'M', '男': 'M', f: 'F', female: 'F', '女': 'F', u: 'U', unknown: 'U', '未知': 'U',
};

/**
 * Checks one member (MemberInput, a CSV line, Segment identify traits). `phone` and `email` also
 * become PHONE and EMAIL identities; `idCard` is stored only as its SHA-256.
 */
export function validateMember(input: unknown, path: string): MemberRecord {
  if (input === null || typeof input !== 'object') fail(path, 'must be an object');
  const m = input as Record<string, unknown>;
  const f: MemberFields = {};
  const ids = identityList(m.identities, `${path}.identities`);
  const seen = new Set(ids.map(keyString));
  const addKey = (k: IdentityKey) => {
    if (!seen.has(keyString(k))) ids.push(k);
    seen.add(keyString(k));
  };
  if (!isBlank(m.name)) f.name = text(m.name, `${path}.name`, 100);
  if (!isBlank(m.gender)) {
    const g = GENDERS[String(m.gender).trim().toLowerCase()];
    if (!g) fail(`${path}.gender`, 'must be M, F or U');
    f.gender = g;
  }
  if (!isBlank(m.birthday)) f.birthday = date(m.birthday, `${path}.birthday`);
  if (!isBlank(m.phone)) {
    f.phone = identityValue('PHONE', m.phone, `${path}.phone`);
    addKey({ kind: 'PHONE', value: f.phone });
  }
  if (!isBlank(m.email)) {
    f.email = identityValue('EMAIL', m.email, `${path}.email`);
    addKey({ kind: 'EMAIL', value: f.email });
  }
  if (!isBlank(m.idCard)) {
    const card = text(m.idCard, `${path}.idCard`, 30).toUpperCase();
    if (!/^(\d{15}|\d{17}[\dX])$/.test(card)) fail(`${path}.idCard`, 'must be a 15- or 18-character national id');
    f.idCardSha256 = createHash('sha256').update(card).digest('hex');
  }
  if (!isBlank(m.province)) f.province = text(m.province, `${path}.province`, 50);
  if (!isBlank(m.city)) f.city = text(m.city, `${path}.city`, 50);
  if (!isBlank(m.registeredAt)) f.registeredAt = notFuture(time(m.registeredAt, `${path}.registeredAt`), `${path}.registeredAt`);
  if (!isBlank(m.registeredChannel)) f.registeredChannel = channel(m.registeredChannel, `${path}.registeredChannel`);
  if (!isBlank(m.level)) f.level = int(m.level, `${path}.level`, 0, 1000);
  if (!isBlank(m.points)) f.points = int(m.points, `${path}.points`, 0);
  if (!isBlank(m.married)) f.married = bool(m.married, `${path}.married`);
  if (!isBlank(m.hasChildren)) f.hasChildren = bool(m.hasChildren, `${path}.hasChildren`);
  return {
    identities: needIdentities(ids, `${path}.identities`),
    fields: f,
    attributes: jsonObject(m.attributes, `${path}.attributes`),
  };
}

/**
 * Digest of what an order stores apart from its member: equal digests mean a duplicate import.
 * It is stored (orders.source_hash), so its input stays byte for byte
 * `JSON.stringify([status, amount, discount, createdAt ISO, paidAt ISO | null, storeId, [[sku,
 * productName, category, quantity, price], ...]])`, written out here because JSON.stringify of the
 * nested arrays cost more than the hash. status, money and ISO times need no JSON escaping.
 */
export function orderDigest(o: OrderRow): string {
  let items = '';
  for (const i of o.items) {
    items += `${items === '' ? '' : ','}[${JSON.stringify(i.sku)},${JSON.stringify(i.productName)},${JSON.stringify(i.category)},${i.quantity},"${i.price}"]`;
  }
  const paid = o.paidAt === null ? 'null' : `"${o.paidAt.toISOString()}"`;
  const store = o.storeId === null ? 'null' : JSON.stringify(o.storeId);
  return hash('sha1', `["${o.status}","${o.amount}","${o.discount}","${o.createdAt.toISOString()}",${paid},${store},[${items}]]`, 'base64');
}
