import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { parseId } from './ids.js';
import { TenantRef } from './viewer.js';
import { badInput, forbidden } from '../gateway/errors.js';
import { createTenant, issueToken, revokeToken, TenantExistsError, type IssuedToken } from '../tenants/tokens.js';
import { scopeErrors } from '../tenants/scopes.js';
import { noteAudit } from '../tenants/audit.js';

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
    ratePerMinute: t.exposeInt('ratePerMinute', { description: 'cost points per minute' }),
  }),
});

const NAME_RE = /^[\p{L}\p{N}_.\- ]{1,100}$/u;

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: CreateTenantPayload,
    description: 'Platform root token only; returns the new tenant and its admin token',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx, info) => {
      if (ctx.principal.kind !== 'root') throw forbidden('platform root token');
      if (!NAME_RE.test(name)) throw badInput('argument "name" must be 1-100 letters, digits, spaces, "_", "-" or "."', 'name');
      try {
        const { tenantId, adminToken } = await createTenant(ctx.db, name);
        noteAudit(ctx, String(info.path.key), { tenantId, target: `tenant:${tenantId}` });
        return { tenant: { id: tenantId, name }, adminToken };
      } catch (err) {
        if (err instanceof TenantExistsError) throw badInput(`a tenant named "${name}" exists`, 'name');
        throw err;
      }
    },
  }),
  issueToken: t.field({
    type: IssueTokenPayload,
    description: 'Admin scope; issues a token for a consumer (created on first use). The secret is shown once and stored as its SHA-256',
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
    description: 'Revokes a token of the tenant: its next request gets UNAUTHENTICATED on every gateway process and its websockets close with 4403; false when no active token has this id',
    resolve: async (_root, args, ctx, info) => {
      requireScope(ctx, 'admin');
      const id = parseId(args.id, 'id');
      const before = await revokeToken(ctx.db, tenantOf(ctx), id);
      noteAudit(ctx, String(info.path.key), { target: `token:${id}`, before: before && { consumer: before.consumer_name, status: before.status, scopes: before.scopes } });
      return before !== null;
    },
  }),
}));
