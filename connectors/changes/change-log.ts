import type { Queryable } from '../store/pool.js';

export type ChangeKind = 'ENTERED' | 'EXITED' | 'MERGED';

export interface ChangeRow {
  seq: string;
  member_id: string;
  kind: ChangeKind;
  at: Date;
}

/** Postgres channel that carries "tenant:audience:lastSeq" wake-ups; the log carries the data. */
export const CHANGES_CHANNEL = 'cdp_audience_changes';

/**
 * Appends changes to an audience's log in the caller's transaction and returns the last sequence
 * number. Sequence numbers come from audiences.last_seq under that row's lock, held to commit, so
 * for one audience they are handed out and become visible in the same order: a reader that saw seq
 * N can never later see a smaller one appear. The NOTIFY is delivered at commit, never before.
 */
export async function appendChanges(
  db: Queryable, tenantId: string, audience: string, changes: ReadonlyArray<{ memberId: string; kind: ChangeKind }>,
): Promise<string | null> {
  if (changes.length === 0) return null;
  const r = await db.query<{ last_seq: string }>(
    `with bump as (
       update audiences set last_seq = last_seq + $3, updated_at = now()
        where tenant_id = $1 and name = $2
       returning last_seq - $3 as first_seq, last_seq),
     ins as (
       insert into audience_changes (tenant_id, audience_name, seq, member_id, kind)
       select $1, $2, bump.first_seq + c.ord, c.member_id, c.kind
         from bump, unnest($4::bigint[], $5::text[]) with ordinality as c(member_id, kind, ord))
     select last_seq from bump`,
    [tenantId, audience, changes.length, changes.map((c) => c.memberId), changes.map((c) => c.kind)],
  );
  const last = r.rows[0]?.last_seq;
  if (last === undefined) throw new Error(`audience ${audience} does not exist`);
  await notifyChanges(db, tenantId, audience, last);
  return last;
}

/**
 * Wakes the audience's subscribers at the caller's commit (never before): for writers that append
 * to the log in a statement of their own (a full refresh's swap), under the same rules as
 * appendChanges (seq from audiences.last_seq under that row's lock, held to commit).
 */
export async function notifyChanges(db: Queryable, tenantId: string, audience: string, lastSeq: string): Promise<void> {
  await db.query('select pg_notify($1, $2)', [CHANGES_CHANNEL, `${tenantId}:${audience}:${lastSeq}`]);
}

/** Reads of (tenant, audience, after, limit): the one not yet sent, and the one running. */
const reads = new Map<string, { next?: Promise<ChangeRow[]>; running?: Promise<unknown> }>();

/**
 * Up to `limit` changes of an audience after `afterSeq`, in cursor order (a fresh array per call).
 * `db` must be bound to `tenantId` (its app.tenant_id set), as every caller's is.
 *
 * Identical reads share one statement: a call joins the read of the same (tenant, audience,
 * afterSeq, limit) that has not been sent yet, and a new one is sent only after the previous one
 * ended (at most one running per key). A read is sent after every call that joined it was made, so
 * it sees every change any of them was woken for: when a change wakes 5,000 subscribers waiting at
 * the same cursor, the process runs one or two statements, not 5,000.
 */
export async function readChanges(db: Queryable, tenantId: string, audience: string, afterSeq: string, limit: number): Promise<ChangeRow[]> {
  const key = `${tenantId}\u0000${audience}\u0000${afterSeq}\u0000${limit}`;
  let entry = reads.get(key);
  if (!entry) reads.set(key, (entry = {}));
  const e = entry;
  if (!e.next) {
    const previous = e.running ?? new Promise((r) => setImmediate(r)); // lets same-turn callers join
    const next: Promise<ChangeRow[]> = previous.then(() => undefined, () => undefined).then(async () => {
      e.next = undefined; // from here on, callers start another read: this one may not see their change
      const running = db.query<ChangeRow>(
        `select seq, member_id, kind, at from audience_changes
          where tenant_id = $1 and audience_name = $2 and seq > $3
          order by seq limit $4`,
        [tenantId, audience, afterSeq, limit]).then((r) => r.rows);
      e.running = running;
      try {
        return await running;
      } finally {
        if (e.running === running) e.running = undefined;
        if (!e.running && !e.next && reads.get(key) === e) reads.delete(key);
      }
    });
    e.next = next;
  }
  return [...(await e.next)];
}
