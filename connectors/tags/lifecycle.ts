import type { Queryable } from '../store/pool.js';
import { loadCatalog } from './catalog.js';
import { checkDefinition, type CheckedDefinition } from './compile.js';
import { LifecycleError } from './lifecycle-error.js';
import { publishedDependants, requirePublishedDependencies } from './dependants.js';
import { queueJob, type JobRow } from '../refresh/jobs.js';

/** What defineTag did. */
export interface DefineTagResult {
  name: string;
  version: number;
  /** false when the source equals the current version's: nothing was written. */
  created: boolean;
}

/**
 * Checks `source` (exactly one tag statement) against the tenant's catalog without the tag itself
 * (so a redefinition may change its type; a reference to itself is a cycle/unknown-name error).
 * Throws LifecycleError DSL_ERROR with the positioned errors.
 */
export async function checkTagSource(db: Queryable, tenantId: string, source: string): Promise<CheckedDefinition> {
  const catalog = await loadCatalog(db, tenantId);
  const first = checkDefinition(source, 'tag', catalog);
  if (!first.ok) throw new LifecycleError('DSL_ERROR', dslMessage(first.errors), first.errors);
  if (!catalog.tags.has(first.definition.name)) return first.definition;
  catalog.tags.delete(first.definition.name);
  const again = checkDefinition(source, 'tag', catalog);
  if (!again.ok) throw new LifecycleError('DSL_ERROR', dslMessage(again.errors), again.errors);
  return again.definition;
}

/** "line 2, column 5: unknown field `gendr`; did you mean `gender`? (and 1 more error)" */
export function dslMessage(errors: ReadonlyArray<{ message: string; line: number; column: number }>): string {
  if (errors.length === 0) return 'invalid definition';
  const e = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  return `line ${e.line}, column ${e.column}: ${e.message}${more}`;
}

/**
 * Defines a new tag (version 1, draft) or a new version of an existing one, in the caller's
 * transaction. A changed source is always a new version; the published version keeps being served
 * and refreshed until publishTag. The same source as the current version writes nothing. A
 * deprecated tag that is defined again becomes a draft.
 */
export async function defineTag(db: Queryable, tenantId: string, source: string, actor: string): Promise<DefineTagResult> {
  const def = await checkTagSource(db, tenantId, source);
  const existing = (await db.query<{ current_version: number; source: string; status: string }>(
    `select d.current_version, v.source, d.status from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version
      where d.tenant_id = $1 and d.name = $2 for update of d`,
    [tenantId, def.name])).rows[0];
  if (existing && existing.source === source) {
    if (existing.status === 'deprecated') {
      await db.query(`update tag_definitions set status = 'draft', updated_at = now() where tenant_id = $1 and name = $2`, [tenantId, def.name]);
    }
    return { name: def.name, version: existing.current_version, created: false };
  }
  const version = existing ? existing.current_version + 1 : 1;
  if (existing) {
    await db.query(
      `update tag_definitions set current_version = $3, updated_at = now(),
              status = case when status = 'deprecated' then 'draft' else status end,
              batch_only = case when published_version is null then $4 else batch_only end
        where tenant_id = $1 and name = $2`,
      [tenantId, def.name, version, def.batchOnly]);
  } else {
    await db.query(
      `insert into tag_definitions (tenant_id, name, current_version, status, owner, batch_only)
       values ($1, $2, 1, 'draft', $3, $4)`,
      [tenantId, def.name, actor, def.batchOnly]);
  }
  await db.query(
    `insert into tag_versions (tenant_id, name, version, source, value_type, label, category, description,
                               dependencies, batch_only, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [tenantId, def.name, version, source, def.valueType, def.label, def.category, def.description,
      def.dependencies, def.batchOnly, actor]);
  return { name: def.name, version, created: true };
}

/**
 * Publishes the tag's current version in the caller's transaction and queues a refresh of it (and
 * of the published definitions that read it). Refused when a tag or audience it reads is not
 * published, when the source no longer checks against today's catalog, or when the new version
 * changes the type that published dependants read. Returns the queued job (null with
 * `queueRefresh: false`, for a caller that refreshes everything itself afterwards).
 */
export async function publishTag(
  db: Queryable, tenantId: string, name: string, actor: string, opts: { queueRefresh?: boolean } = {},
): Promise<JobRow | null> {
  const row = (await db.query<{ current_version: number; published_version: number | null; source: string; value_type: string; old_type: string | null }>(
    `select d.current_version, d.published_version, v.source, v.value_type, p.value_type as old_type
       from tag_definitions d
       join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version
       left join tag_versions p on p.tenant_id = d.tenant_id and p.name = d.name and p.version = d.published_version
      where d.tenant_id = $1 and d.name = $2 for update of d`,
    [tenantId, name])).rows[0];
  if (!row) throw new LifecycleError('NOT_FOUND', `tag "${name}" not found`);
  const def = await checkTagSource(db, tenantId, row.source);
  await requirePublishedDependencies(db, tenantId, `tag ${name}`, def.dependencies);
  if (row.old_type !== null && row.old_type !== def.valueType) {
    const dependants = await publishedDependants(db, tenantId, `tag:${name}`);
    if (dependants.length > 0) {
      throw new LifecycleError('INVALID', `tag ${name} changes type from ${row.old_type} to ${def.valueType}, ` +
        `but ${dependants.join(', ')} read${dependants.length === 1 ? 's' : ''} it: change or deprecate ${dependants.length === 1 ? 'it' : 'them'} first`);
    }
  }
  await db.query(
    `update tag_definitions set published_version = current_version, status = 'published', batch_only = $3, updated_at = now()
      where tenant_id = $1 and name = $2`,
    [tenantId, name, def.batchOnly]);
  return opts.queueRefresh === false ? null : queueJob(db, tenantId, `tag:${name}`, actor);
}

/**
 * Deprecates a tag in the caller's transaction: it is no longer refreshed and cannot be referenced
 * by new definitions. Refused (INVALID, naming them) while a published tag or audience reads it.
 */
export async function deprecateTag(db: Queryable, tenantId: string, name: string): Promise<void> {
  const found = await db.query('select 1 from tag_definitions where tenant_id = $1 and name = $2 for update', [tenantId, name]);
  if (found.rowCount === 0) throw new LifecycleError('NOT_FOUND', `tag "${name}" not found`);
  const dependants = await publishedDependants(db, tenantId, `tag:${name}`);
  if (dependants.length > 0) {
    throw new LifecycleError('INVALID', `tag ${name} cannot be deprecated: ${dependants.join(', ')} ` +
      `depend${dependants.length === 1 ? 's' : ''} on it`);
  }
  await db.query(`update tag_definitions set status = 'deprecated', updated_at = now() where tenant_id = $1 and name = $2`, [tenantId, name]);
}

/** One stored version of a tag. */
export interface TagVersionRow {
  version: number;
  source: string;
  value_type: string;
  label: string | null;
  category: string | null;
  dependencies: string[];
  batch_only: boolean;
  created_by: string | null;
  created_at: Date;
}

/** Every version of the tag, newest first. */
export async function tagVersions(db: Queryable, tenantId: string, name: string): Promise<TagVersionRow[]> {
  const r = await db.query<TagVersionRow>(
    `select version, source, value_type, label, category, dependencies, batch_only, created_by, created_at
       from tag_versions where tenant_id = $1 and name = $2 order by version desc`,
    [tenantId, name]);
  return r.rows;
}
