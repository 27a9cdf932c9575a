import type { Queryable } from '../store/pool.js';
import { LifecycleError } from './lifecycle-error.js';

/**
 * The published definitions that read `node` ('tag:x' or 'audience:y'): published tags through their
 * published version, published audiences through their current version. Sorted keys such as
 * 'tag:lifecycle', 'audience:churn_recall'.
 */
export async function publishedDependants(db: Queryable, tenantId: string, node: string): Promise<string[]> {
  const r = await db.query<{ key: string }>(
    `select 'tag:' || d.name as key
       from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.published_version
      where d.tenant_id = $1 and d.status = 'published' and $2 = any(v.dependencies)
     union all
     select 'audience:' || a.name
       from audiences a
       join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version
      where a.tenant_id = $1 and a.status = 'published' and $2 = any(v.dependencies)
     order by 1`,
    [tenantId, node]);
  return r.rows.map((x) => x.key);
}

/**
 * Refuses (INVALID) when a `tag:` or `audience:` dependency is not published: its values are not
 * materialised, so the definition would read nothing.
 */
export async function requirePublishedDependencies(db: Queryable, tenantId: string, what: string, dependencies: readonly string[]): Promise<void> {
  const tags = dependencies.filter((d) => d.startsWith('tag:')).map((d) => d.slice(4));
  const audiences = dependencies.filter((d) => d.startsWith('audience:')).map((d) => d.slice(9));
  if (tags.length + audiences.length === 0) return;
  const r = await db.query<{ key: string }>(
    `select 'tag:' || name as key from tag_definitions where tenant_id = $1 and name = any($2::text[]) and status = 'published'
     union all
     select 'audience:' || name from audiences where tenant_id = $1 and name = any($3::text[]) and status = 'published'`,
    [tenantId, tags, audiences]);
  const published = new Set(r.rows.map((x) => x.key));
  const missing = dependencies.filter((d) => (d.startsWith('tag:') || d.startsWith('audience:')) && !published.has(d));
  if (missing.length > 0) {
    throw new LifecycleError('INVALID', `${what} reads ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not published: publish ${missing.length === 1 ? 'it' : 'them'} first`);
  }
}
