import type { Queryable } from './db.js';
import type { Outcome } from './result.js';

/** The kinds of record that can wait for their member. */
export type HeldKind = 'order' | 'event' | 'member';

/** A record to hold: its natural key, the identities it carries ('KIND:value'), and the record. */
export interface HeldInput {
  key: string;
  identityKeys: string[];
  payload: unknown;
}

/** A held record taken for attachment. */
export interface HeldRecord {
  heldId: string;
  kind: HeldKind;
  payload: any;
}

/**
 * Holds records whose identities match no member and carry no strong identity (held_records).
 * A record still held under the same key is replaced when it changed ('held') and left alone when
 * identical ('duplicate'). `records` must have distinct keys.
 */
export async function holdRecords(db: Queryable, tenantId: string, kind: HeldKind, records: HeldInput[]): Promise<Outcome[]> {
  if (records.length === 0) return [];
  const r = await db.query(
    `insert into held_records (tenant_id, record_kind, record_key, identity_keys, payload)
     select $1, $2, r.record_key, r.identity_keys, r.payload
       from json_to_recordset($3::json) as r(record_key text, identity_keys text[], payload jsonb)
     on conflict (tenant_id, record_kind, record_key) where attached_at is null
     do update set identity_keys = excluded.identity_keys, payload = excluded.payload, received_at = now()
       where held_records.payload is distinct from excluded.payload
     returning record_key`,
    [tenantId, kind, JSON.stringify(records.map((x) => ({ record_key: x.key, identity_keys: x.identityKeys, payload: x.payload })))],
  );
  const written = new Set(r.rows.map((row) => row.record_key as string));
  return records.map((x) => (written.has(x.key) ? 'held' : 'duplicate'));
}

/**
 * Takes (marks attached) the held records that carry any of `linkedKeys`, oldest first, so that the
 * caller can store them for the member those identities now belong to. Rows a concurrent import
 * takes first are skipped by the re-check of `attached_at is null` after its commit.
 */
export async function takeHeld(db: Queryable, tenantId: string, linkedKeys: string[]): Promise<HeldRecord[]> {
  if (linkedKeys.length === 0) return [];
  const r = await db.query(
    `update held_records h set attached_at = now()
      where h.tenant_id = $1 and h.attached_at is null and h.identity_keys && $2::text[]
      returning h.held_id, h.record_kind, h.payload`,
    [tenantId, linkedKeys],
  );
  return r.rows
    .map((row) => ({ heldId: row.held_id as string, kind: row.record_kind as HeldKind, payload: row.payload }))
    .sort((a, b) => Number(a.heldId) - Number(b.heldId));
}

/** Records which member each attached held record went to (null: it is held again). */
export async function markAttached(db: Queryable, tenantId: string, attached: Array<{ heldId: string; memberId: string | null }>): Promise<void> {
  const done = attached.filter((a) => a.memberId !== null);
  if (done.length === 0) return;
  await db.query(
    `update held_records h set attached_member_id = r.member_id
       from json_to_recordset($2::json) as r(held_id bigint, member_id bigint)
      where h.tenant_id = $1 and h.held_id = r.held_id`,
    [tenantId, JSON.stringify(done.map((a) => ({ held_id: a.heldId, member_id: a.memberId })))],
  );
}
