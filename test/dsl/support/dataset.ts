import type pg from 'pg';
import { withTenant } from '../../../connectors/store/pool.js';
import { bindQuery, type CompiledQuery, type ValueType } from '../../../dsl/index.js';
import type { TestDatabase } from '../../support/db.js';

/** In-memory rows of one tenant, in the shapes the DSL exposes; money in cents. */
export interface MemberRow {
  member_id: number;
  name?: string | null;
  gender?: 'M' | 'F' | 'U';
  birthday?: string | null;
  phone?: string | null;
  email?: string | null;
  id_card?: boolean;
  province?: string | null;
  city?: string | null;
  registered_at?: string;
  registered_channel?: string | null;
  level?: number;
  points?: number;
  married?: boolean | null;
  has_children?: boolean | null;
  attributes?: Record<string, unknown>;
}

export interface OrderRow {
  order_id: number;
  member_id: number;
  channel: string;
  status: string;
  amount_cents: number;
  discount_cents?: number;
  created_at: string;
  paid_at?: string | null;
  store_id?: string | null;
}

export interface ItemRow {
  order_id: number;
  line_no: number;
  member_id: number;
  sku: string;
  product_name?: string;
  category: string;
  quantity: number;
  price_cents: number;
}

export interface EventRow {
  id: number;
  member_id: number;
  name: string;
  channel?: string | null;
  occurred_at: string;
  properties?: Record<string, unknown>;
}

export interface Dataset {
  members: MemberRow[];
  orders: OrderRow[];
  items: ItemRow[];
  events: EventRow[];
  tagValues: { tag_name: string; member_id: number; value: unknown }[];
  audienceMembers: { audience_name: string; member_id: number }[];
}

export function emptyDataset(): Dataset {
  return { members: [], orders: [], items: [], events: [], tagValues: [], audienceMembers: [] };
}

const money = (cents: number | undefined) => ((cents ?? 0) / 100).toFixed(2);

async function insert(db: pg.Pool, table: string, columns: [string, string][], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const arrays = columns.map((_, i) => rows.map((r) => r[i]));
  const select = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  await db.query(`insert into ${table} (${columns.map(([c]) => c).join(', ')}) select * from unnest(${select})`, arrays);
}

/** Writes a dataset for `tenantId` with the owner pool (fixture set-up bypasses RLS). */
export async function loadDataset(db: TestDatabase, tenantId: string, d: Dataset): Promise<void> {
  const t = tenantId;
  await insert(db.admin, 'members', [['tenant_id', 'uuid'], ['member_id', 'bigint'], ['name', 'text'], ['gender', 'text'], ['birthday', 'date'],
    ['phone', 'text'], ['email', 'text'], ['id_card_sha256', 'bytea'], ['province', 'text'], ['city', 'text'], ['registered_at', 'timestamptz'],
    ['registered_channel', 'text'], ['level', 'int'], ['points', 'int'], ['married', 'boolean'], ['has_children', 'boolean'], ['attributes', 'jsonb']],
  d.members.map((m) => [t, m.member_id, m.name ?? null, m.gender ?? 'U', m.birthday ?? null, m.phone ?? null, m.email ?? null,
    m.id_card ? '\\x00ff' : null, m.province ?? null, m.city ?? null, m.registered_at ?? '2025-01-01T00:00:00Z', m.registered_channel ?? null,
    m.level ?? 0, m.points ?? 0, m.married ?? null, m.has_children ?? null, JSON.stringify(m.attributes ?? {})]));
  await insert(db.admin, 'orders', [['tenant_id', 'uuid'], ['order_id', 'bigint'], ['member_id', 'bigint'], ['channel', 'text'], ['channel_order_id', 'text'],
    ['status', 'text'], ['amount', 'numeric'], ['discount', 'numeric'], ['created_at', 'timestamptz'], ['paid_at', 'timestamptz'], ['store_id', 'text']],
  d.orders.map((o) => [t, o.order_id, o.member_id, o.channel, `co${o.order_id}`, o.status, money(o.amount_cents), money(o.discount_cents),
    o.created_at, o.paid_at ?? null, o.store_id ?? null]));
  await insert(db.admin, 'order_items', [['tenant_id', 'uuid'], ['order_id', 'bigint'], ['line_no', 'int'], ['member_id', 'bigint'], ['sku', 'text'],
    ['product_name', 'text'], ['category', 'text'], ['quantity', 'int'], ['price', 'numeric']],
  d.items.map((i) => [t, i.order_id, i.line_no, i.member_id, i.sku, i.product_name ?? i.sku, i.category, i.quantity, money(i.price_cents)]));
  await insert(db.admin, 'events', [['tenant_id', 'uuid'], ['id', 'bigint'], ['event_id', 'text'], ['member_id', 'bigint'], ['name', 'text'],
    ['channel', 'text'], ['occurred_at', 'timestamptz'], ['properties', 'jsonb']],
  d.events.map((e) => [t, e.id, `ev${e.id}`, e.member_id, e.name, e.channel ?? null, e.occurred_at, JSON.stringify(e.properties ?? {})]));
  await insert(db.admin, 'tag_values', [['tenant_id', 'uuid'], ['tag_name', 'text'], ['member_id', 'bigint'], ['value', 'jsonb']],
    d.tagValues.map((v) => [t, v.tag_name, v.member_id, JSON.stringify(v.value)]));
  await insert(db.admin, 'audience_members', [['tenant_id', 'uuid'], ['audience_name', 'text'], ['member_id', 'bigint']],
    d.audienceMembers.map((a) => [t, a.audience_name, a.member_id]));
  await db.admin.query('analyze members, orders, order_items, events, tag_values, audience_members');
}

/** A value as the tests compare it: numbers as numbers, dates as `YYYY-MM-DD`, times as epoch milliseconds. */
export type Plain = null | boolean | number | string;

function normalise(valueType: ValueType): string {
  switch (valueType.kind) {
    case 'number': return 'q.value::float8';
    case 'date': return `to_char(q.value, 'YYYY-MM-DD')`;
    case 'timestamp': return '(extract(epoch from q.value) * 1000)::float8';
    default: return 'q.value';
  }
}

/**
 * Runs a compiled query as the application role under row-level security and returns
 * member_id → value, values normalised to Plain.
 */
export async function runQuery(db: TestDatabase, tenantId: string, query: CompiledQuery, valueType: ValueType,
  opts: { asOf: string; memberIds?: number[] }): Promise<Map<number, Plain>> {
  const bound = bindQuery(query, { tenantId, asOf: opts.asOf, memberIds: opts.memberIds });
  const rows = await withTenant(db.app, tenantId, async (c) => (await c.query<{ member_id: string; value: Plain }>(
    `select q.member_id, ${normalise(valueType)} as value from (${bound.text}) q`, [...bound.values])).rows);
  return new Map(rows.map((r) => [Number(r.member_id), r.value]));
}

/** Runs a filter query (compileFilter) and returns the sorted member ids. */
export async function runFilter(db: TestDatabase, tenantId: string, query: CompiledQuery, asOf: string): Promise<number[]> {
  const bound = bindQuery(query, { tenantId, asOf });
  const rows = await withTenant(db.app, tenantId, async (c) => (await c.query<{ member_id: string }>(bound.text, [...bound.values])).rows);
  return rows.map((r) => Number(r.member_id)).sort((a, b) => a - b);
}

/**
 * Stores the values of a compiled tag query as the refresher does (`to_jsonb(value)`, no row for
 * null), so that definitions reading `tag.NAME` can be evaluated next.
 */
export async function materialise(db: TestDatabase, tenantId: string, name: string, query: CompiledQuery, asOf: string): Promise<void> {
  const bound = bindQuery(query, { tenantId, asOf });
  const n = bound.values.length + 1;
  await withTenant(db.app, tenantId, (c) => c.query(
    `insert into tag_values (tenant_id, tag_name, member_id, value)
     select $1, $${n}, q.member_id, to_jsonb(q.value) from (${bound.text}) q where q.value is not null
     on conflict (tenant_id, tag_name, member_id) do update set value = excluded.value`, [...bound.values, name]));
}

/** Stores audience membership as the refresher does. */
export async function materialiseAudience(db: TestDatabase, tenantId: string, name: string, query: CompiledQuery, asOf: string): Promise<void> {
  const bound = bindQuery(query, { tenantId, asOf });
  const n = bound.values.length + 1;
  await withTenant(db.app, tenantId, (c) => c.query(
    `insert into audience_members (tenant_id, audience_name, member_id)
     select $1, $${n}, q.member_id from (${bound.text}) q where q.value on conflict do nothing`, [...bound.values, name]));
}
