import type { Queryable } from './db.js';
import { encodeRecords, recordsFrom, type Column } from './records.js';
import { collectionsSql, queueDirty, type DirtySet } from './dirty.js';
import { holdRecords } from './held.js';
import { lastOfEachKey, type WriteMode, type WriteResult } from './orders.js';
import type { Outcome } from './result.js';
import type { EventRow } from './validate.js';
import { resolveIdentities } from '../identity/resolve.js';
import { keyString } from '../identity/keys.js';

const same = (a: EventRow, b: EventRow) =>
  a.name === b.name && a.channel === b.channel && a.occurredAt.getTime() === b.occurredAt.getTime() &&
  canonical(a.properties) === canonical(b.properties);

const EVENT_COLS: Column[] = [['k', 'int'], ['member_id', 'bigint'], ['event_id', 'text'], ['name', 'text'], ['channel', 'text'],
  ['occurred_at', 'timestamptz'], ['properties', 'jsonb']];

/** JSON with object keys sorted: jsonb does not keep key order, so stored properties compare by content. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]])) : x));
}

/**
 * Stores valid events set-based: identity resolution, held records for anonymous events (only weak
 * identities, none known), then one statement that looks up the stored events with these eventIds,
 * inserts the new ones and queues their members as dirty, and one UPDATE of the changed ones (their
 * members noted in `dirty`); an identical event (same name, channel, time, properties and member)
 * is left untouched ('duplicate').
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
    const payload = (idx: number[]) => encodeRecords(idx.map((i) => {
      const e = rows[i];
      return [i, res.members[i], e.eventId, e.name, e.channel, e.occurredAt, e.properties];
    }));
    // One statement: the stored events with these ids (returned, to decide update or duplicate) and a
    // plain INSERT of the others. The ids reach the (tenant_id, event_id) index as one array: a join,
    // planned on statistics older than a growing tenant, hashed all of the tenant's events per batch.
    // A concurrent import of the same new event makes the INSERT fail with a unique violation, and the
    // batch is re-run from its savepoint (withRetry), then finding it stored.
    const found = await db.query(
      `with r as materialized (select * from ${recordsFrom(2, EVENT_COLS, 'r')}),
            ex as (select r.k, e.member_id, e.name, e.channel, e.occurred_at, e.properties
                     from events e join r on r.event_id = e.event_id
                    where e.tenant_id = $1 and e.event_id = any(array(select event_id from r))),
            fresh as (select * from r where not exists (select 1 from ex where ex.k = r.k)),
            ins as (insert into events (tenant_id, event_id, member_id, name, channel, occurred_at, properties)
                    select $1, event_id, member_id, name, channel, occurred_at, properties from fresh),
            dirty as (${queueDirty('select distinct member_id from fresh', collectionsSql('events'))})
       select * from ex`,
      [tenantId, payload(storeIdx)],
    );
    const stored = new Map<number, any>(found.rows.map((r) => [r.k, r]));
    const changed: number[] = [];
    for (const i of storeIdx) {
      const old = stored.get(i);
      const e = rows[i];
      if (old && mode === 'import' && !(old.member_id === res.members[i] && same(e, { ...e, name: old.name, channel: old.channel,
        occurredAt: old.occurred_at, properties: old.properties }))) changed.push(i);
      outcomes[i] = !old || changed.at(-1) === i ? 'accepted' : 'duplicate';
    }
    if (changed.length > 0) {
      await db.query(
        `update events e set member_id = r.member_id, name = r.name, channel = r.channel, occurred_at = r.occurred_at, properties = r.properties
           from ${recordsFrom(2, EVENT_COLS, 'r')} where e.tenant_id = $1 and e.event_id = r.event_id`,
        [tenantId, payload(changed)],
      );
      for (const i of changed) {
        const old = stored.get(i);
        if (old.member_id !== res.members[i]) dirty.add(old.member_id, 'events');
        dirty.add(res.members[i], 'events');
      }
    }
  }
  return { outcomes, members: rows.map((_, i) => (isLast[i] ? res.members[i] : null)), linked: res.linked };
}

/** An event stored in held_records.payload, back as an EventRow. */
export function reviveEvent(p: any): EventRow {
  return { ...p, occurredAt: new Date(p.occurredAt) };
}
