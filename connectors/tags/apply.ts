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
 * per member with a value) in the caller's transaction, writing only differences. Members listed in
 * refresh_recheck for (`jobId`, 'tag:NAME') are left alone: the incremental worker re-evaluated them
 * from newer data while the job was staging. Sets the tag's last_refreshed_at to `asOf`.
 */
export async function swapTagFromStage(
  db: Queryable, tenantId: string, name: string, stage: string, jobId: string, asOf: Date,
): Promise<TagWrite> {
  const recheck = `select 1 from refresh_recheck r
     where r.tenant_id = $1 and r.job_id = $3 and r.target = $4 and r.member_id = x.member_id`;
  const del = await db.query(
    `delete from tag_values x
      where x.tenant_id = $1 and x.tag_name = $2
        and not exists (select 1 from ${stage} s where s.member_id = x.member_id)
        and not exists (${recheck})`,
    [tenantId, name, jobId, `tag:${name}`],
  );
  // First materialisation: nothing to compare with. The caller holds the definition's exclusive
  // lock, so no worker can add a row meanwhile: a plain insert, without the conflict machinery.
  const empty = (await db.query('select 1 from tag_values where tenant_id = $1 and tag_name = $2 limit 1', [tenantId, name])).rowCount === 0;
  const up = await db.query(empty
    ? `insert into tag_values (tenant_id, tag_name, member_id, value)
       select $1, $2, x.member_id, x.value from ${stage} x where not exists (${recheck})`
    : `insert into tag_values as tv (tenant_id, tag_name, member_id, value)
       select $1, $2, x.member_id, x.value
         from ${stage} x
         left join tag_values old on old.tenant_id = $1 and old.tag_name = $2 and old.member_id = x.member_id
        where (old.member_id is null or old.value is distinct from x.value)
          and not exists (${recheck})
       on conflict (tenant_id, tag_name, member_id) do update set value = excluded.value, updated_at = now()
        where tv.value is distinct from excluded.value`,
    [tenantId, name, jobId, `tag:${name}`],
  );
  await db.query(
    'update tag_definitions set last_refreshed_at = $3 where tenant_id = $1 and name = $2',
    [tenantId, name, asOf],
  );
  return { upserted: up.rowCount ?? 0, deleted: del.rowCount ?? 0 };
}
