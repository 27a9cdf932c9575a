import { typeFromString, type Catalog, type TagInfo } from '../../dsl/catalog.js';
import type { Queryable } from '../store/pool.js';

/**
 * The tenant's catalog for checking and compiling definitions: every tag and audience that is not
 * deprecated. A tag is described by its published version when it has one (that is what its
 * materialised values mean), otherwise by its current draft. Runs two statements in `db` (the
 * caller's tenant transaction).
 */
export async function loadCatalog(db: Queryable, tenantId: string): Promise<Catalog> {
  const tags = await db.query<{ name: string; value_type: string; batch_only: boolean; dependencies: string[] }>(
    `select d.name, v.value_type, v.batch_only, v.dependencies
       from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name
                          and v.version = coalesce(d.published_version, d.current_version)
      where d.tenant_id = $1 and d.status <> 'deprecated'`,
    [tenantId],
  );
  const audiences = await db.query<{ name: string; dependencies: string[] | null }>(
    `select a.name, v.dependencies
       from audiences a
       left join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version
      where a.tenant_id = $1 and a.status <> 'deprecated'`,
    [tenantId],
  );
  const catalog: Catalog = { tags: new Map(), audiences: new Set(), audienceDetails: new Map() };
  for (const t of tags.rows) {
    const type = typeFromString(t.value_type);
    if (!type) continue; // a stored type the language cannot read any more: the tag is not referable
    const info: TagInfo = { type, batchOnly: t.batch_only, dependencies: t.dependencies };
    catalog.tags.set(t.name, info);
  }
  for (const a of audiences.rows) {
    catalog.audiences.add(a.name);
    catalog.audienceDetails!.set(a.name, { dependencies: a.dependencies ?? [] });
  }
  return catalog;
}
