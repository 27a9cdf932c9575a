/**
 * Rows as the read resolvers select them, with the column lists that produce them. Money
 * (numeric(14,2)) is selected as float8: every numeric(14,2) value has at most 14 significant digits,
 * so the double prints back exactly (GraphQL Float; see docs/frontend-queries.md).
 */

/** A members row. */
export interface MemberRow {
  member_id: string;
  name: string | null;
  gender: 'M' | 'F' | 'U';
  birthday: string | null;
  phone: string | null;
  email: string | null;
  province: string | null;
  city: string | null;
  registered_at: Date;
  registered_channel: string | null;
  level: number;
  points: number;
  married: boolean | null;
  has_children: boolean | null;
  attributes: Record<string, unknown>;
  has_id_card: boolean;
  /** Whole years since the birthday, today (UTC); null without a birthday. */
  age: number | null;
  /** Days from today (UTC) to the next birthday, 0..365; null without a birthday. */
  days_until_birthday: number | null;
}

// Today as the DSL sees it by default (asOf = now, calendar in UTC), so `age` and `days_until_birthday`
// read the same in GraphQL as in a tag; 29 February falls on 28 February in other years, as there.
const TODAY = `(now() at time zone 'UTC')::date`;
const BIRTHDAY_IN = (years: string) => `(m.birthday + make_interval(years => extract(year from ${TODAY})::int - extract(year from m.birthday)::int${years}))::date`;

/** Member.age of the member `m`: whole years since the birthday, today (UTC). */
export const MEMBER_AGE = `extract(year from age(${TODAY}, m.birthday))::int`;
/** Member.daysUntilBirthday of the member `m`: 0..365 (UTC). */
export const MEMBER_DAYS_UNTIL_BIRTHDAY = `case when ${BIRTHDAY_IN('')} >= ${TODAY} then ${BIRTHDAY_IN('')} - ${TODAY} else ${BIRTHDAY_IN(' + 1')} - ${TODAY} end`;

/** Columns every member query selects (table alias `m`). */
export const MEMBER_COLUMNS = `m.member_id, m.name, m.gender, to_char(m.birthday, 'YYYY-MM-DD') as birthday, m.phone, m.email,
  m.province, m.city, m.registered_at, m.registered_channel, m.level, m.points, m.married, m.has_children, m.attributes,
  m.id_card_sha256 is not null as has_id_card, ${MEMBER_AGE} as age,
  ${MEMBER_DAYS_UNTIL_BIRTHDAY} as days_until_birthday`;

/**
 * The member id `id` answers for now: itself, or the survivor of the merge that absorbed it, as a
 * scalar sub-select. Postgres looks `member_id = (select coalesce(...))` up in an index, but not a
 * bare `member_id = coalesce((select ...), id)`: under row-level security that is a filter over every
 * row of the tenant (test/gateway/index-use.test.ts).
 */
export const survivorOf = (tenant: string, id: string) =>
  `(select coalesce((select a.member_id from member_aliases a where a.tenant_id = ${tenant} and a.alias_id = ${id}), ${id}))`;

/** A timestamp as exact UTC text with microseconds: keyset cursors must not lose precision to JS Dates. */
export const cursorTime = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/** An ISO-8601 UTC timestamp with milliseconds, as the DateTime scalar prints a JS Date. */
export const isoTime = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** An orders row; `k` is created_at as cursor text. */
export interface OrderRow {
  order_id: string;
  member_id: string;
  channel: string;
  channel_order_id: string;
  status: string;
  amount: number;
  discount: number;
  created_at: Date;
  paid_at: Date | null;
  store_id: string | null;
  k: string;
}

/** Cursor kind of order connections: the key is (created_at, order_id), newest first. */
export const ORDER_CURSOR = 'o';

/** Columns of an order (table alias `o`). Orders sort by created_at desc, order_id desc. */
export const ORDER_COLUMNS = `o.order_id, o.member_id, o.channel, o.channel_order_id, o.status, o.amount::float8 as amount,
  o.discount::float8 as discount, o.created_at, o.paid_at, o.store_id, ${cursorTime('o.created_at')} as k`;

/** An order_items row. */
export interface ItemRow {
  order_id: string;
  line_no: number;
  sku: string;
  product_name: string;
  category: string;
  quantity: number;
  price: number;
}

/** An events row; `k` is occurred_at as cursor text. Events sort by occurred_at desc, id desc. */
export interface EventRow {
  id: string;
  event_id: string;
  member_id: string;
  name: string;
  channel: string | null;
  occurred_at: Date;
  properties: Record<string, unknown>;
  received_at: Date;
  k: string;
}

/** Columns of an event (table alias `e`). */
export const EVENT_COLUMNS = `e.id, e.event_id, e.member_id, e.name, e.channel, e.occurred_at, e.properties, e.received_at,
  ${cursorTime('e.occurred_at')} as k`;

/** A member's materialised tag value, with the category that decides tags:read narrowing. */
export interface TagValueRow {
  member_id: string;
  tag_name: string;
  value: unknown;
  category: string | null;
}

/**
 * FROM and WHERE of the tag values consumers see (`tv`, with its definition `d`; with `category`,
 * the current version `v` too): a tenant's values of tags not deprecated (deprecated tags are retired
 * from consumers; their values stay until a refresh drops them). `member` is the condition on
 * tv.member_id. One text for the loader, member(id)'s read-ahead and the compiled reads.
 */
export const visibleTagValues = (tenant: string, member: string, category = false) =>
  `tag_values tv join tag_definitions d on d.tenant_id = tv.tenant_id and d.name = tv.tag_name${category ? `
    left join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version` : ''}
   where tv.tenant_id = ${tenant} and ${member} and d.status <> 'deprecated'`;

/** A tag definition joined with its current version. */
export interface TagRow {
  name: string;
  current_version: number;
  published_version: number | null;
  status: string;
  owner: string | null;
  batch_only: boolean;
  last_refreshed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source: string;
  value_type: string;
  label: string | null;
  category: string | null;
  description: string | null;
  dependencies: string[];
}

/** Columns of a tag (definition `d`, current version `v`). */
export const TAG_COLUMNS = `d.name, d.current_version, d.published_version, d.status, d.owner, d.batch_only, d.last_refreshed_at,
  d.created_at, d.updated_at, v.source, v.value_type, v.label, v.category, v.description, v.dependencies`;
export const TAG_FROM = `tag_definitions d
  join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version`;

/** An audience joined with its current version. */
export interface AudienceRow {
  name: string;
  definition_kind: 'dsl' | 'upload';
  current_version: number;
  status: string;
  owner: string | null;
  size: string;
  last_seq: string;
  last_refreshed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source: string | null;
  label: string | null;
  description: string | null;
  dependencies: string[];
}

/** Columns of an audience (audience `a`, current version `v`); AUDIENCE_FROM joins them. */
export const AUDIENCE_COLUMNS = `a.name, a.definition_kind, a.current_version, a.status, a.owner, a.size, a.last_seq,
  a.last_refreshed_at, a.created_at, a.updated_at, v.source, v.label, v.description, v.dependencies`;
export const AUDIENCE_FROM = `audiences a
  left join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version`;
