import { hasAnyScope, hasScope, type Scope } from '../tenants/scopes.js';
import { forbidden } from '../gateway/errors.js';
import type { Context } from './context.js';

/**
 * Name-narrowed read scopes (`tags:read:消费属性`, `audiences:read:churn_recall`). A tag is readable when
 * the narrowed name is its name or a prefix segment of its category path; an audience by its name.
 */

/** What part of a collection the caller may read: everything, or the objects matching these names. */
export type ReadFilter = { all: true } | { all: false; names: string[] };

/** The caller's read filter for `scope`; FORBIDDEN naming the scope when no form of it is granted. */
export function readFilter(ctx: Context, scope: Scope): ReadFilter {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  if (!hasAnyScope(granted, scope)) throw forbidden(scope);
  if (hasScope(granted, scope)) return { all: true };
  const prefix = `${scope}:`;
  return { all: false, names: granted.filter((g) => g.startsWith(prefix)).map((g) => g.slice(prefix.length)) };
}

/** True when the caller may read the tag `name` of category path `category`. */
export function mayReadTag(ctx: Context, name: string, category: string | null): boolean {
  if (ctx.principal.kind !== 'consumer') return false;
  const granted = ctx.principal.scopes;
  return hasScope(granted, 'tags:read', name) || (category !== null && hasScope(granted, 'tags:read', category));
}

/** True when the caller may read the audience `name`. */
export function mayReadAudience(ctx: Context, name: string): boolean {
  return ctx.principal.kind === 'consumer' && hasScope(ctx.principal.scopes, 'audiences:read', name);
}

/**
 * SQL condition limiting tags (definition `d`, version `v`) to a narrowed filter, the names being
 * parameter `$n`; empty for an unnarrowed caller. Prefix tests use left(), not LIKE: a name may hold `%`.
 */
export function tagFilterSql(filter: ReadFilter, n: number): string {
  if (filter.all) return '';
  return `and (d.name = any($${n}::text[]) or exists (select 1 from unnest($${n}::text[]) p
    where v.category = p or left(v.category, length(p) + 1) = p || '/'))`;
}
