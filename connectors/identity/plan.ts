import { isStrong, keyString, type IdentityKey } from './keys.js';

/** A member known before the batch: its id and the age the merge rule compares. */
export interface KnownMember {
  memberId: string;
  registeredAt: Date;
}

/** `m:<member id>` for a stored member, `p:<n>` for a member the batch creates. */
export type NodeId = string;

/** What the batch must do so that every record has its member (data-model.md, "Resolution rules"). */
export interface ResolutionPlan {
  /** Per record: its member node (pass through root()), or null when the record waits (held). */
  targets: Array<NodeId | null>;
  /** Per record: true when it created a member or linked an identity that was unknown. */
  changed: boolean[];
  /** Members to create: placeholders that are still roots, with the record that created each. */
  creates: Array<{ node: NodeId; record: number }>;
  /** Merges of stored members, in execution order; the survivor is the older of the two. */
  merges: Array<{ survivorId: string; mergedId: string; record: number }>;
  /** Identities to link, each to its record's member, with the record that brought it. */
  links: Array<{ key: IdentityKey; node: NodeId; record: number }>;
  /** The member a node ends up as, after the batch's merges. */
  root(node: NodeId): NodeId;
}

/**
 * Plans identity resolution for a batch, record by record in input order, as if each record were
 * imported alone after the previous ones:
 * - the stored members reached through the record's strong identities merge into the oldest
 *   (earliest registered_at, then lowest id); a member the batch creates is younger than any stored one;
 * - with no strong identity known, a known weak identity attaches the record to its (oldest) member;
 *   weak identities never merge two members;
 * - with nothing known, a strong identity creates a member; weak identities alone wait (held);
 * - every identity of the record that is unknown is linked to the record's member. A weak identity
 *   that already belongs to another member stays with that member.
 * Pure: `known` maps keyString → member; the caller runs the plan in the database.
 */
export function planResolution(records: ReadonlyArray<{ keys: IdentityKey[] }>, known: ReadonlyMap<string, KnownMember>): ResolutionPlan {
  const parent = new Map<NodeId, NodeId>();
  const age = new Map<NodeId, [number, number, number]>(); // [stored? 0 : 1, time or creation order, id]
  const owner = new Map<string, NodeId>();
  for (const [k, m] of known) {
    const node = `m:${m.memberId}`;
    owner.set(k, node);
    age.set(node, [0, m.registeredAt.getTime(), Number(m.memberId)]);
  }
  const root = (n: NodeId): NodeId => {
    let r = n;
    while (parent.has(r)) r = parent.get(r)!;
    while (parent.has(n)) {
      const next = parent.get(n)!;
      parent.set(n, r);
      n = next;
    }
    return r;
  };
  const older = (a: NodeId, b: NodeId) => {
    const x = age.get(a)!;
    const y = age.get(b)!;
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] < y[i] ? a : b;
    return a;
  };
  const oldest = (nodes: Set<NodeId>) => [...nodes].reduce((a, b) => older(a, b));

  const plan: Omit<ResolutionPlan, 'root'> = { targets: [], changed: [], creates: [], merges: [], links: [] };
  let created = 0;
  const create = (r: number): NodeId => {
    const node = `p:${created}`;
    age.set(node, [1, created++, 0]);
    plan.creates.push({ node, record: r });
    return node;
  };
  records.forEach((rec, r) => {
    if (rec.keys.length === 1) {
      // the common record, one identity: its member, else a new one (strong) or none (weak); no merge
      const key = rec.keys[0];
      const stored = owner.get(keyString(key));
      const target = stored !== undefined ? root(stored) : isStrong(key) ? create(r) : null;
      if (stored === undefined && target !== null) {
        owner.set(keyString(key), target);
        plan.links.push({ key, node: target, record: r });
      }
      plan.targets.push(target);
      plan.changed.push(stored === undefined && target !== null);
      return;
    }
    const strong = new Set<NodeId>();
    const weak = new Set<NodeId>();
    const unknown: IdentityKey[] = [];
    for (const k of rec.keys) {
      const o = owner.get(keyString(k));
      if (o === undefined) unknown.push(k);
      else (isStrong(k) ? strong : weak).add(root(o));
    }
    for (const s of strong) weak.delete(s);
    let target: NodeId | null;
    let changed = false;
    if (strong.size > 0) {
      target = oldest(strong);
      for (const s of strong) {
        if (s === target) continue;
        if (s.startsWith('m:') && target.startsWith('m:')) plan.merges.push({ survivorId: target.slice(2), mergedId: s.slice(2), record: r });
        parent.set(s, target);
        changed = true;
      }
    } else if (weak.size > 0) {
      target = oldest(weak);
    } else if (unknown.some(isStrong)) {
      target = create(r);
      changed = true;
    } else {
      target = null;
    }
    if (target !== null) {
      for (const k of unknown) {
        owner.set(keyString(k), target);
        plan.links.push({ key: k, node: target, record: r });
        changed = true;
      }
    }
    plan.targets.push(target);
    plan.changed.push(changed);
  });
  plan.creates = plan.creates.filter((c) => root(c.node) === c.node);
  return { ...plan, root };
}
