import { ClaimConflict, type Queryable } from '../ingest/db.js';
import { encodeRecords, recordsFrom } from '../ingest/records.js';
import { keyString, type IdentityKey } from './keys.js';
import { mergeInto } from './merge.js';
import { planResolution, type KnownMember, type NodeId } from './plan.js';

/** One record to resolve: its identities, and what a member it creates starts with. */
export interface ResolveRecord {
  keys: IdentityKey[];
  /** The channel the record came from (identities.channel, members.registered_channel). */
  channel: string | null;
  /** registered_at of a member this record creates (the order's or event's time). */
  seenAt: Date | null;
}

/** Where each record of a batch belongs. */
export interface Resolution {
  /** Per record: its member id, or null when the record must wait (held). */
  members: Array<string | null>;
  /** Per record: it created a member or linked an unknown identity. */
  changed: boolean[];
  /** Members this batch created. */
  created: Set<string>;
  /** keyString of every identity this batch linked (held records carrying them can attach now). */
  linked: string[];
}

/**
 * Resolves the identities of a batch to members in the open transaction (see planResolution for the
 * rules), creating, linking and merging as planned. Concurrency: the stored members found are locked
 * FOR KEY SHARE (a concurrent merge cannot delete them under us), the look-up is repeated until it is
 * stable under those locks, and new identities are inserted sorted with ON CONFLICT DO NOTHING: an
 * identity that a concurrent import linked first makes the insert wait for that import's commit and
 * then come back short, which throws ClaimConflict so that the caller re-runs the batch from its
 * savepoint (withRetry) and attaches to the member the other import created. So parallel imports of
 * the same phone never create two members.
 */
export async function resolveIdentities(db: Queryable, tenantId: string, records: ResolveRecord[]): Promise<Resolution> {
  const known = await lookupLocked(db, tenantId, uniqueKeys(records));
  const plan = planResolution(records, known);

  const createdIds = new Map<NodeId, string>();
  const created = new Set<string>();
  if (plan.creates.length > 0) {
    const contact = new Map<string, { phone?: string; email?: string }>();
    for (const l of plan.links) {
      if (l.key.kind !== 'PHONE' && l.key.kind !== 'EMAIL') continue;
      const c = contact.get(plan.root(l.node)) ?? {};
      if (l.key.kind === 'PHONE') c.phone ??= l.key.value;
      else c.email ??= l.key.value;
      contact.set(plan.root(l.node), c);
    }
    const seeds = plan.creates.map((c, i) => {
      const rec = records[c.record];
      return [i, rec.seenAt, rec.channel, contact.get(c.node)?.phone, contact.get(c.node)?.email];
    });
    const r = await db.query(
      `with r as (select r.i, nextval($3::regclass) as id, r.registered_at, r.registered_channel, r.phone, r.email
                    from ${recordsFrom(2, [['i', 'int'], ['registered_at', 'timestamptz'], ['registered_channel', 'text'], ['phone', 'text'], ['email', 'text']], 'r')}),
            ins as (insert into members (tenant_id, member_id, registered_at, registered_channel, phone, email)
                    select $1, id, coalesce(registered_at, now()), registered_channel, phone, email from r)
       select i, id from r`,
      [tenantId, encodeRecords(seeds), await memberSequence(db)],
    );
    for (const row of r.rows) {
      createdIds.set(plan.creates[row.i].node, row.id);
      created.add(row.id);
    }
  }
  // a stored member's node is `m:<id>`; a created one's id came back from the insert
  const memberOf = (node: NodeId) => {
    const root = plan.root(node);
    return root.startsWith('m:') ? root.slice(2) : createdIds.get(root)!;
  };

  if (plan.links.length > 0) {
    const links = plan.links
      .map((l) => ({ kind: l.key.kind, value: l.key.value, member_id: memberOf(l.node), channel: records[l.record].channel }))
      .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    // Sorted, so two imports claiming overlapping identities wait on each other in one order, not in a cycle.
    const ins = await db.query(
      `insert into identities (tenant_id, kind, value, member_id, channel)
       select $1, r.kind, r.value, r.member_id, r.channel
         from ${recordsFrom(2, [['kind', 'text'], ['value', 'text'], ['member_id', 'bigint'], ['channel', 'text']], 'r')}
        order by r.kind, r.value
       on conflict (tenant_id, kind, value) do nothing
       returning 1`,
      [tenantId, encodeRecords(links.map((l) => [l.kind, l.value, l.member_id, l.channel]))],
    );
    if (ins.rowCount !== links.length) throw new ClaimConflict(links.length - (ins.rowCount ?? 0));
    await fillContactColumns(db, tenantId, links.filter((l) => !created.has(l.member_id)));
  }

  for (const m of plan.merges) {
    await mergeInto(db, tenantId, m.survivorId, m.mergedId, `import: one record carried identities of both members`);
  }
  return {
    members: plan.targets.map((t) => (t === null ? null : memberOf(t))),
    changed: plan.changed,
    created,
    linked: plan.links.map((l) => keyString(l.key)),
  };
}

let sequence: string | undefined;

/** The sequence of members.member_id (looked up once: pg_get_serial_sequence per row costs a catalog read). */
async function memberSequence(db: Queryable): Promise<string> {
  sequence ??= (await db.query(`select pg_get_serial_sequence('members', 'member_id') as s`)).rows[0].s as string;
  return sequence;
}

/** The distinct identities of a batch, by keyString. */
function uniqueKeys(records: ResolveRecord[]): Map<string, IdentityKey> {
  const seen = new Map<string, IdentityKey>();
  for (const r of records) for (const k of r.keys) seen.set(keyString(k), k);
  return seen;
}

/**
 * Stored identities among `keys`, with their members locked FOR KEY SHARE (lowest id first), so that
 * no concurrent merge can delete them before this transaction ends. The same statement counts the
 * identities it found, unlocked: when a member was deleted by a merge that committed while we
 * waited for its lock, the locked join loses its rows (they are re-checked against the new row
 * versions) while the count (the statement's snapshot) keeps them; on a difference the
 * look-up runs again and sees the merge's result. A key found locked cannot move: moving it needs its
 * member FOR UPDATE.
 */
async function lookupLocked(db: Queryable, tenantId: string, keys: Map<string, IdentityKey>): Promise<Map<string, KnownMember>> {
  const names = [...keys.keys()];
  const params = [tenantId, encodeRecords([...keys.values()].map((k) => [k.kind, k.value]))];
  for (let attempt = 0; attempt < 5; attempt++) {
    // `found` is read once, for the lock and the count. `k` is materialised so that a join condition
    // compares plain columns, which row-level security lets into an index scan of identities. Rows
    // come back as the key's position in the batch and registered_at in epoch milliseconds: a few
    // numbers per member instead of texts and a timestamp to parse.
    const r = await db.query(
      `with k as materialized (select * from ${recordsFrom(2, [['kind', 'text'], ['value', 'text']], 'k', 'n')}),
            found as (select k.n, i.member_id from k join identities i on i.tenant_id = $1 and i.kind = k.kind and i.value = k.value),
            locked as (select f.n, m.member_id, m.registered_at
                         from found f
                         join members m on m.tenant_id = $1 and m.member_id = f.member_id
                        order by m.member_id
                          for key share of m)
       select n, member_id, floor(extract(epoch from registered_at) * 1000)::float8 as registered_ms from locked
       union all
       select -1, null, count(*) from found`,
      params,
    );
    const known = new Map<string, KnownMember>();
    let total = 0;
    for (const row of r.rows) {
      if (row.n >= 0) known.set(names[row.n - 1], { memberId: row.member_id, registeredAt: new Date(row.registered_ms) });
      else total = row.registered_ms;
    }
    if (total === known.size) return known;
  }
  throw new ClaimConflict(0);
}

/** A stored member that gains a PHONE or EMAIL identity gets it as members.phone / email when empty. */
async function fillContactColumns(db: Queryable, tenantId: string, links: Array<{ kind: string; value: string; member_id: string }>) {
  const byMember = new Map<string, { member_id: string; phone: string | null; email: string | null }>();
  for (const l of links) {
    if (l.kind !== 'PHONE' && l.kind !== 'EMAIL') continue;
    const m = byMember.get(l.member_id) ?? { member_id: l.member_id, phone: null, email: null };
    if (l.kind === 'PHONE') m.phone ??= l.value;
    else m.email ??= l.value;
    byMember.set(l.member_id, m);
  }
  if (byMember.size === 0) return;
  await db.query(
    `update members m set phone = coalesce(m.phone, r.phone), email = coalesce(m.email, r.email), updated_at = now()
       from ${recordsFrom(2, [['member_id', 'bigint'], ['phone', 'text'], ['email', 'text']], 'r')}
      where m.tenant_id = $1 and m.member_id = r.member_id
        and ((m.phone is null and r.phone is not null) or (m.email is null and r.email is not null))`,
    [tenantId, encodeRecords([...byMember.values()].map((m) => [m.member_id, m.phone, m.email]))],
  );
}
