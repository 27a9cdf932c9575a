import type { Queryable } from './db.js';
import { encodeRecords, recordsFrom } from './records.js';

/** What changed for a member: the incremental re-evaluation reads it to pick the tags to recompute. */
export type DirtyCollection = 'member' | 'orders' | 'items' | 'events';

/** Accumulates the members a batch touched, with what changed for each. */
export class DirtySet {
  private readonly byMember = new Map<string, Set<DirtyCollection>>();

  /** Notes that `collections` changed for `memberId` (null is ignored: held records touch no member). */
  add(memberId: string | null | undefined, ...collections: DirtyCollection[]): void {
    if (!memberId) return;
    const set = this.byMember.get(memberId) ?? new Set<DirtyCollection>();
    for (const c of collections) set.add(c);
    this.byMember.set(memberId, set);
  }

  get size(): number {
    return this.byMember.size;
  }

  /**
   * Queues the members in dirty_members (insert ... on conflict do update, lowest id first so two
   * imports queue the same members in one order). Never evaluates tags here: the incremental worker
   * does that outside the ingest transaction. A member already queued keeps its enqueued_at (the
   * age of its oldest unprocessed change) and gains the new collections.
   */
  async flush(db: Queryable, tenantId: string): Promise<void> {
    if (this.byMember.size === 0) return;
    const rows = [...this.byMember].map(([member, c]) => [member, [...c].sort()]);
    this.byMember.clear();
    await db.query(
      `insert into dirty_members (tenant_id, member_id, collections)
       select $1, r.member_id, r.collections from ${recordsFrom(2, [['member_id', 'bigint'], ['collections', 'text[]']], 'r')}
        order by r.member_id
       on conflict (tenant_id, member_id) do update
         set collections = array(select distinct c from unnest(dirty_members.collections || excluded.collections) c order by c)
         where not (excluded.collections <@ dirty_members.collections)`,
      [tenantId, encodeRecords(rows)],
    );
  }
}
