import { bindQuery, parameterCount, type CompiledQuery } from './compile.js';
import type { Queryable } from '../store/pool.js';

/** Rows written by one application of tag values: only rows whose value changed count. */
export interface TagWrite {
  /** Rows inserted or updated to a different value. */
  upserted: number;
  /** Rows deleted (the member has no value any more). */
  deleted: number;
}

/**
 * Re-evaluates tag `name` for `memberIds` with its compiled 'members' query and writes only the
 * difference to tag_values, in one statement in the caller's transaction: new values inserted,
 * changed values updated, values that became null deleted, unchanged rows untouched.
 */
export async function applyTagForMembers(
  db: Queryable, tenantId: string, name: string, query: CompiledQuery, asOf: Date, memberIds: readonly string[],
): Promise<TagWrite> {
  if (memberIds.length === 0) return { upserted: 0, deleted: 0 };
  const values = bindQuery(query, 'members', tenantId, asOf, memberIds);
  const n = parameterCount(query) + 1;
  const r = await db.query<TagWrite>(
    `with q as (${query.text}),
     v as (select q.member_id::bigint as member_id, to_jsonb(q.value) as value from q where q.value is not null),
     del as (
       delete from tag_values tv
        where tv.tenant_id = $1 and tv.tag_name = $${n} and tv.member_id = any($3::bigint[])
          and not exists (select 1 from v where v.member_id = tv.member_id)
       returning 1),
     up as (
       insert into tag_values as tv (tenant_id, tag_name, member_id, value)
       select $1, $${n}, v.member_id, v.value from v
       on conflict (tenant_id, tag_name, member_id) do update set value = excluded.value, updated_at = now()
        where tv.value is distinct from excluded.value
       returning 1)
     select (select count(*) from up)::int as upserted, (select count(*) from del)::int as deleted`,
    [...values, name],
  );
  return r.rows[0];
}

/**
 * Replaces tag `name`'s values by the staged ones (table `stage` of (member_id, value jsonb), one row
 * per member with a value) in the caller's transaction, with ONE statement: a full outer join of the
 * old values and the staged ones yields the differences only, then new members are inserted (in
 * member order, so both indexes are appended to, not scattered), changed values updated and values
 * that disappeared deleted. Unchanged rows are not touched: a refresh that finds nothing changed
 * writes no row. Members listed in refresh_recheck for (`jobId`, 'tag:NAME') are left alone: the
 * incremental worker re-evaluated them from newer data while the job was staging. Sets the tag's
 * last_refreshed_at to `asOf`. The caller holds the definition's exclusive lock, so no worker writes
 * the tag meanwhile and the statement's snapshot holds every row it must compare with.
 */
export async function swapTagFromStage(
  db: Queryable, tenantId: string, name: string, stage: string, jobId: string, asOf: Date,
): Promise<TagWrite> {
  const r = await db.query<{ inserted: number; updated: number; deleted: number }>(
    `with old as (
       select member_id, value from tag_values where tenant_id = $1 and tag_name = $2),
     d as (
       select coalesce(s.member_id, o.member_id) as member_id, s.value, o.member_id is null as fresh
         from ${stage} s full join old o on o.member_id = s.member_id
        where s.value is distinct from o.value
          and not exists (select 1 from refresh_recheck r
                           where r.tenant_id = $1 and r.job_id = $3 and r.target = $4
                             and r.member_id = coalesce(s.member_id, o.member_id))),
     del as (
       delete from tag_values t using d
        where t.tenant_id = $1 and t.tag_name = $2 and t.member_id = d.member_id and d.value is null
       returning 1),
     upd as (
       update tag_values t set value = d.value, updated_at = now() from d
        where t.tenant_id = $1 and t.tag_name = $2 and t.member_id = d.member_id and d.value is not null and not d.fresh
       returning 1),
     ins as (
       insert into tag_values (tenant_id, tag_name, member_id, value)
       select $1, $2, d.member_id, d.value from d where d.fresh order by d.member_id
       returning 1),
     refreshed as (
       update tag_definitions set last_refreshed_at = $5 where tenant_id = $1 and name = $2)
     select (select count(*) from ins)::int as inserted, (select count(*) from upd)::int as updated,
            (select count(*) from del)::int as deleted`,
    [tenantId, name, jobId, `tag:${name}`, asOf],
  );
  const w = r.rows[0];
  return { upserted: w.inserted + w.updated, deleted: w.deleted };
}
