import type { Queryable } from './db.js';
import type { DirtySet } from './dirty.js';
import { holdRecords } from './held.js';
import { lastOfEachKey, type WriteMode, type WriteResult } from './orders.js';
import type { Outcome } from './result.js';
import type { EventRow } from './validate.js';
import { resolveIdentities } from '../identity/resolve.js';
import { keyString } from '../identity/keys.js';

const same = (a: EventRow, b: EventRow) =>
  a.name === b.name && a.channel === b.channel && a.occurredAt.getTime() === b.occurredAt.getTime() &&
  JSON.stringify(a.properties) === JSON.stringify(b.properties);

/**
 * Stores valid events set-based: identity resolution, held records for anonymous events (only weak
 * identities, none known), then one upsert keyed by eventId that leaves an identical event (same
 * name, channel, time, properties and member) untouched ('duplicate') and updates a changed one.
 * Runs inside the caller's savepoint; throws on database errors.
 */
export async function writeEvents(db: Queryable, tenantId: string, rows: EventRow[], mode: WriteMode, dirty: DirtySet): Promise<WriteResult> {
  const isLast = lastOfEachKey(rows, (e) => e.eventId);
  const res = await resolveIdentities(db, tenantId, rows.map((e) => ({ keys: e.identities, channel: e.channel, seenAt: e.occurredAt })));
  const outcomes: Outcome[] = new Array(rows.length);
  const lastById = new Map(rows.map((e, i) => [e.eventId, i]));
  rows.forEach((e, i) => {
    if (isLast[i]) return;
    const j = lastById.get(e.eventId)!;
    outcomes[i] = same(e, rows[j]) && res.members[i] === res.members[j] ? 'duplicate' : 'accepted';
  });

  const heldIdx = rows.map((_, i) => i).filter((i) => isLast[i] && res.members[i] === null);
  const heldOutcomes = await holdRecords(db, tenantId, 'event', heldIdx.map((i) => ({
    key: rows[i].eventId, identityKeys: rows[i].identities.map(keyString), payload: rows[i],
  })));
  heldIdx.forEach((i, j) => (outcomes[i] = heldOutcomes[j]));

  const storeIdx = rows.map((_, i) => i).filter((i) => isLast[i] && res.members[i] !== null);
  if (storeIdx.length > 0) {
    const payload = storeIdx.map((i) => {
      const e = rows[i];
      return { member_id: res.members[i], event_id: e.eventId, name: e.name, channel: e.channel,
        occurred_at: e.occurredAt.toISOString(), properties: e.properties };
    });
    const conflict = mode === 'replay'
      ? 'do nothing'
      : `do update set member_id = excluded.member_id, name = excluded.name, channel = excluded.channel,
           occurred_at = excluded.occurred_at, properties = excluded.properties
         where (events.member_id, events.name, events.channel, events.occurred_at, events.properties)
               is distinct from (excluded.member_id, excluded.name, excluded.channel, excluded.occurred_at, excluded.properties)`;
    const up = await db.query(
      `with r as (select * from json_to_recordset($2::json) as r(member_id bigint, event_id text, name text, channel text,
                                                                 occurred_at timestamptz, properties jsonb)),
            old as (select e.event_id, e.member_id from events e join r on e.tenant_id = $1 and e.event_id = r.event_id),
            up as (insert into events (tenant_id, event_id, member_id, name, channel, occurred_at, properties)
                   select $1, event_id, member_id, name, channel, occurred_at, properties from r order by event_id
                   on conflict (tenant_id, event_id) ${conflict}
                   returning event_id, member_id)
       select up.event_id, up.member_id, old.member_id as old_member_id from up left join old on old.event_id = up.event_id`,
      [tenantId, JSON.stringify(payload)],
    );
    const written = new Set<string>();
    for (const row of up.rows) {
      written.add(row.event_id);
      dirty.add(row.member_id, 'events');
      if (row.old_member_id && row.old_member_id !== row.member_id) dirty.add(row.old_member_id, 'events');
    }
    for (const i of storeIdx) outcomes[i] = written.has(rows[i].eventId) ? 'accepted' : 'duplicate';
  }
  return { outcomes, members: rows.map((_, i) => (isLast[i] ? res.members[i] : null)), linked: res.linked };
}

/** An event stored in held_records.payload, back as an EventRow. */
export function reviveEvent(p: any): EventRow {
  return { ...p, occurredAt: new Date(p.occurredAt) };
}
