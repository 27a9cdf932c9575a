import type { Queryable } from '../store/pool.js';
import { loadCatalog } from '../tags/catalog.js';
import { checkDefinition } from '../tags/compile.js';
import { LifecycleError } from '../tags/lifecycle-error.js';
import { dslMessage } from '../tags/lifecycle.js';
import { requirePublishedDependencies } from '../tags/dependants.js';
import { queueJob, type JobRow } from '../refresh/jobs.js';
import { replaceMembership, type AudienceWrite } from './apply.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Most identities one uploadAudience call may carry. */
export const MAX_UPLOAD = 100_000;

/** What defineAudience did. */
export interface DefineAudienceResult {
  name: string;
  version: number;
  /** false when the source equals the current version's: nothing was written and no job queued. */
  created: boolean;
  /** The refresh that materialises the new version (null when nothing changed). */
  job: JobRow | null;
}

/**
 * Defines an audience from one `audience` statement, or a new version of it, in the caller's
 * transaction. An audience is live as soon as it is defined: it is published and a refresh job is
 * queued that computes its membership and logs ENTERED/EXITED changes (unless `queueRefresh` is
 * false: the caller refreshes itself). Refused with DSL_ERROR for a
 * bad source, INVALID when it reads an unpublished tag or audience.
 */
export async function defineAudience(
  db: Queryable, tenantId: string, source: string, actor: string, opts: { queueRefresh?: boolean } = {},
): Promise<DefineAudienceResult> {
  const catalog = await loadCatalog(db, tenantId);
  let checked = checkDefinition(source, 'audience', catalog);
  if (checked.ok && catalog.audiences.has(checked.definition.name)) {
    // a redefinition is checked as if the audience did not exist yet: reading itself is a cycle
    catalog.audiences.delete(checked.definition.name);
    catalog.audienceDetails?.delete(checked.definition.name);
    checked = checkDefinition(source, 'audience', catalog);
  }
  if (!checked.ok) throw new LifecycleError('DSL_ERROR', dslMessage(checked.errors), checked.errors);
  const def = checked.definition;
  await requirePublishedDependencies(db, tenantId, `audience ${def.name}`, def.dependencies);
  const existing = (await db.query<{ current_version: number; source: string | null; definition_kind: string; status: string }>(
    `select a.current_version, v.source, a.definition_kind, a.status from audiences a
       left join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version
      where a.tenant_id = $1 and a.name = $2 for no key update of a`, [tenantId, def.name])).rows[0];
  if (existing && existing.source === source && existing.definition_kind === 'dsl' && existing.status === 'published') {
    return { name: def.name, version: existing.current_version, created: false, job: null };
  }
  const version = await newVersion(db, tenantId, def.name, 'dsl', existing?.current_version, actor);
  await db.query(
    `insert into audience_versions (tenant_id, name, version, source, label, description, dependencies, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [tenantId, def.name, version, source, def.label, def.description, def.dependencies, actor]);
  const job = opts.queueRefresh === false ? null : await queueJob(db, tenantId, `audience:${def.name}`, actor);
  return { name: def.name, version, created: true, job };
}

async function newVersion(db: Queryable, tenantId: string, name: string, kind: 'dsl' | 'upload', current: number | undefined, actor: string): Promise<number> {
  if (current === undefined) {
    await db.query(
      `insert into audiences (tenant_id, name, definition_kind, current_version, status, owner)
       values ($1, $2, $3, 1, 'published', $4)`, [tenantId, name, kind, actor]);
    return 1;
  }
  await db.query(
    `update audiences set definition_kind = $3, current_version = $4, status = 'published', updated_at = now()
      where tenant_id = $1 and name = $2`, [tenantId, name, kind, current + 1]);
  return current + 1;
}

/** What uploadAudience did. */
export interface UploadResult extends AudienceWrite {
  name: string;
  version: number;
  /** Uploaded identities that belong to a member now. */
  matched: number;
  /** Uploaded identities that belong to nobody yet (kept: a later refresh picks them up). */
  unmatched: number;
}

/**
 * Makes audience `name` an uploaded list (a new version holding the identities) and sets its
 * membership right away, in the caller's transaction, to the members that own those identities,
 * logging ENTERED/EXITED changes. Refused (INVALID) for a bad name, no identities or more than
 * MAX_UPLOAD. Full refreshes re-resolve the list (following merges and new identities).
 */
export async function uploadAudience(
  db: Queryable, tenantId: string, name: string, identities: ReadonlyArray<{ kind: string; value: string }>, actor: string,
): Promise<UploadResult> {
  if (!NAME.test(name)) throw new LifecycleError('INVALID', `audience name "${name}" must match [A-Za-z_][A-Za-z0-9_]*`);
  if (identities.length === 0) throw new LifecycleError('INVALID', 'identities must not be empty');
  if (identities.length > MAX_UPLOAD) throw new LifecycleError('INVALID', `at most ${MAX_UPLOAD} identities per upload, got ${identities.length}`);
  const existing = (await db.query<{ current_version: number }>(
    'select current_version from audiences where tenant_id = $1 and name = $2 for no key update', [tenantId, name])).rows[0];
  const version = await newVersion(db, tenantId, name, 'upload', existing?.current_version, actor);
  const list = JSON.stringify(identities.map((i) => ({ kind: i.kind, value: i.value })));
  await db.query(
    `insert into audience_versions (tenant_id, name, version, source, uploaded_identities, created_by)
     values ($1, $2, $3, null, $4::jsonb, $5)`, [tenantId, name, version, list, actor]);
  const resolved = (await db.query<{ member_id: string; matched: number }>(
    `with u as (select distinct kind, value from jsonb_to_recordset($2::jsonb) as u(kind text, value text)),
     hit as (select i.member_id from u join identities i on i.tenant_id = $1 and i.kind = u.kind and i.value = u.value)
     select m.member_id, (select count(*) from hit)::int as matched from (select distinct member_id from hit) m`,
    [tenantId, list])).rows;
  const write = await replaceMembership(db, tenantId, name, resolved.map((r) => r.member_id));
  const matched = resolved[0]?.matched ?? 0;
  const distinct = new Set(identities.map((i) => `${i.kind}\u0000${i.value}`)).size;
  return { name, version, matched, unmatched: distinct - matched, ...write };
}
