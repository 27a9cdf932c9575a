import type { Catalog } from '../../dsl/catalog.js';
import { loadCatalog } from '../tags/catalog.js';
import { compileStored, type CompiledQuery, type Scope } from '../tags/compile.js';
import type { Queryable } from '../store/pool.js';

/** A published definition the refresh machinery materialises. */
export interface PlannedDefinition {
  /** 'tag:NAME' or 'audience:NAME' */
  key: string;
  kind: 'tag' | 'audience';
  name: string;
  version: number;
  /** DSL definition, or an uploaded identity list (membership = the members owning those identities). */
  source: { kind: 'dsl'; text: string } | { kind: 'upload'; identities: Array<{ kind: string; value: string }> };
  /** Direct dependencies as the compiler reported them. */
  dependencies: string[];
  /** Field and collection dependencies, own and through the tags and audiences it reads. */
  sourceDependencies: Set<string>;
  /** Refreshed only by full refreshes (population functions; uploaded lists). */
  batchOnly: boolean;
  /** The compiled query for `scope`, compiled on first use. Throws when it no longer compiles. */
  query(scope: Scope): CompiledQuery;
}

/** The published definitions of a tenant in dependency order (a definition after everything it reads). */
export interface RefreshPlan {
  definitions: PlannedDefinition[];
  byKey: Map<string, PlannedDefinition>;
  catalog: Catalog;
}

interface DefinitionRow {
  kind: 'tag' | 'audience';
  name: string;
  version: number;
  definition_kind: 'dsl' | 'upload';
  source: string | null;
  uploaded_identities: Array<{ kind: string; value: string }> | null;
  dependencies: string[];
  batch_only: boolean;
}

/** Published tags (their published version) and published audiences, as one statement. */
const DEFINITIONS_SQL = `
  select 'tag' as kind, d.name, v.version, 'dsl' as definition_kind, v.source, null::jsonb as uploaded_identities,
         v.dependencies, v.batch_only
    from tag_definitions d
    join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.published_version
   where d.tenant_id = $1 and d.status = 'published'
  union all
  select 'audience', a.name, v.version, a.definition_kind, v.source, v.uploaded_identities, v.dependencies, false
    from audiences a
    join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version
   where a.tenant_id = $1 and a.status = 'published'`;

/**
 * A fingerprint of what the plan depends on: changes whenever a definition is published, changed
 * or deprecated. Cheap (one short statement), so the worker can check it on every cycle.
 */
export async function planFingerprint(db: Queryable, tenantId: string): Promise<string> {
  const r = await db.query<{ f: string | null }>(
    `select (select string_agg(name || ':' || status || ':' || coalesce(published_version, 0) || ':' || current_version, ',' order by name)
               from tag_definitions where tenant_id = $1)
         || '|' ||
           coalesce((select string_agg(name || ':' || status || ':' || current_version, ',' order by name)
               from audiences where tenant_id = $1), '') as f`,
    [tenantId],
  );
  return r.rows[0].f ?? '';
}

/** Loads and orders the tenant's published definitions (compilation is deferred to first use). */
export async function loadPlan(db: Queryable, tenantId: string): Promise<RefreshPlan> {
  const catalog = await loadCatalog(db, tenantId);
  const rows = (await db.query<DefinitionRow>(DEFINITIONS_SQL, [tenantId])).rows;
  const byKey = new Map<string, PlannedDefinition>();
  for (const row of rows) {
    const key = `${row.kind}:${row.name}`;
    const cache = new Map<Scope, CompiledQuery>();
    const upload = row.definition_kind === 'upload';
    const def: PlannedDefinition = {
      key,
      kind: row.kind,
      name: row.name,
      version: row.version,
      source: upload ? { kind: 'upload', identities: row.uploaded_identities ?? [] } : { kind: 'dsl', text: row.source ?? '' },
      dependencies: row.dependencies,
      sourceDependencies: new Set(),
      batchOnly: row.batch_only || upload,
      query(scope) {
        let q = cache.get(scope);
        if (!q) {
          q = upload ? uploadQuery(scope, row.uploaded_identities ?? []) : compileStored(row.source ?? '', catalog, scope);
          cache.set(scope, q);
        }
        return q;
      },
    };
    byKey.set(key, def);
  }
  const definitions = topologicalOrder(byKey);
  for (const def of definitions) {
    for (const dep of def.dependencies) {
      const inner = byKey.get(dep);
      if (inner) {
        for (const s of inner.sourceDependencies) def.sourceDependencies.add(s);
        if (inner.batchOnly && inner.source.kind === 'dsl') def.batchOnly = true;
      } else if (!dep.startsWith('tag:') && !dep.startsWith('audience:')) {
        def.sourceDependencies.add(dep);
      }
    }
  }
  return { definitions, byKey, catalog };
}

/**
 * Definitions ordered so that each comes after the published definitions it reads; ties by key,
 * so every process computes the same order (the worker takes its locks in this order). A cycle
 * cannot be published (the checker refuses it); if stored data had one, the rest keep key order.
 */
export function topologicalOrder(byKey: Map<string, PlannedDefinition>): PlannedDefinition[] {
  const order: PlannedDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (def: PlannedDefinition) => {
    if (state.get(def.key)) return;
    state.set(def.key, 'visiting');
    for (const dep of [...def.dependencies].sort()) {
      const inner = byKey.get(dep);
      if (inner) visit(inner);
    }
    state.set(def.key, 'done');
    order.push(def);
  };
  for (const key of [...byKey.keys()].sort()) visit(byKey.get(key)!);
  return order;
}

/**
 * The definitions a refresh of `target` runs: 'all' → every published definition; 'tag:x' or
 * 'audience:x' → that one and every published definition that reads it, directly or transitively
 * (their values would otherwise be computed from the old ones). In plan order. Undefined when the
 * target is not a published definition.
 */
export function definitionsFor(plan: RefreshPlan, target: string): PlannedDefinition[] | undefined {
  if (target === 'all') return plan.definitions;
  if (!plan.byKey.has(target)) return undefined;
  const chosen = new Set([target]);
  for (const def of plan.definitions) {
    if (def.dependencies.some((d) => chosen.has(d))) chosen.add(def.key);
  }
  return plan.definitions.filter((d) => chosen.has(d.key));
}

/**
 * The membership query of an uploaded audience: the members that own the uploaded identities now
 * (so merges and later-registered identities are followed). Its one literal ($3, or $4 for
 * scope 'members', after the placeholders of the fixed parameters) is the identities as jsonb
 * [{ kind, value }].
 */
function uploadQuery(scope: Scope, identities: Array<{ kind: string; value: string }>): CompiledQuery {
  const ids = scope === 'members' ? '$4' : '$3';
  const memberFilter = scope === 'members' ? 'and i.member_id = any($3::bigint[])' : '';
  return {
    text: `select distinct i.member_id, true as value
             from jsonb_to_recordset(${ids}::jsonb) as u(kind text, value text)
             join identities i on i.tenant_id = $1 and i.kind = u.kind and i.value = u.value
            where $2::timestamptz is not null ${memberFilter}`,
    values: scope === 'members' ? [null, null, null, JSON.stringify(identities)] : [null, null, JSON.stringify(identities)],
  };
}
