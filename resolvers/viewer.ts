import { builder } from './builder.js';
import { tenantOf } from './guards.js';
import type { Principal } from '../tenants/auth.js';

type ConsumerPrincipal = Extract<Principal, { kind: 'consumer' }>;

export const TenantRef = builder.objectRef<{ id: string; name: string }>('Tenant').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
  }),
});

export const ViewerRef = builder.objectRef<ConsumerPrincipal>('Viewer').implement({
  description: "The calling token's consumer, tenant and scopes",
  fields: (t) => ({
    tenant: t.field({ type: TenantRef, resolve: (p) => ({ id: p.tenantId, name: p.tenantName }) }),
    consumer: t.exposeString('consumerName'),
    tokenId: t.exposeID('tokenId'),
    scopes: t.exposeStringList('scopes'),
    ratePerMinute: t.exposeInt('ratePerMinute', { description: 'cost points per minute' }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    resolve: (_root, _args, ctx) => {
      tenantOf(ctx);
      return ctx.principal as ConsumerPrincipal;
    },
  }),
);
