import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { parseId } from './ids.js';
import { TenantRef } from './viewer.js';
import { badInput, forbidden } from '../gateway/errors.js';
import { createTenant, issueToken, revokeToken, type IssuedToken } from '../tenants/tokens.js';
import { scopeErrors } from '../tenants/scopes.js';

const CreateTenantPayload = builder.objectRef<{ tenant: { id: string; name: string }; adminToken: string }>('CreateTenantPayload').implement({
  fields: (t) => ({
    tenant: t.field({ type: TenantRef, resolve: (p) => p.tenant }),
    adminToken: t.exposeString('adminToken', { description: 'shown once; stored hashed' }),
  }),
});

const IssueTokenPayload = builder.objectRef<IssuedToken>('IssueTokenPayload').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    token: t.exposeString('token', { description: 'shown once; stored hashed' }),
    consumer: t.exposeString('consumer'),
    scopes: t.exposeStringList('scopes'),
  }),
});

const NAME_RE = /^[\p{L}\p{N}_.\- ]{1,100}$/u;

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: CreateTenantPayload,
    description: 'Platform root token only; returns the new tenant and its admin token',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      if (ctx.principal.kind !== 'root') throw forbidden('platform root token');
      if (!NAME_RE.test(name)) throw badInput('argument "name" must be 1-100 letters, digits, spaces, "_", "-" or "."', 'name');
      const exists = await ctx.db.query('select 1 from tenants where name = $1', [name]).catch(() => ({ rowCount: 0 }));
      if (exists.rowCount) throw badInput(`a tenant named "${name}" exists`, 'name');
      const { tenantId, adminToken } = await createTenant(ctx.db, name);
      return { tenant: { id: tenantId, name }, adminToken };
    },
  }),
  issueToken: t.field({
    type: IssueTokenPayload,
    args: {
      consumer: t.arg.string({ required: true }),
      scopes: t.arg.stringList({ required: true }),
      ratePerMinute: t.arg.int(),
    },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'admin');
      if (!NAME_RE.test(args.consumer)) throw badInput('argument "consumer" must be 1-100 letters, digits, spaces, "_", "-" or "."', 'consumer');
      const errors = scopeErrors(args.scopes);
      if (errors.length) throw badInput(`argument "scopes": ${errors.join('; ')}`, 'scopes');
      if (args.ratePerMinute != null && (args.ratePerMinute < 1 || args.ratePerMinute > 1_000_000)) {
        throw badInput('argument "ratePerMinute" must be from 1 to 1000000', 'ratePerMinute');
      }
      return issueToken(ctx.db, tenantOf(ctx), args.consumer, args.scopes, args.ratePerMinute ?? undefined);
    },
  }),
  revokeToken: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'admin');
      return revokeToken(ctx.db, tenantOf(ctx), parseId(args.id, 'id'));
    },
  }),
}));
