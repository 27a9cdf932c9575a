import { Kind, getArgumentValues, isObjectType, type FieldNode, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import { tenantOf } from './guards.js';
import { decodeCursor, pageSize } from './connection.js';
import { prepared } from './prepared.js';
import { MEMBER_COLUMNS, cursorTime, survivorOf, visibleTagValues, type EventRow, type ItemRow, type MemberRow, type OrderRow, type TagValueRow } from './rows.js';
import { hasAnyScope, hasScope, type Scope } from '../tenants/scopes.js';
import type { Context } from './context.js';

/**
 * member(id) in one statement. The resolver reads ahead in the query: when the member's orders (and
 * their items), events and tags are selected, one statement returns the member with them as JSON
 * and primes the request's DataLoaders, so the nested resolvers find everything loaded. Whatever
 * the read-ahead does not recognise (fragments, a second `orders` with other arguments, a missing
 * scope, a bad argument) is left to the loaders and resolvers as usual, which also report errors.
 */

interface ChildPage {
  limit: number;
  after: string[] | null;
}

interface PagePlan {
  orders?: ChildPage & { items: boolean };
  events?: ChildPage;
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

/** The page a connection field of Member asks for, when it is selected once, allowed and valid. */
function childPage(fields: FieldNode[], name: 'orders' | 'events', scope: Scope, cursorKind: string,
  granted: readonly string[], info: GraphQLResolveInfo): { page: ChildPage; node: FieldNode } | undefined {
  const selected = fields.filter((f) => f.name.value === name);
  const memberType = info.schema.getType('Member');
  if (selected.length !== 1 || !hasScope(granted, scope) || !isObjectType(memberType)) return undefined;
  try {
    const args = getArgumentValues(memberType.getFields()[name], selected[0], info.variableValues) as { first?: number | null; after?: string | null };
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after, cursorKind, ['timestamp', 'id']);
    return limit > 0 ? { page: { limit, after }, node: selected[0] } : undefined;
  } catch {
    return undefined; // a bad argument: the field's resolver reports it
  }
}

function planOf(ctx: Context, info: GraphQLResolveInfo): PagePlan {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  const fields = info.fieldNodes.length === 1 ? fieldsOf(info.fieldNodes[0].selectionSet?.selections) : null;
  if (!fields) return { tags: false };
  const plan: PagePlan = { tags: hasAnyScope(granted, 'tags:read') && fields.some((f) => f.name.value === 'tags' || f.name.value === 'tag') };
  const orders = childPage(fields, 'orders', 'orders:read', 'o', granted, info);
  if (orders) plan.orders = { ...orders.page, items: selects(orders.node, 'nodes', 'items') || selects(orders.node, 'edges', 'node', 'items') };
  plan.events = childPage(fields, 'events', 'events:read', 'e', granted, info)?.page;
  return plan;
}

const ITEMS_JSON = `'items', (select coalesce(json_agg(json_build_object('order_id', i.order_id::text, 'line_no', i.line_no, 'sku', i.sku,
    'product_name', i.product_name, 'category', i.category, 'quantity', i.quantity, 'price', i.price::float8) order by i.line_no), '[]')
    from order_items i where i.tenant_id = o.tenant_id and i.order_id = o.order_id)`;

/** `$limit` and, with a keyset, `$after`/`$after + 1`: the parameter numbers of this child's values. */
interface ChildParams { limit: number; after?: number }

function ordersJson(items: boolean, p: ChildParams): string {
  return `(select coalesce(json_agg(json_build_object('order_id', o.order_id::text, 'member_id', o.member_id::text, 'channel', o.channel,
      'channel_order_id', o.channel_order_id, 'status', o.status, 'amount', o.amount::float8, 'discount', o.discount::float8,
      'created_at', o.created_at, 'paid_at', o.paid_at, 'store_id', o.store_id, 'k', ${cursorTime('o.created_at')}${items ? `, ${ITEMS_JSON}` : ''})
      order by o.created_at desc, o.order_id desc), '[]')
    from (select * from orders o where o.tenant_id = m.tenant_id and o.member_id = m.member_id
          ${p.after ? `and (o.created_at, o.order_id) < ($${p.after}::timestamptz, $${p.after + 1}::bigint)` : ''}
          order by o.created_at desc, o.order_id desc limit $${p.limit}) o) as orders_json`;
}

function eventsJson(p: ChildParams): string {
  return `(select coalesce(json_agg(json_build_object('id', e.id::text, 'event_id', e.event_id, 'member_id', e.member_id::text,
      'name', e.name, 'channel', e.channel, 'occurred_at', e.occurred_at, 'properties', e.properties, 'received_at', e.received_at,
      'k', ${cursorTime('e.occurred_at')}) order by e.occurred_at desc, e.id desc), '[]')
    from (select * from events e where e.tenant_id = m.tenant_id and e.member_id = m.member_id
          ${p.after ? `and (e.occurred_at, e.id) < ($${p.after}::timestamptz, $${p.after + 1}::bigint)` : ''}
          order by e.occurred_at desc, e.id desc limit $${p.limit}) e) as events_json`;
}

const TAGS_JSON = `(select coalesce(json_agg(json_build_object('member_id', tv.member_id::text, 'tag_name', tv.tag_name, 'value', tv.value,
      'category', v.category) order by tv.tag_name), '[]')
    from ${visibleTagValues('m.tenant_id', 'tv.member_id = m.member_id', true)}) as tags_json`;

/** The statement's values in parameter order: tenant, id, then each selected child's limit + 1 and keyset. */
function pageValues(ctx: Context, id: string, plan: PagePlan): unknown[] {
  const values: unknown[] = [tenantOf(ctx), id];
  for (const child of [plan.orders, plan.events]) if (child) values.push(child.limit + 1, ...(child.after ?? []));
  return values;
}

// One text per shape (which children, items, keysets): the same string object every time, so the
// prepared-statement look-ups hash it once.
const pageSqls = new Map<string, string>();

function pageSql(plan: PagePlan): string {
  const { orders, events } = plan;
  const shape = `${orders ? `o${orders.items ? 'i' : ''}${orders.after ? 'k' : ''}` : ''}${events ? `e${events.after ? 'k' : ''}` : ''}${plan.tags ? 't' : ''}`;
  let text = pageSqls.get(shape);
  if (!text) {
    let next = 3;
    const params = (child: ChildPage): ChildParams => {
      const p: ChildParams = { limit: next++ };
      if (child.after) {
        p.after = next;
        next += 2;
      }
      return p;
    };
    const extra = [orders ? ordersJson(orders.items, params(orders)) : '', events ? eventsJson(params(events)) : '', plan.tags ? TAGS_JSON : '']
      .filter(Boolean).map((s) => `, ${s}`).join('');
    text = prepared(`select ${MEMBER_COLUMNS}${extra} from members m
    where m.tenant_id = $1
      and m.member_id = ${survivorOf('$1', '$2')}`);
    pageSqls.set(shape, text);
  }
  return text;
}

type OrderJson = Omit<OrderRow, 'created_at' | 'paid_at'> & { created_at: string; paid_at: string | null; items?: ItemRow[] };
type EventJson = Omit<EventRow, 'occurred_at' | 'received_at'> & { occurred_at: string; received_at: string };
type PageRow = MemberRow & { orders_json?: OrderJson[]; events_json?: EventJson[]; tags_json?: TagValueRow[] };

/** A member by id (a merged-away id gives the survivor), with the children `info` selects loaded alongside. */
export async function loadMemberPage(ctx: Context, id: string, info: GraphQLResolveInfo): Promise<MemberRow | null> {
  const plan = planOf(ctx, info);
  const row = (await ctx.db.query<PageRow>(pageSql(plan), pageValues(ctx, id, plan))).rows[0];
  if (!row) return null;
  const { orders_json: orders, events_json: events, tags_json: tags, ...member } = row;
  // the parsed JSON objects are this request's own: turned into rows in place
  if (plan.orders && orders) {
    for (const o of orders) {
      if (o.items) ctx.loaders.itemsByOrder.prime(o.order_id, o.items);
      const order = o as unknown as OrderRow;
      order.created_at = new Date(o.created_at);
      order.paid_at = o.paid_at === null ? null : new Date(o.paid_at);
    }
    ctx.loaders.ordersByMember({ limit: plan.orders.limit + 1, after: plan.orders.after }).prime(member.member_id, orders as unknown as OrderRow[]);
  }
  if (plan.events && events) {
    for (const e of events) {
      const event = e as unknown as EventRow;
      event.occurred_at = new Date(e.occurred_at);
      event.received_at = new Date(e.received_at);
    }
    ctx.loaders.eventsByMember({ limit: plan.events.limit + 1, after: plan.events.after }).prime(member.member_id, events as unknown as EventRow[]);
  }
  if (plan.tags && tags) ctx.loaders.tagValuesByMember.prime(member.member_id, tags);
  return member;
}
