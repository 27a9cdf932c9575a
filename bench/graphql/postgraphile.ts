import http from 'node:http';
import { postgraphile } from 'postgraphile';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { jsonPgSmartTags } from 'postgraphile/utils';
import type { BenchData } from './setup.js';

// PostGraphile 5.1 (grafast 1.x) declares Node >= 22 and calls Promise.withResolvers (Node 22); the
// project runs on Node 20, so the bench gives it the standard polyfill.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};

/**
 * PostGraphile v5 (Amber preset) over the same tables. The schema has no foreign keys from orders,
 * order_items and tag_values (they are co-located by tenant, not constrained), so smart tags declare
 * them as PostGraphile's fake constraints. Each request runs as cdp_app with app.tenant_id set
 * (pgSettings: PostGraphile's own transaction), under the same row-level security as ours.
 */
export async function startPostGraphile(data: BenchData, port: number, poolSize: number): Promise<http.Server> {
  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset],
    plugins: [jsonPgSmartTags({
      version: 1,
      config: {
        class: {
          orders: { tags: { foreignKey: '(tenant_id, member_id) references members (tenant_id, member_id)' } },
          order_items: { tags: { foreignKey: '(tenant_id, order_id) references orders (tenant_id, order_id)' } },
          tag_values: { tags: { foreignKey: '(tenant_id, member_id) references members (tenant_id, member_id)' } },
        },
      },
    })],
    pgServices: [makePgService({
      connectionString: data.url,
      schemas: ['public'],
      poolConfig: { max: poolSize },
      pgSettings: () => ({ role: 'cdp_app', 'app.tenant_id': data.tenantId }),
    })],
    grafserv: { port, graphqlPath: '/graphql', graphiql: false },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = http.createServer();
  await serv.addTo(server, false);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** The PostGraphile query equivalent to ours (same columns, 10 newest orders with items, tag values). */
export const POSTGRAPHILE_QUERY = `query MemberPage($tenantId: UUID!, $memberId: BigInt!) {
  member: memberByTenantIdAndMemberId(tenantId: $tenantId, memberId: $memberId) {
    memberId name gender birthday phone email province city registeredAt registeredChannel level points
    orders: ordersByTenantIdAndMemberId(first: 10, orderBy: [CREATED_AT_DESC, ORDER_ID_DESC]) {
      nodes { orderId channel channelOrderId status amount discount createdAt paidAt storeId
        items: orderItemsByTenantIdAndOrderId(orderBy: [LINE_NO_ASC]) { nodes { sku productName category quantity price } } }
    }
    tags: tagValuesByTenantIdAndMemberId(orderBy: [TAG_NAME_ASC]) { nodes { tagName value } }
  }
}`;
