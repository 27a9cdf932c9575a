/** Scopes of graphql-contract.md. A scope may be narrowed by name: `tags:read:消费属性`. */
export const SCOPES = ['members:read', 'orders:read', 'events:read', 'tags:read', 'tags:write', 'audiences:read',
  'audiences:write', 'audiences:subscribe', 'ingest', 'pii', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const NARROWABLE = new Set<Scope>(['tags:read', 'tags:write', 'audiences:read', 'audiences:write', 'audiences:subscribe']);

/** Errors in a list of requested scopes (unknown scope, narrowing a scope that cannot be narrowed). */
export function scopeErrors(scopes: string[]): string[] {
  const errors: string[] = [];
  for (const s of scopes) {
    const base = SCOPES.find((k) => s === k || s.startsWith(`${k}:`));
    if (!base) errors.push(`unknown scope "${s}"`);
    else if (s !== base && !NARROWABLE.has(base)) errors.push(`scope "${base}" cannot be narrowed`);
    else if (s !== base && s.length === base.length + 1) errors.push(`scope "${s}" has an empty name`);
  }
  return errors;
}

/**
 * True when `granted` allows `scope`, optionally for the named object `name`. `admin` allows
 * everything of the tenant; `tags:read` allows every tag; `tags:read:消费属性` allows the tags whose
 * name or category path (`消费属性/价值`) starts with that segment.
 */
export function hasScope(granted: readonly string[], scope: Scope, name?: string): boolean {
  if (granted.includes('admin') || granted.includes(scope)) return true;
  if (name === undefined) return false;
  const prefix = `${scope}:`;
  return granted.some((g) => {
    if (!g.startsWith(prefix)) return false;
    const narrowed = g.slice(prefix.length);
    return name === narrowed || name.startsWith(`${narrowed}/`);
  });
}

/** True when some narrowed form of `scope` is granted (the caller may see part of the collection). */
export function hasAnyScope(granted: readonly string[], scope: Scope): boolean {
  return granted.includes('admin') || granted.some((g) => g === scope || g.startsWith(`${scope}:`));
}
