import type { Queryable } from '../ingest/db.js';
import { MergeError, writeMemberColumns, type MovedRows } from './merge.js';

/** Member columns restored from merge_log.merged_row (the columns of 001_core.sql). */
const RESTORED = `tenant_id, member_id, name, gender, birthday, phone, email, id_card_sha256, province, city, registered_at,
  registered_channel, level, points, married, has_children, attributes, created_at, updated_at`;

/**
 * Undoes the latest merge that absorbed `mergedId`, from merge_log, in the open transaction:
 * - the member row comes back from merge_log.merged_row, with its id;
 * - exactly the identities, orders (with their items), events and aliases that the merge moved come
 *   back, where they are still held by the member that now answers for the merged id (the survivor,
 *   or whoever absorbed the survivor later); rows added to the survivor after the merge stay there;
 * - its tag values are restored, and it re-enters the audiences it was in, each with an ENTERED
 *   change (the MERGED change told consumers it had left);
 * - survivor columns the merge changed go back where the survivor still holds the merged value;
 * - both members are queued in dirty_members for re-evaluation; the log entry is marked undone.
 * Returns the restored member id. Throws MergeError NOT_FOUND when no merge of it is left to undo.
 */
export async function unmergeMember(db: Queryable, tenantId: string, mergedId: string): Promise<string> {
  const found = await db.query(
    `select l.merge_id, l.survivor_id, l.moved, l.merged_row, a.member_id as holder,
            exists (select 1 from members m where m.tenant_id = $1 and m.member_id = $2) as present
       from merge_log l
       left join member_aliases a on a.tenant_id = $1 and a.alias_id = $2
      where l.tenant_id = $1 and l.merged_id = $2 and l.undone_at is null
      order by l.merge_id desc limit 1
      for update of l`,
    [tenantId, mergedId],
  );
  const log = found.rows[0];
  if (!log || log.present || !log.holder) throw new MergeError('NOT_FOUND', `member ${mergedId} has no merge to undo`);
  const moved = log.moved as MovedRows;
  const holder: string = log.holder;
  const locked = await db.query(
    `select to_jsonb(m) as row from members m where m.tenant_id = $1 and m.member_id = $2 for update`,
    [tenantId, holder],
  );
  if (!locked.rows[0]) throw new MergeError('NOT_FOUND', `member ${holder}, which holds ${mergedId}, not found`);

  await db.query(
    `insert into members (${RESTORED}) select ${RESTORED} from jsonb_populate_record(null::members, $1::jsonb)`,
    [JSON.stringify(log.merged_row)],
  );
  await db.query(
    `with ids as (update identities i set member_id = $2
                    from jsonb_array_elements($4::jsonb) k
                   where i.tenant_id = $1 and i.member_id = $3 and i.kind = k->>0 and i.value = k->>1 returning 1),
          ord as (update orders set member_id = $2, updated_at = now()
                   where tenant_id = $1 and member_id = $3 and order_id = any($5::bigint[]) returning order_id),
          itm as (update order_items set member_id = $2 where tenant_id = $1 and order_id in (select order_id from ord)),
          evt as (update events set member_id = $2 where tenant_id = $1 and member_id = $3 and id = any($6::bigint[])),
          ali as (update member_aliases set member_id = $2, merged_at = now()
                   where tenant_id = $1 and alias_id = any($7::bigint[]) and member_id = $3),
          unalias as (delete from member_aliases where tenant_id = $1 and alias_id = $2),
          tv as (insert into tag_values (tenant_id, tag_name, member_id, value)
                 select $1, x->>'tag', $2, x->'value' from jsonb_array_elements($8::jsonb) x
                 on conflict do nothing),
          am as (insert into audience_members (tenant_id, audience_name, member_id)
                 select $1, a.name, $2 from audiences a where a.tenant_id = $1 and a.name = any($9::text[])
                 on conflict do nothing returning audience_name),
          seq as (update audiences a set last_seq = a.last_seq + 1, size = a.size + 1, updated_at = now()
                   where a.tenant_id = $1 and a.name in (select audience_name from am) returning a.name, a.last_seq),
          chg as (insert into audience_changes (tenant_id, audience_name, seq, member_id, kind)
                  select $1, name, last_seq, $2, 'ENTERED' from seq),
          dirty as (insert into dirty_members (tenant_id, member_id, collections)
                    select $1, unnest(array[$2, $3]::bigint[]), array['member', 'orders', 'items', 'events']
                    on conflict (tenant_id, member_id) do update set collections = excluded.collections),
          done as (update merge_log set undone_at = now() where tenant_id = $1 and merge_id = $10)
     select (select count(*) from ids) as identities`,
    [tenantId, mergedId, holder, JSON.stringify(moved.identities), moved.orders, moved.events, moved.aliases,
      JSON.stringify(moved.tagValues), moved.audiences.map((a) => a.audience), log.merge_id],
  );

  // The survivor's columns go back only where it still has what the merge wrote there.
  if (holder === log.survivor_id && Object.keys(moved.survivor).length > 0) {
    const current = locked.rows[0].row as Record<string, unknown>;
    const row = { ...current };
    let changed = false;
    for (const [col, [before, after]] of Object.entries(moved.survivor)) {
      if (JSON.stringify(current[col]) === JSON.stringify(after)) {
        row[col] = before;
        changed = true;
      } else if (col === 'points') {
        row.points = Math.max(0, Number(current.points) - Number((log.merged_row as Record<string, unknown>).points));
        changed = true;
      }
    }
    if (changed) await writeMemberColumns(db, tenantId, holder, row);
  }
  return mergedId;
}
