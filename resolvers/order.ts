import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { parseId } from './ids.js';
import { ChannelEnum, OrderStatusEnum, channelToEnum, channelFromEnum } from './enums.js';
import { MemberRef } from './member.js';
import { connectionType, decodeCursor, encodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { ORDER_COLUMNS, ORDER_CURSOR, survivorOf, type ItemRow, type OrderRow } from './rows.js';
import { whenLoaded } from './loaders.js';

const orderCursor = (o: OrderRow) => encodeCursor(ORDER_CURSOR, [o.k, o.order_id]);

/** OrderItem: one line of an order. */
export const OrderItemRef = builder.objectRef<ItemRow>('OrderItem').implement({
  description: 'One line of an order',
  fields: (t) => ({
    lineNo: t.exposeInt('line_no'),
    sku: t.exposeString('sku'),
    productName: t.exposeString('product_name'),
    category: t.exposeString('category'),
    quantity: t.exposeInt('quantity'),
    price: t.exposeFloat('price', { description: 'unit price, CNY (exact to the fen)' }),
  }),
});

/** Order: money as exact Float, enums upper-case, items through the request's loader. */
export const OrderRef = builder.objectRef<OrderRow>('Order').implement({
  description: 'An order from any channel, attached to its member',
  fields: (t) => ({
    id: t.exposeID('order_id'),
    channel: t.field({ type: ChannelEnum, resolve: (o) => channelToEnum(o.channel) as any }),
    channelOrderId: t.exposeString('channel_order_id', { description: "the channel's own order id (unique per channel)" }),
    member: t.field({
      type: MemberRef,
      nullable: true,
      description: 'needs members:read',
      resolve: (o, _a, ctx) => {
        requireScope(ctx, 'members:read');
        return ctx.loaders.memberById.load(o.member_id);
      },
    }),
    memberId: t.exposeID('member_id'),
    status: t.field({ type: OrderStatusEnum, resolve: (o) => o.status.toUpperCase() as any }),
    amount: t.exposeFloat('amount', { description: 'paid amount, CNY (exact to the fen)' }),
    discount: t.exposeFloat('discount', { description: 'CNY (exact to the fen)' }),
    createdAt: t.field({ type: 'DateTime', resolve: (o) => o.created_at }),
    paidAt: t.field({ type: 'DateTime', nullable: true, resolve: (o) => o.paid_at }),
    storeId: t.exposeString('store_id', { nullable: true }),
    items: t.field({ type: [OrderItemRef], resolve: (o, _a, ctx) => ctx.loaders.itemsByOrder.loadNow(o.order_id) }),
  }),
});

/** OrderConnection / OrderEdge, newest first. */
export const OrderConnectionRef = connectionType('Order', OrderRef);

builder.objectField(MemberRef, 'orders', (t) =>
  t.field({
    type: OrderConnectionRef,
    description: "The member's orders, newest first; needs orders:read",
    args: { ...pageArgs(t.arg) },
    resolve: (m, args, ctx) => {
      requireScope(ctx, 'orders:read');
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, ORDER_CURSOR, ['timestamp', 'id']);
      const rows = limit === 0 ? [] : ctx.loaders.ordersByMember({ limit: limit + 1, after }).loadNow(m.member_id);
      return whenLoaded(rows, (loaded) => toConnection(loaded, limit, orderCursor, () => ctx.loaders.orderCountByMember.load(m.member_id)));
    },
  }),
);

builder.queryFields((t) => ({
  order: t.field({
    type: OrderRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'orders:read');
      const r = await ctx.db.query<OrderRow>(`select ${ORDER_COLUMNS} from orders o where o.tenant_id = $1 and o.order_id = $2`,
        [tenantOf(ctx), parseId(args.id, 'id')]);
      return r.rows[0] ?? null;
    },
  }),
  orders: t.field({
    type: OrderConnectionRef,
    description: 'Orders of the tenant, newest first, optionally of one member (a merged-away id works) or channel',
    args: { memberId: t.arg.id(), channel: t.arg({ type: ChannelEnum }), ...pageArgs(t.arg) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'orders:read');
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, ORDER_CURSOR, ['timestamp', 'id']);
      const values: unknown[] = [tenantOf(ctx)];
      const where = ['o.tenant_id = $1'];
      if (args.memberId != null) {
        values.push(parseId(args.memberId, 'memberId'));
        where.push(`o.member_id = ${survivorOf('$1', `$${values.length}`)}`);
      }
      if (args.channel != null) {
        values.push(channelFromEnum(args.channel));
        where.push(`o.channel = $${values.length}`);
      }
      const filter = where.join(' and ');
      const page = [...values];
      let keyset = '';
      if (after) {
        page.push(after[0], after[1]);
        keyset = `and (o.created_at, o.order_id) < ($${page.length - 1}::timestamptz, $${page.length}::bigint)`;
      }
      page.push(limit + 1);
      const rows = limit === 0 ? [] : (await ctx.db.query<OrderRow>(
        `select ${ORDER_COLUMNS} from orders o where ${filter} ${keyset}
          order by o.created_at desc, o.order_id desc limit $${page.length}`, page)).rows;
      return toConnection(rows, limit, orderCursor, async () =>
        (await ctx.db.query<{ n: number }>(`select count(*)::int as n from orders o where ${filter}`, values)).rows[0].n);
    },
  }),
}));
