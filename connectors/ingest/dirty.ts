import type { Queryable } from './db.js';
import { encodeRecords, recordsFrom } from './records.js';

/** What changed for a member: the incremental re-evaluation reads it to pick the tags to recompute. */
export type DirtyCollection = 'member' | 'orders' | 'items' | 'events';

// Sorted, so that each set of collections has one bit pattern and one array literal.
const COLLECTIONS: readonly DirtyCollection[] = ['events', 'items', 'member', 'orders'];
const BIT = new Map(COLLECTIONS.map((c, i) => [c, 1 << i]));
/** The text[] literal of each bit pattern, e.g. 0b1010 → `{items,orders}`. */
const LITERAL = Array.from({ length: 1 << COLLECTIONS.length }, (_, bits) => `{${COLLECTIONS.filter((_, i) => bits & (1 << i)).join(',')}}`);

/** SQL of a constant text[] of `collections` (from the fixed set above), for queueDirty's second argument. */
export function collectionsSql(...collections: DirtyCollection[]): string {
  return `'${LITERAL[collections.reduce((bits, c) => bits | BIT.get(c)!, 0)]}'::text[]`;
}

/**
 * SQL that queues in dirty_members the members of `members` (a query with a member_id column; $1
 * is the tenant), each with the text[] `collections`: insert ... on conflict do update, lowest id
 * first so two imports queue the same members in one order. A member already queued keeps its
 * enqueued_at (the age of its oldest unprocessed change) and gains the new collections; one that
 * has them already is only locked (so the worker, which skips locked rows, takes it after this
 * transaction). Usable as a statement or as a data-modifying CTE of the statement that wrote the rows.
 */
export function queueDirty(members: string, collections: string): string {
  return `insert into dirty_members (tenant_id, member_id, collections)
          select $1, d.member_id, ${collections} from (${members}) d order by d.member_id
          on conflict (tenant_id, member_id) do update
            set collections = array(select distinct c from unnest(dirty_members.collections || excluded.collections) c order by c)
            where not (excluded.collections <@ dirty_members.collections)`;
}

/** Accumulates the members a batch touched beyond what its write statements queued themselves. */
export class DirtySet {
  private readonly byMember = new Map<string, number>();

  /** Notes that `collections` changed for `memberId` (null is ignored: held records touch no member). */
  add(memberId: string | null | undefined, ...collections: DirtyCollection[]): void {
    if (!memberId) return;
    let bits = this.byMember.get(memberId) ?? 0;
    for (const c of collections) bits |= BIT.get(c)!;
    this.byMember.set(memberId, bits);
  }

  get size(): number {
    return this.byMember.size;
  }

  /** Queues the members noted (queueDirty). Never evaluates tags here: the incremental worker does that outside the ingest transaction. */
  async flush(db: Queryable, tenantId: string): Promise<void> {
    if (this.byMember.size === 0) return;
    const rows = [...this.byMember].map(([member, bits]) => [member, LITERAL[bits]]);
    this.byMember.clear();
    await db.query(queueDirty(`select * from ${recordsFrom(2, [['member_id', 'bigint'], ['collections', 'text[]']], 'r')}`, 'd.collections'),
      [tenantId, encodeRecords(rows)]);
  }
}
