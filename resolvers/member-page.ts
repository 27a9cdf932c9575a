import { Kind, getArgumentValues, isObjectType, type FieldNode, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import { tenantOf } from './guards.js';
import { decodeCursor, pageSize } from './connection.js';
import { prepared } from './prepared.js';
import { MEMBER_COLUMNS, cursorTime, type ItemRow, type MemberRow, type OrderRow, type TagValueRow } from './rows.js';
import { hasAnyScope, hasScope } from '../tenants/scopes.js';
import type { Context } from './context.js';

/**
 * member(id) in one statement. The resolver reads ahead in the query: when the member's orders (and
 * their items) and tags are selected, one statement returns the member with them as JSON and
 * primes the request's DataLoaders, so the nested resolvers find everything loaded. Whatever the
 * read-ahead does not recognise (fragments, a second `orders` with other arguments, a missing
 * scope, a bad argument) is left to the loaders and resolvers as usual, which also report errors.
 */

interface PagePlan {
  orders?: { limit: number; after: string[] | null; items: boolean };
  tags: boolean;
}

const fieldsOf = (selections: readonly SelectionNode[] | undefined): FieldNode[] | null =>
  selections && selections.every((s) => s.kind === Kind.FIELD) ? (selections as FieldNode[]) : null;

function selects(node: FieldNode | undefined, ...path: string[]): boolean {
  let current: FieldNode | undefined = node;
  for (const name of path) {
    current = fieldsOf(current?.selectionSet?.selections)?.find((f) => f.name.value === name);
    if (!current) return false;
  }
  return true;
}

function planOf(ctx: Context, info: GraphQLResolveInfo): PagePlan {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  const fields = info.fieldNodes.length === 1 ? fieldsOf(info.fieldNodes[0].selectionSet?.selections) : null;
  if (!fields) return { tags: false };
  const plan: PagePlan = { tags: hasAnyScope(granted, 'tags:read') && fields.some((f) => f.name.value === 'tags' || f.name.value === 'tag') };
  const orderFields = fields.filter((f) => f.name.value === 'orders');
  const memberType = info.schema.getType('Member');
  if (orderFields.length === 1 && hasScope(granted, 'orders:read') && isObjectType(memberType)) {
    try {
      const args = getArgumentValues(memberType.getFields().orders, orderFields[0], info.variableValues) as { first?: number | null; after?: string | null };
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, 'o', ['timestamp', 'id']);
      const items = selects(orderFields[0], 'nodes', 'items') || selects(orderFields[0], 'edges', 'node', 'items');
      if (limit > 0) plan.orders = { limit, after, items };
    } catch {
      // a bad argument: the orders resolver reports it
    }
  }
  return plan;
}

const ITEMS_JSON = `'items', (select coalesce(json_agg(json_build_object('order_id', i.order_id::text, 'line_no', i.line_no, 'sku', i.sku,
    'product_name', i.product_name, 'category', i.category, 'quantity', i.quantity, 'price', i.price::float8) order by i.line_no), '[]')
    from order_items i where i.tenant_id = o.tenant_id and i.order_id = o.order_id)`;

function ordersJson(items: boolean, keyset: boolean): string {
  return `(select coalesce(json_agg(json_build_object('order_id', o.order_id::text, 'member_id', o.member_id::text, 'channel', o.channel,
      'channel_order_id', o.channel_order_id, 'status', o.status, 'amount', o.amount::float8, 'discount', o.discount::float8,
      'created_at', o.created_at, 'paid_at', o.paid_at, 'store_id', o.store_id, 'k', ${cursorTime('o.created_at')}${items ? `, ${ITEMS_JSON}` : ''})
      order by o.created_at desc, o.order_id desc), '[]')
    from (select * from orders o where o.tenant_id = m.tenant_id and o.member_id = m.member_id
          ${keyset ? 'and (o.created_at, o.order_id) < ($4::timestamptz, $5::bigint)' : ''}
          order by o.created_at desc, o.order_id desc limit $3) o) as orders_json`;
}

const TAGS_JSON = `(select coalesce(json_agg(json_build_object('member_id', tv.member_id::text, 'tag_name', tv.tag_name, 'value', tv.value,
      'category', v.category) order by tv.tag_name), '[]')
    from tag_values tv join tag_definitions d on d.tenant_id = tv.tenant_id and d.name = tv.tag_name
    left join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version
    where tv.tenant_id = m.tenant_id and tv.member_id = m.member_id and d.status <> 'deprecated') as tags_json`;

// One text per shape (orders with or without items and keyset, tags): the same string object every
// time, so the prepared-statement look-ups hash it once.
const pageSqls = new Map<string, string>();

function pageSql(plan: PagePlan): string {
  const shape = `${plan.orders ? `o${plan.orders.items ? 'i' : ''}${plan.orders.after ? 'k' : ''}` : ''}${plan.tags ? 't' : ''}`;
  let text = pageSqls.get(shape);
  if (!text) {
    const extra = [plan.orders ? ordersJson(plan.orders.items, plan.orders.after !== null) : '', plan.tags ? TAGS_JSON : '']
      .filter(Boolean).map((s) => `, ${s}`).join('');
    text = prepared(`select ${MEMBER_COLUMNS}${extra} from members m
    where m.tenant_id = $1
      and m.member_id = coalesce((select a.member_id from member_aliases a where a.tenant_id = $1 and a.alias_id = $2), $2)`);
    pageSqls.set(shape, text);
  }
  return text;
}

type OrderJson = Omit<OrderRow, 'created_at' | 'paid_at'> & { created_at: string; paid_at: string | null; items?: ItemRow[] };
type PageRow = MemberRow & { orders_json?: OrderJson[]; tags_json?: TagValueRow[] };

/** A member by id (a merged-away id gives the survivor), with the children `info` selects loaded alongside. */
export async function loadMemberPage(ctx: Context, id: string, info: GraphQLResolveInfo): Promise<MemberRow | null> {
  const plan = planOf(ctx, info);
  const values: unknown[] = [tenantOf(ctx), id];
  if (plan.orders) values.push(plan.orders.limit + 1, ...(plan.orders.after ?? []));
  const row = (await ctx.db.query<PageRow>(pageSql(plan), values)).rows[0];
  if (!row) return null;
  const { orders_json: orders, tags_json: tags, ...member } = row;
  if (plan.orders && orders) {
    // the parsed JSON objects are this request's own: turned into order rows in place
    const rows = orders as unknown as OrderRow[];
    for (const o of orders) {
      if (o.items) ctx.loaders.itemsByOrder.prime(o.order_id, o.items);
      const row = o as unknown as OrderRow;
      row.created_at = new Date(o.created_at);
      row.paid_at = o.paid_at === null ? null : new Date(o.paid_at);
    }
    ctx.loaders.ordersByMember({ limit: plan.orders.limit + 1, after: plan.orders.after }).prime(member.member_id, rows);
  }
  if (plan.tags && tags) ctx.loaders.tagValuesByMember.prime(member.member_id, tags);
  return member;
}
