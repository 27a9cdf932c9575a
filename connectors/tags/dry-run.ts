import type { Queryable } from '../store/pool.js';
import { bindQuery, checkDefinition, parameterCount } from './compile.js';
import { checkTagSource, dslMessage } from './lifecycle.js';
import { loadCatalog } from './catalog.js';
import { LifecycleError } from './lifecycle-error.js';

/** How the tag's current version would change the materialised values, member by member. */
export interface TagDryRun {
  /** The version evaluated (the current one, usually an unpublished draft). */
  version: number;
  /** The version whose values are materialised now (null: never published). */
  publishedVersion: number | null;
  /** Members that have no value now and would get one. */
  gained: number;
  /** Members that have a value now and would have none. */
  lost: number;
  /** Members whose value would differ. */
  changed: number;
  /** Members whose value would stay the same. */
  unchanged: number;
}

/**
 * Evaluates the tag's current version for every member (set-based, at asOf = now) and compares it
 * with the materialised values in one statement, without writing anything. NOT_FOUND for an
 * unknown tag; DSL_ERROR when the current version no longer checks.
 */
export async function dryRunTag(db: Queryable, tenantId: string, name: string): Promise<TagDryRun> {
  const row = (await db.query<{ current_version: number; published_version: number | null; source: string }>(
    `select d.current_version, d.published_version, v.source from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version
      where d.tenant_id = $1 and d.name = $2`, [tenantId, name])).rows[0];
  if (!row) throw new LifecycleError('NOT_FOUND', `tag "${name}" not found`);
  const def = await checkTagSource(db, tenantId, row.source);
  const n = parameterCount(def.query) + 1;
  const r = await db.query<Omit<TagDryRun, 'version' | 'publishedVersion'>>(
    `with q as (${def.query.text}),
     new as (select q.member_id::bigint as member_id, to_jsonb(q.value) as value from q where q.value is not null),
     old as (select member_id, value from tag_values where tenant_id = $1 and tag_name = $${n})
     select count(*) filter (where old.member_id is null)::int as gained,
            count(*) filter (where new.member_id is null)::int as lost,
            count(*) filter (where old.value <> new.value)::int as changed,
            count(*) filter (where old.value = new.value)::int as unchanged
       from new full join old on old.member_id = new.member_id`,
    [...bindQuery(def.query, 'all', tenantId, new Date()), name]);
  return { version: row.current_version, publishedVersion: row.published_version, ...r.rows[0] };
}

/** How an audience definition would change the audience's membership now. */
export interface AudienceDryRun {
  /** Members the definition selects. */
  size: number;
  entering: number;
  exiting: number;
  staying: number;
}

/**
 * Evaluates an audience statement (not stored) for every member and compares the result with the
 * current membership of the audience of that name (empty when it does not exist). DSL_ERROR with
 * positioned errors for a bad source.
 */
export async function dryRunAudience(db: Queryable, tenantId: string, source: string): Promise<AudienceDryRun> {
  const catalog = await loadCatalog(db, tenantId);
  const checked = checkDefinition(source, 'audience', catalog);
  if (!checked.ok) throw new LifecycleError('DSL_ERROR', dslMessage(checked.errors), checked.errors);
  const { query, name } = checked.definition;
  const n = parameterCount(query) + 1;
  const r = await db.query<AudienceDryRun>(
    `with q as (${query.text}),
     new as (select distinct q.member_id::bigint as member_id from q where q.value is true),
     old as (select member_id from audience_members where tenant_id = $1 and audience_name = $${n})
     select count(new.member_id)::int as size,
            count(*) filter (where old.member_id is null)::int as entering,
            count(*) filter (where new.member_id is null)::int as exiting,
            count(*) filter (where old.member_id is not null and new.member_id is not null)::int as staying
       from new full join old on old.member_id = new.member_id`,
    [...bindQuery(query, 'all', tenantId, new Date()), name]);
  return r.rows[0];
}
