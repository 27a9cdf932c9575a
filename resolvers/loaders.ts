import DataLoader from 'dataloader';
import type { QueryResultRow } from 'pg';
import type { RequestDb } from './context.js';
import { prepared } from './prepared.js';
import {
  MEMBER_COLUMNS, ORDER_COLUMNS, EVENT_COLUMNS, TAG_COLUMNS, TAG_FROM, AUDIENCE_COLUMNS, AUDIENCE_FROM, visibleTagValues,
  type MemberRow, type OrderRow, type ItemRow, type EventRow, type TagValueRow, type TagRow, type AudienceRow,
} from './rows.js';

/** An identities row. */
export interface IdentityRow {
  member_id: string;
  kind: string;
  value: string;
  channel: string | null;
  created_at: Date;
}

/** A page request of a member's child rows: at most `limit` rows after the keyset position `after`. */
export interface ChildPage {
  limit: number;
  /** [time as cursor text, id], or null for the first page. */
  after: string[] | null;
}

/**
 * Per-request batch loaders: one statement per kind of child row, whatever the page size. Paged
 * child loaders are one DataLoader per distinct (limit, after): a page of 50 members asking
 * `orders(first: 10)` shares one, so one statement (a lateral join) serves all 50.
 */
export interface Loaders {
  identitiesByMember: DataLoader<string, IdentityRow[]>;
  /** A member by id; a merged-away id gives the survivor. */
  memberById: DataLoader<string, MemberRow | null>;
  ordersByMember(page: ChildPage): Loader<string, OrderRow[]>;
  orderCountByMember: DataLoader<string, number>;
  itemsByOrder: Loader<string, ItemRow[]>;
  eventsByMember(page: ChildPage): Loader<string, EventRow[]>;
  eventCountByMember: DataLoader<string, number>;
  tagValuesByMember: Loader<string, TagValueRow[]>;
  audiencesByMember: DataLoader<string, Set<string>>;
  tagByName: DataLoader<string, TagRow | null>;
  tagCoverage: DataLoader<string, number>;
  audienceByName: DataLoader<string, AudienceRow | null>;
}

/**
 * A DataLoader that also answers synchronously for keys whose value it already holds (primed by a
 * read-ahead such as member(id)'s, or loaded by an earlier batch): `loadNow` returns the value
 * itself, so graphql-js completes the field without a promise and a microtask per object.
 */
export class Loader<K, V> extends DataLoader<K, V> {
  private readonly held = new Map<K, V>();

  constructor(batch: DataLoader.BatchLoadFn<K, V>) {
    super(async (keys) => {
      const values = await batch(keys);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!(v instanceof Error)) this.held.set(keys[i], v);
      }
      return values;
    });
  }

  /** The value when held, else `load(key)`. */
  loadNow(key: K): V | Promise<V> {
    return this.held.has(key) ? this.held.get(key)! : this.load(key);
  }

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    if (!this.held.has(key) && !(value instanceof Error) && !isPromiseLike(value)) this.held.set(key, value);
    return super.prime(key, value);
  }

  override clear(key: K): this {
    this.held.delete(key);
    return super.clear(key);
  }

  override clearAll(): this {
    this.held.clear();
    return super.clearAll();
  }
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}

/** `then(value)` now when `value` is not a promise, else when it resolves. */
export function whenLoaded<V, R>(value: V | Promise<V>, then: (v: V) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}

function groupBy<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): T[][] {
  const byKey = new Map<string, T[]>(keys.map((k) => [k, []]));
  for (const r of rows) byKey.get(keyOf(r))?.push(r);
  return keys.map((k) => byKey.get(k)!);
}

function oneBy<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): (T | null)[] {
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => byKey.get(k) ?? null);
}

function countsBy(keys: readonly string[], rows: { k: string; n: number }[]): number[] {
  const byKey = new Map(rows.map((r) => [r.k, r.n]));
  return keys.map((k) => byKey.get(k) ?? 0);
}

/** A memo of paged loaders, one per distinct page request. */
function pagedLoaders<T>(load: (page: ChildPage, ids: readonly string[]) => Promise<T[][]>) {
  const byPage = new Map<string, Loader<string, T[]>>();
  return (page: ChildPage): Loader<string, T[]> => {
    const key = page.after ? `${page.limit}:${page.after.join(':')}` : String(page.limit);
    let loader = byPage.get(key);
    if (!loader) {
      loader = new Loader((ids) => load(page, ids));
      byPage.set(key, loader);
    }
    return loader;
  };
}

/**
 * The first `limit` child rows of each member (newest first), one statement for all members: a
 * lateral join walks the (tenant, member, time desc, id desc) index once per member.
 */
function lateralPage(table: string, alias: string, columns: string, time: string, id: string) {
  return (page: ChildPage) => {
    const keyset = page.after ? `and (${alias}.${time}, ${alias}.${id}) < ($4::timestamptz, $5::bigint)` : '';
    return (`select ${columns} from unnest($2::bigint[]) as mm(member_id)
      cross join lateral (select * from ${table} ${alias}
        where ${alias}.tenant_id = $1 and ${alias}.member_id = mm.member_id ${keyset}
        order by ${alias}.${time} desc, ${alias}.${id} desc limit $3) ${alias}`);
  };
}
const ordersPageSql = lateralPage('orders', 'o', ORDER_COLUMNS, 'created_at', 'order_id');
const eventsPageSql = lateralPage('events', 'e', EVENT_COLUMNS, 'occurred_at', 'id');

/** Loaders bound to one request's tenant transaction. */
export function createLoaders(requestDb: RequestDb, tenantId: () => string): Loaders {
  // Every loader statement is one of a few fixed texts: all run as prepared statements.
  const db = { query: <R extends QueryResultRow>(text: string, values: unknown[]) => requestDb.query<R>(prepared(text), values) };
  const pageValues = (page: ChildPage, ids: readonly string[]) =>
    [tenantId(), ids, page.limit, ...(page.after ?? [])];
  return {
    identitiesByMember: new DataLoader(async (ids) => {
      const r = await db.query<IdentityRow>(
        `select member_id, kind, value, channel, created_at from identities
          where tenant_id = $1 and member_id = any($2::bigint[]) order by member_id, kind, value`,
        [tenantId(), ids],
      );
      return groupBy(ids, r.rows, (row) => row.member_id);
    }),
    // A merged-away id gives its survivor, as member(id) does (change logs keep merged-away ids).
    memberById: new DataLoader(async (ids) => {
      const r = await db.query<MemberRow & { requested_id: string }>(
        // the survivors are resolved first (a materialised CTE), so that members is joined on a plain
        // column through its primary key: joined on the coalesce itself, Postgres read every member
        // of the tenant (test/gateway/index-use.test.ts)
        `with k as materialized (select k.id, coalesce(a.member_id, k.id) as member_id from unnest($2::bigint[]) as k(id)
                                   left join member_aliases a on a.tenant_id = $1 and a.alias_id = k.id)
         select k.id::text as requested_id, ${MEMBER_COLUMNS} from k
           join members m on m.tenant_id = $1 and m.member_id = k.member_id`,
        [tenantId(), ids],
      );
      return oneBy(ids, r.rows, (row) => row.requested_id).map((row) => {
        if (!row) return null;
        const { requested_id: _requested, ...member } = row;
        return member;
      });
    }),
    ordersByMember: pagedLoaders(async (page, ids) => {
      const r = await db.query<OrderRow>(ordersPageSql(page), pageValues(page, ids));
      return groupBy(ids, r.rows, (row) => row.member_id);
    }),
    orderCountByMember: new DataLoader(async (ids) => {
      const r = await db.query<{ k: string; n: number }>(
        `select member_id as k, count(*)::int as n from orders
          where tenant_id = $1 and member_id = any($2::bigint[]) group by member_id`,
        [tenantId(), ids],
      );
      return countsBy(ids, r.rows);
    }),
    itemsByOrder: new Loader(async (ids) => {
      const r = await db.query<ItemRow>(
        `select order_id, line_no, sku, product_name, category, quantity, price::float8 as price from order_items
          where tenant_id = $1 and order_id = any($2::bigint[]) order by order_id, line_no`,
        [tenantId(), ids],
      );
      return groupBy(ids, r.rows, (row) => row.order_id);
    }),
    eventsByMember: pagedLoaders(async (page, ids) => {
      const r = await db.query<EventRow>(eventsPageSql(page), pageValues(page, ids));
      return groupBy(ids, r.rows, (row) => row.member_id);
    }),
    eventCountByMember: new DataLoader(async (ids) => {
      const r = await db.query<{ k: string; n: number }>(
        `select member_id as k, count(*)::int as n from events
          where tenant_id = $1 and member_id = any($2::bigint[]) group by member_id`,
        [tenantId(), ids],
      );
      return countsBy(ids, r.rows);
    }),
    tagValuesByMember: new Loader(async (ids) => {
      const r = await db.query<TagValueRow>(
        `select tv.member_id, tv.tag_name, tv.value, v.category
           from ${visibleTagValues('$1', 'tv.member_id = any($2::bigint[])', true)}
          order by tv.member_id, tv.tag_name`,
        [tenantId(), ids],
      );
      return groupBy(ids, r.rows, (row) => row.member_id);
    }),
    audiencesByMember: new DataLoader(async (ids) => {
      const r = await db.query<{ member_id: string; audience_name: string }>(
        `select member_id, audience_name from audience_members where tenant_id = $1 and member_id = any($2::bigint[])`,
        [tenantId(), ids],
      );
      return groupBy(ids, r.rows, (row) => row.member_id).map((rows) => new Set(rows.map((row) => row.audience_name)));
    }),
    tagByName: new DataLoader(async (names) => {
      const r = await db.query<TagRow>(`select ${TAG_COLUMNS} from ${TAG_FROM} where d.tenant_id = $1 and d.name = any($2::text[])`,
        [tenantId(), names]);
      return oneBy(names, r.rows, (row) => row.name);
    }),
    tagCoverage: new DataLoader(async (names) => {
      const r = await db.query<{ k: string; n: number }>(
        `select tag_name as k, count(*)::int as n from tag_values where tenant_id = $1 and tag_name = any($2::text[]) group by tag_name`,
        [tenantId(), names],
      );
      return countsBy(names, r.rows);
    }),
    audienceByName: new DataLoader(async (names) => {
      const r = await db.query<AudienceRow>(
        `select ${AUDIENCE_COLUMNS} from ${AUDIENCE_FROM} where a.tenant_id = $1 and a.name = any($2::text[])`,
        [tenantId(), names]);
      return oneBy(names, r.rows, (row) => row.name);
    }),
  };
}
