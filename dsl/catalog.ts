/** The type of a tag value, a member field or an expression. */
export type ValueType =
  | { kind: 'boolean' | 'number' | 'string' | 'date' | 'timestamp' }
  | { kind: 'enum'; values: string[] };

/** What the checker knows about an existing tag of the tenant. */
export interface TagInfo {
  type: ValueType;
  /** Uses a population function, directly or through another tag: refreshed in full only. */
  batchOnly: boolean;
  /** Its dependencies as compile returns them (`tag:x`, `audience:y`, ...); a bare name means a tag. */
  dependencies?: string[];
}

/** What the checker knows about an existing audience, when the caller has more than its name. */
export interface AudienceInfo {
  batchOnly?: boolean;
  dependencies?: string[];
}

/**
 * A tenant's names: its tags and audiences. Member fields and collections are built in
 * (MEMBER_FIELDS, COLLECTIONS). `audienceDetails` is optional: with it, cycles and batch-only
 * marking also follow references through existing audiences.
 */
export interface Catalog {
  tags: Map<string, TagInfo>;
  audiences: Set<string>;
  audienceDetails?: Map<string, AudienceInfo>;
}

/** A catalog with no tags and no audiences. */
export function emptyCatalog(): Catalog {
  return { tags: new Map(), audiences: new Set() };
}

/** A field's type: a value type, or `map` for free-form jsonb (`attributes`, `properties`). */
export type FieldType = ValueType | { kind: 'map' };

export interface FieldInfo {
  type: FieldType;
  description: string;
  /** Personal data: masked without the `pii` scope. */
  pii?: boolean;
  /** Stored hashed: only `is null` / `is not null` can be asked of it. */
  presenceOnly?: boolean;
}

/** Channels, lower-case as stored and as written in the language. */
export const CHANNELS = ['tmall', 'taobao', 'jd', 'pdd', 'vip', 'douyin', 'wechat_mp', 'app', 'web', 'pos'];
export const ORDER_STATUSES = ['created', 'paid', 'shipped', 'completed', 'refunded', 'cancelled'];
export const GENDERS = ['M', 'F', 'U'];

const t = {
  boolean: { kind: 'boolean' } as ValueType,
  number: { kind: 'number' } as ValueType,
  string: { kind: 'string' } as ValueType,
  date: { kind: 'date' } as ValueType,
  timestamp: { kind: 'timestamp' } as ValueType,
  map: { kind: 'map' } as FieldType,
  channel: { kind: 'enum', values: CHANNELS } as ValueType,
  status: { kind: 'enum', values: ORDER_STATUSES } as ValueType,
};

/** The member fields of data-model.md, by their names in the language. */
export const MEMBER_FIELDS: ReadonlyMap<string, FieldInfo> = new Map<string, FieldInfo>([
  ['id', { type: t.number, description: 'member id' }],
  ['name', { type: t.string, description: 'name', pii: true }],
  ['gender', { type: { kind: 'enum', values: GENDERS }, description: '"M", "F" or "U"' }],
  ['birthday', { type: t.date, description: 'date of birth', pii: true }],
  ['age', { type: t.number, description: 'whole years since birthday at asOf' }],
  ['days_until_birthday', { type: t.number, description: 'days from asOf to the next birthday, 0..365' }],
  ['phone', { type: t.string, description: 'mobile number', pii: true }],
  ['email', { type: t.string, description: 'e-mail address', pii: true }],
  ['id_card', { type: t.string, description: 'national id, stored hashed', pii: true, presenceOnly: true }],
  ['province', { type: t.string, description: 'province' }],
  ['city', { type: t.string, description: 'city' }],
  ['registered_at', { type: t.timestamp, description: 'registration time' }],
  ['registered_channel', { type: t.channel, description: 'channel of registration' }],
  ['level', { type: t.number, description: 'membership level, 0 = none' }],
  ['points', { type: t.number, description: 'loyalty points' }],
  ['married', { type: t.boolean, description: 'married, may be unknown' }],
  ['has_children', { type: t.boolean, description: 'has children, may be unknown' }],
  ['attributes', { type: t.map, description: 'free-form attributes: attributes.key' }],
]);

export type CollectionName = 'orders' | 'items' | 'events';

export interface CollectionInfo {
  fields: ReadonlyMap<string, FieldInfo>;
  /** The field windows and `asOf` apply to. */
  timeField: string;
}

const orderFields: [string, FieldInfo][] = [
  ['channel', { type: t.channel, description: 'sales channel' }],
  ['status', { type: t.status, description: 'order status' }],
  ['created_at', { type: t.timestamp, description: 'order time' }],
  ['paid_at', { type: t.timestamp, description: 'payment time, may be null' }],
];

/** The related rows a member's aggregates range over. Items carry their order's channel, status and times. */
export const COLLECTIONS: ReadonlyMap<CollectionName, CollectionInfo> = new Map<CollectionName, CollectionInfo>([
  ['orders', {
    timeField: 'created_at',
    fields: new Map<string, FieldInfo>([
      ['id', { type: t.number, description: 'order id' }],
      ...orderFields,
      ['channel_order_id', { type: t.string, description: "the channel's order id" }],
      ['amount', { type: t.number, description: 'paid amount (CNY)' }],
      ['discount', { type: t.number, description: 'discount (CNY)' }],
      ['store_id', { type: t.string, description: 'store or shop id' }],
    ]),
  }],
  ['items', {
    timeField: 'created_at',
    fields: new Map<string, FieldInfo>([
      ['sku', { type: t.string, description: 'stock-keeping unit' }],
      ['product_name', { type: t.string, description: 'product name' }],
      ['category', { type: t.string, description: 'product category' }],
      ['quantity', { type: t.number, description: 'quantity' }],
      ['price', { type: t.number, description: 'unit price (CNY)' }],
      ...orderFields,
    ]),
  }],
  ['events', {
    timeField: 'occurred_at',
    fields: new Map<string, FieldInfo>([
      ['name', { type: t.string, description: 'event name' }],
      ['channel', { type: t.string, description: 'channel the event came from' }],
      ['occurred_at', { type: t.timestamp, description: 'event time' }],
      ['properties', { type: t.map, description: 'free-form properties: properties.key' }],
    ]),
  }],
]);

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A type as written in the language: `number`, `enum("a", "b")`. */
export function typeToString(type: ValueType): string {
  return type.kind === 'enum' ? `enum(${type.values.map(quote).join(', ')})` : type.kind;
}

/** Reads a type written by typeToString (as stored in tag_versions.value_type); undefined if it is not one. */
export function typeFromString(text: string): ValueType | undefined {
  const s = text.trim();
  if (s === 'boolean' || s === 'number' || s === 'string' || s === 'date' || s === 'timestamp') return { kind: s };
  const m = /^enum\s*\((.*)\)$/s.exec(s);
  if (!m) return undefined;
  const str = '"(?:[^"\\\\]|\\\\["\\\\])*"';
  if (!new RegExp(`^\\s*${str}\\s*(?:,\\s*${str}\\s*)*$`).test(m[1])) return undefined;
  return { kind: 'enum', values: [...m[1].matchAll(new RegExp(str, 'g'))].map((x) => x[0].slice(1, -1).replace(/\\(["\\])/g, '$1')) };
}

/** True when both types are the same (enums: the same values in the same order). */
export function sameType(a: ValueType, b: ValueType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'enum' && b.kind === 'enum') return a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i]);
  return true;
}
