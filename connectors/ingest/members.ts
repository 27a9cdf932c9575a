import type { Queryable } from './db.js';
import { encodeRecords, recordsFrom, type Column } from './records.js';
import type { DirtySet } from './dirty.js';
import { holdRecords } from './held.js';
import type { WriteMode, WriteResult } from './orders.js';
import type { Outcome } from './result.js';
import type { MemberFields, MemberRecord } from './validate.js';
import { resolveIdentities } from '../identity/resolve.js';
import { keyString } from '../identity/keys.js';

/** MemberFields → members column, in the order of the statement below. */
const COLUMNS: Array<[keyof MemberFields | 'attributes', string, string]> = [
  ['name', 'name', 'text'], ['gender', 'gender', 'text'], ['birthday', 'birthday', 'date'], ['phone', 'phone', 'text'],
  ['email', 'email', 'text'], ['idCardSha256', 'id_card_sha256', 'text'], ['province', 'province', 'text'],
  ['city', 'city', 'text'], ['registeredAt', 'registered_at', 'timestamptz'], ['registeredChannel', 'registered_channel', 'text'],
  ['level', 'level', 'int'], ['points', 'points', 'int'], ['married', 'married', 'boolean'],
  ['hasChildren', 'has_children', 'boolean'], ['attributes', 'attributes', 'jsonb'],
];

/** The new value of each column: an import overwrites with what it gives; a replay only fills gaps. */
function assignment(col: string, mode: WriteMode): string {
  if (col === 'attributes') return mode === 'import' ? `m.attributes || coalesce(r.attributes, '{}')` : `coalesce(r.attributes, '{}') || m.attributes`;
  if (col === 'id_card_sha256') return mode === 'import' ? `coalesce(decode(r.id_card_sha256, 'hex'), m.id_card_sha256)` : `coalesce(m.id_card_sha256, decode(r.id_card_sha256, 'hex'))`;
  if (col === 'gender' && mode === 'replay') return `case when m.gender = 'U' then coalesce(r.gender, 'U') else m.gender end`;
  if (mode === 'replay' && (col === 'level' || col === 'points' || col === 'registered_at')) return `m.${col}`;
  return mode === 'import' ? `coalesce(r.${col}, m.${col})` : `coalesce(m.${col}, r.${col})`;
}

/**
 * Stores valid member records: identity resolution (a record may create, attach to, or merge
 * members), held records for members known only by weak identities, then one UPDATE of the given
 * fields for every member of the batch (several records of one member apply in order). A record is
 * 'accepted' when it created its member, linked an identity, or its member's columns changed,
 * and 'duplicate' when nothing changed.
 */
export async function writeMembers(db: Queryable, tenantId: string, rows: MemberRecord[], mode: WriteMode, dirty: DirtySet): Promise<WriteResult> {
  const res = await resolveIdentities(db, tenantId, rows.map((m) => ({
    keys: m.identities, channel: m.fields.registeredChannel ?? null, seenAt: m.fields.registeredAt ?? null,
  })));
  const outcomes: Outcome[] = new Array(rows.length);

  const heldIdx = rows.map((_, i) => i).filter((i) => res.members[i] === null);
  const byKey = new Map<string, number>();
  for (const i of heldIdx) byKey.set(rows[i].identities.map(keyString).sort().join('|'), i);
  const heldKeys = [...byKey.entries()];
  const heldOutcomes = await holdRecords(db, tenantId, 'member', heldKeys.map(([key, i]) => ({
    key, identityKeys: rows[i].identities.map(keyString), payload: rows[i],
  })));
  heldKeys.forEach(([, i], j) => (outcomes[i] = heldOutcomes[j]));
  for (const i of heldIdx) outcomes[i] ??= 'duplicate';

  const combined = new Map<string, Record<string, unknown>>();
  rows.forEach((m, i) => {
    const id = res.members[i];
    if (id === null) return;
    const c = combined.get(id) ?? { member_id: id };
    for (const [key, col] of COLUMNS) {
      if (key === 'attributes') {
        if (m.attributes) c.attributes = { ...(c.attributes as object), ...m.attributes };
      } else if (m.fields[key] !== undefined) {
        c[col] = m.fields[key];
      }
    }
    combined.set(id, c);
  });
  const changedMembers = new Set<string>(res.created);
  if (combined.size > 0) {
    const r = await db.query(
      `with r as (select * from ${recordsFrom(2, [['member_id', 'bigint'], ...COLUMNS.map(([, c, t]): Column => [c, c === 'id_card_sha256' ? 'text' : t])], 'r')})
       update members m set ${COLUMNS.map(([, c]) => `${c} = ${assignment(c, mode)}`).join(', ')}, updated_at = now()
         from r
        where m.tenant_id = $1 and m.member_id = r.member_id
          and (${COLUMNS.map(([, c]) => `m.${c}`).join(', ')}) is distinct from (${COLUMNS.map(([, c]) => assignment(c, mode)).join(', ')})
        returning m.member_id`,
      [tenantId, encodeRecords([...combined.values()].map((c) => [c.member_id, ...COLUMNS.map(([, col]) => c[col])]))],
    );
    for (const row of r.rows) changedMembers.add(row.member_id);
  }
  rows.forEach((_, i) => {
    const id = res.members[i];
    if (id === null) return;
    const changed = res.changed[i] || changedMembers.has(id);
    outcomes[i] = changed ? 'accepted' : 'duplicate';
    if (changed) dirty.add(id, 'member');
  });
  return { outcomes, members: res.members, linked: res.linked };
}

/** A member record stored in held_records.payload, back as a MemberRecord. */
export function reviveMember(p: any): MemberRecord {
  const fields = { ...p.fields };
  if (fields.registeredAt) fields.registeredAt = new Date(fields.registeredAt);
  return { identities: p.identities, fields, attributes: p.attributes ?? null };
}
