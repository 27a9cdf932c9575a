import { hasScope, type Scope } from '../tenants/scopes.js';
import { forbidden } from '../gateway/errors.js';
import type { Context } from './context.js';

/** The caller's tenant id; the root token has no tenant and may only create tenants. */
export function tenantOf(ctx: Context): string {
  if (ctx.principal.kind !== 'consumer') throw forbidden('a tenant token (the root token may only call createTenant)');
  return ctx.principal.tenantId;
}

/** Throws FORBIDDEN naming `scope` unless the caller holds it (or admin), optionally for `name`. */
export function requireScope(ctx: Context, scope: Scope, name?: string): void {
  if (ctx.principal.kind !== 'consumer') throw forbidden(scope);
  if (!hasScope(ctx.principal.scopes, scope, name)) throw forbidden(name ? `${scope}:${name}` : scope);
}

/** True when the caller may see personal data in clear. */
export function seesPii(ctx: Context): boolean {
  return ctx.principal.kind === 'consumer' && hasScope(ctx.principal.scopes, 'pii');
}
