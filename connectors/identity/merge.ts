import type { Queryable } from '../ingest/db.js';

/** A merge that cannot be done: the code is the GraphQL error code the resolver reports. */
export class MergeError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'BAD_USER_INPUT', message: string) {
    super(message);
  }
}

/** What merge_log.moved records, so that unmergeMembers can move exactly these back. */
export interface MovedRows {
  identities: Array<[string, string]>;
  orders: string[];
  events: string[];
  /** Every tag value the merged member had (moved, or dropped where the survivor had the tag). */
  tagValues: Array<{ tag: string; value: unknown }>;
  /** Audiences the merged member was in; survivorHad: the survivor was already a member. */
  audiences: Array<{ audience: string; survivorHad: boolean }>;
  /** Ids of members merged earlier into the merged member, whose aliases now point at the survivor. */
  aliases: string[];
  /** Survivor columns the merge changed: [before, after]. */
  survivor: Record<string, [unknown, unknown]>;
}

/** Member columns a merge may fill on the survivor from the merged member. */
const FILLED = ['name', 'birthday', 'phone', 'email', 'id_card_sha256', 'province', 'city', 'registered_channel',
  'married', 'has_children'] as const;

/** Every member column but the keys and timestamps, in the order of the update below. */
const COLUMNS = ['name', 'gender', 'birthday', 'phone', 'email', 'id_card_sha256', 'province', 'city', 'registered_at',
  'registered_channel', 'level', 'points', 'married', 'has_children', 'attributes'] as const;

type Row = Record<string, any>;

/** Writes `row`'s member columns onto member `memberId` (a to_jsonb(members) image). */
export async function writeMemberColumns(db: Queryable, tenantId: string, memberId: string, row: Row): Promise<void> {
  await db.query(
    `update members m set ${COLUMNS.map((c) => `${c} = p.${c}`).join(', ')}, updated_at = now()
       from jsonb_populate_record(null::members, $3::jsonb) p
      where m.tenant_id = $1 and m.member_id = $2`,
    [tenantId, memberId, JSON.stringify(row)],
  );
}

/**
 * The survivor after absorbing `merged`: empty columns filled from the merged member, gender
 * when unknown, the higher level, the sum of points, the earlier registration, attributes of both
 * (the survivor's win). Returns the new image and the [before, after] of each changed column.
 */
export function combineMembers(survivor: Row, merged: Row): { row: Row; changed: Record<string, [unknown, unknown]> } {
  const row: Row = { ...survivor };
  for (const c of FILLED) if (row[c] === null && merged[c] !== null) row[c] = merged[c];
  if (row.gender === 'U' && merged.gender !== 'U') row.gender = merged.gender;
  row.level = Math.max(survivor.level, merged.level);
  row.points = survivor.points + merged.points;
  if (new Date(merged.registered_at) < new Date(survivor.registered_at)) row.registered_at = merged.registered_at;
  row.attributes = { ...merged.attributes, ...survivor.attributes };
  const changed: Record<string, [unknown, unknown]> = {};
  for (const c of COLUMNS) {
    if (JSON.stringify(row[c]) !== JSON.stringify(survivor[c])) changed[c] = [survivor[c], row[c]];
  }
  return { row, changed };
}

/**
 * Merges member `mergedId` into `survivorId` in the open transaction (data-model.md, forward merge):
 * every identity, order, order item, event, tag value and audience membership of the merged member
 * moves to the survivor (a tag value or membership the survivor already has is kept and the
 * merged one dropped); each audience the merged member was in gets a MERGED change for the merged id
 * with the next seq from audiences.last_seq (taken under that row's lock); the merged id becomes an
 * alias of the survivor and aliases that pointed at it are re-pointed (no chains); merge_log keeps
 * the merged row and what moved; the survivor is queued in dirty_members. Both member rows are
 * locked FOR UPDATE first, lowest id first. Throws MergeError when either member does not exist.
 */
export async function mergeInto(db: Queryable, tenantId: string, survivorId: string, mergedId: string, reason: string): Promise<string> {
  if (survivorId === mergedId) throw new MergeError('BAD_USER_INPUT', `member ${survivorId} cannot be merged into itself`);
  const locked = await db.query(
    `select member_id, to_jsonb(m) as row from members m
      where m.tenant_id = $1 and m.member_id = any($2::bigint[]) order by m.member_id for update`,
    [tenantId, [survivorId, mergedId]],
  );
  const survivor = locked.rows.find((r) => r.member_id === survivorId)?.row as Row | undefined;
  const merged = locked.rows.find((r) => r.member_id === mergedId)?.row as Row | undefined;
  if (!survivor) throw new MergeError('NOT_FOUND', `member ${survivorId} not found`);
  if (!merged) throw new MergeError('NOT_FOUND', `member ${mergedId} not found`);

  // One statement moves everything: its sub-statements share one snapshot, and each touches rows
  // of the merged member only, disjointly (a tag value is either moved or dropped, never both).
  const moved = await db.query(
    `with ids as (update identities set member_id = $2 where tenant_id = $1 and member_id = $3 returning kind, value),
          ord as (update orders set member_id = $2, updated_at = now() where tenant_id = $1 and member_id = $3 returning order_id),
          itm as (update order_items set member_id = $2 where tenant_id = $1 and member_id = $3 returning 1),
          evt as (update events set member_id = $2 where tenant_id = $1 and member_id = $3 returning id),
          tv_drop as (delete from tag_values t where t.tenant_id = $1 and t.member_id = $3
                        and exists (select 1 from tag_values s where s.tenant_id = $1 and s.member_id = $2 and s.tag_name = t.tag_name)
                      returning tag_name, value),
          tv_move as (update tag_values t set member_id = $2, updated_at = now() where t.tenant_id = $1 and t.member_id = $3
                        and not exists (select 1 from tag_values s where s.tenant_id = $1 and s.member_id = $2 and s.tag_name = t.tag_name)
                      returning tag_name, value),
          am_drop as (delete from audience_members t where t.tenant_id = $1 and t.member_id = $3
                        and exists (select 1 from audience_members s where s.tenant_id = $1 and s.member_id = $2 and s.audience_name = t.audience_name)
                      returning audience_name),
          am_move as (update audience_members t set member_id = $2 where t.tenant_id = $1 and t.member_id = $3
                        and not exists (select 1 from audience_members s where s.tenant_id = $1 and s.member_id = $2 and s.audience_name = t.audience_name)
                      returning audience_name),
          seq as (update audiences a set last_seq = a.last_seq + 1, updated_at = now(),
                         size = greatest(0, a.size - case when a.name in (select audience_name from am_drop) then 1 else 0 end)
                   where a.tenant_id = $1 and a.name in (select audience_name from am_drop union all select audience_name from am_move)
                   returning a.name, a.last_seq),
          chg as (insert into audience_changes (tenant_id, audience_name, seq, member_id, kind)
                  select $1, name, last_seq, $3, 'MERGED' from seq returning 1),
          ali as (update member_aliases set member_id = $2, merged_at = now() where tenant_id = $1 and member_id = $3 returning alias_id)
     select (select coalesce(jsonb_agg(jsonb_build_array(kind, value)), '[]') from ids) as identities,
            (select coalesce(jsonb_agg(order_id::text), '[]') from ord) as orders,
            (select count(*) from itm) as items,
            (select coalesce(jsonb_agg(id::text), '[]') from evt) as events,
            (select coalesce(jsonb_agg(jsonb_build_object('tag', tag_name, 'value', value)), '[]')
               from (select * from tv_drop union all select * from tv_move) t) as tag_values,
            (select coalesce(jsonb_agg(jsonb_build_object('audience', audience_name, 'survivorHad', d)), '[]')
               from (select audience_name, true as d from am_drop union all select audience_name, false from am_move) a) as audiences,
            (select count(*) from chg) as changes,
            (select coalesce(jsonb_agg(alias_id::text), '[]') from ali) as aliases`,
    [tenantId, survivorId, mergedId],
  );
  const m = moved.rows[0];
  const combined = combineMembers(survivor, merged);
  const record: MovedRows = {
    identities: m.identities, orders: m.orders, events: m.events, tagValues: m.tag_values,
    audiences: m.audiences, aliases: m.aliases, survivor: combined.changed,
  };
  if (Object.keys(combined.changed).length > 0) await writeMemberColumns(db, tenantId, survivorId, combined.row);
  const log = await db.query(
    `with del as (delete from members where tenant_id = $1 and member_id = $3),
          alias as (insert into member_aliases (tenant_id, alias_id, member_id) values ($1, $3, $2)
                    on conflict (tenant_id, alias_id) do update set member_id = excluded.member_id, merged_at = now()),
          undirty as (delete from dirty_members where tenant_id = $1 and member_id = $3),
          dirty as (insert into dirty_members (tenant_id, member_id, collections)
                    values ($1, $2, array['member', 'orders', 'items', 'events'])
                    on conflict (tenant_id, member_id) do update set collections = array['member', 'orders', 'items', 'events'])
     insert into merge_log (tenant_id, survivor_id, merged_id, reason, moved, merged_row)
     values ($1, $2, $3, $4, $5, $6) returning merge_id`,
    [tenantId, survivorId, mergedId, reason, JSON.stringify(record), JSON.stringify(merged)],
  );
  return log.rows[0].merge_id;
}
