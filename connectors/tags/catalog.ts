import { typeFromString, type Catalog } from '../../dsl/catalog.js';
import type { Queryable } from '../store/pool.js';

/**
 * The tenant's catalog for checking and compiling definitions, in one statement: every tag and
 * audience that is not deprecated. A tag is described by its published version when it has one
 * (that is what its materialised values mean), otherwise by its current draft; a tag whose stored
 * type the language cannot read is left out. Runs in `db`, the caller's tenant transaction.
 */
export async function loadCatalog(db: Queryable, tenantId: string): Promise<Catalog> {
  const r = await db.query<{ kind: 'tag' | 'audience'; name: string; value_type: string | null; batch_only: boolean; dependencies: string[] | null }>(
    `select 'tag' as kind, d.name, v.value_type, v.batch_only, v.dependencies from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = coalesce(d.published_version, d.current_version)
      where d.tenant_id = $1 and d.status <> 'deprecated'
     union all
     select 'audience', a.name, null, false, v.dependencies from audiences a
       left join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version
      where a.tenant_id = $1 and a.status <> 'deprecated'`,
    [tenantId],
  );
  const catalog: Catalog = { tags: new Map(), audiences: new Set(), audienceDetails: new Map() };
  for (const row of r.rows) {
    if (row.kind === 'audience') {
      catalog.audiences.add(row.name);
      catalog.audienceDetails!.set(row.name, { dependencies: row.dependencies ?? [] });
      continue;
    }
    const type = typeFromString(row.value_type ?? '');
    if (type) catalog.tags.set(row.name, { type, batchOnly: row.batch_only, dependencies: row.dependencies ?? [] });
  }
  return catalog;
}
