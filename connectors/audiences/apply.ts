import { appendChanges, notifyChanges, type ChangeKind } from '../changes/change-log.js';
import { bindQuery, parameterCount, type CompiledQuery } from '../tags/compile.js';
import type { Queryable } from '../store/pool.js';

/** Membership changes written by one application. */
export interface AudienceWrite {
  entered: number;
  exited: number;
}

/** appendChanges takes the ids as arrays in one statement; keep each statement's arrays bounded. */
const APPEND_CHUNK = 20_000;

async function logChanges(
  db: Queryable, tenantId: string, audience: string, exited: string[], entered: string[],
): Promise<void> {
  const changes: Array<{ memberId: string; kind: ChangeKind }> = [
    ...exited.map((memberId) => ({ memberId, kind: 'EXITED' as const })),
    ...entered.map((memberId) => ({ memberId, kind: 'ENTERED' as const })),
  ];
  for (let i = 0; i < changes.length; i += APPEND_CHUNK) {
    await appendChanges(db, tenantId, audience, changes.slice(i, i + APPEND_CHUNK));
  }
}

// member ids stay far below 2^53: compare as numbers (BigInt per comparison is slow on a million ids)
const byId = (a: string, b: string) => Number(a) - Number(b);

/**
 * Re-evaluates audience `name` for `memberIds` with its compiled 'members' query and applies the
 * difference to audience_members in the caller's transaction, appending an ENTERED or EXITED change
 * for each member that moved (appendChanges, same transaction: the log and the membership commit
 * together or not at all) and adjusting the audience's size.
 */
export async function applyAudienceForMembers(
  db: Queryable, tenantId: string, name: string, query: CompiledQuery, asOf: Date, memberIds: readonly string[],
): Promise<AudienceWrite> {
  if (memberIds.length === 0) return { entered: 0, exited: 0 };
  const values = bindQuery(query, 'members', tenantId, asOf, memberIds);
  const n = parameterCount(query) + 1;
  const r = await db.query<{ kind: ChangeKind; member_id: string }>(
    `with q as (${query.text}),
     want as (select distinct q.member_id::bigint as member_id from q where q.value is true),
     ins as (
       insert into audience_members (tenant_id, audience_name, member_id)
       select $1, $${n}, w.member_id from want w
       on conflict (tenant_id, audience_name, member_id) do nothing
       returning member_id),
     del as (
       delete from audience_members am
        where am.tenant_id = $1 and am.audience_name = $${n} and am.member_id = any($3::bigint[])
          and not exists (select 1 from want w where w.member_id = am.member_id)
       returning member_id)
     select 'ENTERED' as kind, member_id from ins
     union all
     select 'EXITED', member_id from del`,
    [...values, name],
  );
  const entered = r.rows.filter((x) => x.kind === 'ENTERED').map((x) => x.member_id).sort(byId);
  const exited = r.rows.filter((x) => x.kind === 'EXITED').map((x) => x.member_id).sort(byId);
  if (entered.length + exited.length > 0) {
    await logChanges(db, tenantId, name, exited, entered);
    await db.query('update audiences set size = size + $3 where tenant_id = $1 and name = $2',
      [tenantId, name, entered.length - exited.length]);
  }
  return { entered: entered.length, exited: exited.length };
}

/**
 * Replaces audience `name`'s membership by the staged one (table `stage`, one row per member in the
 * audience) in the caller's transaction. Locks the audience row first (change-log order is this
 * transaction's commit order), then ONE statement: a full outer join of the old membership and the
 * staged one yields the members who move; it deletes the leavers, inserts the newcomers, appends
 * their EXITED then ENTERED changes (each by member id) with seq numbers taken from
 * audiences.last_seq, and sets last_seq, size and last_refreshed_at, as appendChanges does for
 * other writers; the NOTIFY follows (delivered at commit). Members in refresh_recheck for (`jobId`,
 * 'audience:NAME') are left alone (re-evaluated from newer data while the job was staging).
 */
export async function swapAudienceFromStage(
  db: Queryable, tenantId: string, name: string, stage: string, jobId: string, asOf: Date,
): Promise<AudienceWrite> {
  await db.query('select 1 from audiences where tenant_id = $1 and name = $2 for no key update', [tenantId, name]);
  const r = await db.query<{ last_seq: string; moved: number; entered: number }>(
    `with old as (
       select member_id from audience_members where tenant_id = $1 and audience_name = $2),
     d as (
       select coalesce(s.member_id, o.member_id) as member_id, s.member_id is not null as entering
         from ${stage} s full join old o on o.member_id = s.member_id
        where (s.member_id is null or o.member_id is null)
          and not exists (select 1 from refresh_recheck r
                           where r.tenant_id = $1 and r.job_id = $3 and r.target = $4
                             and r.member_id = coalesce(s.member_id, o.member_id))),
     del as (
       delete from audience_members a using d
        where a.tenant_id = $1 and a.audience_name = $2 and a.member_id = d.member_id and not d.entering
       returning a.member_id),
     ins as (
       insert into audience_members (tenant_id, audience_name, member_id)
       select $1, $2, d.member_id from d where d.entering order by d.member_id
       returning member_id),
     ch as (
       select c.member_id, c.kind, row_number() over (order by c.kind = 'ENTERED', c.member_id) as ord
         from (select member_id, 'EXITED' as kind from del union all select member_id, 'ENTERED' from ins) c),
     n as (
       select count(*) as moved, count(*) filter (where kind = 'ENTERED') as entered from ch),
     bump as (
       update audiences a
          set last_seq = a.last_seq + n.moved,
              updated_at = case when n.moved > 0 then now() else a.updated_at end,
              size = (select count(*) from old) + 2 * n.entered - n.moved,
              last_refreshed_at = $5
         from n
        where a.tenant_id = $1 and a.name = $2
       returning a.last_seq - n.moved as first_seq, a.last_seq, n.moved, n.entered),
     logged as (
       insert into audience_changes (tenant_id, audience_name, seq, member_id, kind)
       select $1, $2, bump.first_seq + ch.ord, ch.member_id, ch.kind from bump, ch)
     select last_seq, moved::int, entered::int from bump`,
    [tenantId, name, jobId, `audience:${name}`, asOf]);
  const w = r.rows[0];
  if (!w) throw new Error(`audience ${name} does not exist`);
  if (w.moved > 0) await notifyChanges(db, tenantId, name, w.last_seq);
  return { entered: w.entered, exited: w.moved - w.entered };
}

/**
 * Sets audience `name`'s membership to exactly `memberIds` in the caller's transaction (an uploaded
 * list), with the same guarantees as a refresh's swap: audience row locked first, only differences
 * written, ENTERED/EXITED appended in the same transaction, size and last_refreshed_at set.
 */
export async function replaceMembership(db: Queryable, tenantId: string, name: string, memberIds: readonly string[]): Promise<AudienceWrite> {
  await db.query('select 1 from audiences where tenant_id = $1 and name = $2 for no key update', [tenantId, name]);
  const exited = (await db.query<{ member_id: string }>(
    `delete from audience_members where tenant_id = $1 and audience_name = $2 and not (member_id = any($3::bigint[]))
     returning member_id`, [tenantId, name, memberIds])).rows.map((x) => x.member_id).sort(byId);
  const entered = (await db.query<{ member_id: string }>(
    `insert into audience_members (tenant_id, audience_name, member_id)
     select $1, $2, m from unnest($3::bigint[]) as m
     on conflict (tenant_id, audience_name, member_id) do nothing
     returning member_id`, [tenantId, name, memberIds])).rows.map((x) => x.member_id).sort(byId);
  await logChanges(db, tenantId, name, exited, entered);
  await db.query(
    `update audiences set last_refreshed_at = now(),
            size = (select count(*) from audience_members where tenant_id = $1 and audience_name = $2)
      where tenant_id = $1 and name = $2`, [tenantId, name]);
  return { entered: entered.length, exited: exited.length };
}
