import type { Queryable } from './audit.js';

/**
 * Lineage: static edges from the definitions' dependencies (tag_versions / audience_versions
 * .dependencies of the current version, written by the DSL checker: 'field:phone', 'collection:orders',
 * 'tag:x', 'audience:y') and dynamic edges from usage_records (consumer → field, tag or audience it read).
 * DSL member fields are named as in the data model ('field:registered_channel'); lineage names them
 * by their GraphQL coordinate ('field:Member.registeredChannel') so both kinds of edge meet.
 */

export type NodeKind = 'tag' | 'audience' | 'field' | 'collection' | 'consumer';

/** One node of the lineage graph. */
export interface LineageNode {
  id: string;
  kind: NodeKind;
  name: string;
  /** For consumer edges: reads counted in usage_records. */
  reads: number | null;
  lastSeen: Date | null;
}

export interface LineageResult {
  node: LineageNode;
  upstream: LineageNode[];
  downstream: LineageNode[];
}

const NODE_RE = /^(tag|audience|field|collection|consumer):(.{1,200})$/s;
const COLLECTION_TYPES: Record<string, string> = { orders: 'Order', items: 'OrderItem', events: 'Event', members: 'Member' };

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A node name in lineage form, or null when it is not one ('tag:x', 'field:phone' → 'field:Member.phone'). */
export function normalizeNode(id: string): { id: string; kind: NodeKind; name: string } | null {
  const m = NODE_RE.exec(id.trim());
  if (!m) return null;
  const kind = m[1] as NodeKind;
  let name = m[2];
  if (kind === 'field' && !name.includes('.')) name = `Member.${camel(name)}`;
  return { id: `${kind}:${name}`, kind, name };
}

/** The names a DSL dependency list uses for a lineage node (a member field has both forms). */
function dependencyNames(id: string): string[] {
  const n = normalizeNode(id);
  if (!n) return [];
  if (n.kind === 'field' && n.name.startsWith('Member.')) {
    const field = n.name.slice('Member.'.length);
    return [...new Set([n.id, `field:${snake(field)}`, `field:${field}`])];
  }
  return [n.id];
}

function node(id: string, reads: number | null = null, lastSeen: Date | null = null): LineageNode {
  const n = normalizeNode(id) ?? { id, kind: 'field' as NodeKind, name: id };
  return { ...n, reads, lastSeen };
}

const CURRENT_DEPENDENCIES = `
  select 'tag:' || d.name as id, v.dependencies from tag_definitions d
    join tag_versions v on v.tenant_id = d.tenant_id and v.name = d.name and v.version = d.current_version
   where d.tenant_id = $1
  union all
  select 'audience:' || a.name, v.dependencies from audiences a
    join audience_versions v on v.tenant_id = a.tenant_id and v.name = a.name and v.version = a.current_version
   where a.tenant_id = $1`;

/** Upstream and downstream of a node of the caller's tenant. Throws on a node name normalizeNode rejects. */
export async function lineageOf(db: Queryable, tenantId: string, nodeId: string): Promise<LineageResult> {
  const target = normalizeNode(nodeId);
  if (!target) throw new Error(`not a lineage node: ${nodeId}`);
  const upstream: LineageNode[] = [];
  const downstream: LineageNode[] = [];
  if (target.kind === 'consumer') {
    const r = await db.query(
      `select u.node, sum(u.count)::bigint as reads, max(u.last_seen) as last_seen
         from usage_records u join consumers c on c.tenant_id = u.tenant_id and c.consumer_id = u.consumer_id
        where u.tenant_id = $1 and c.name = $2 group by u.node order by u.node`, [tenantId, target.name]);
    for (const row of r.rows) upstream.push(node(row.node, Number(row.reads), row.last_seen));
    return { node: node(target.id), upstream, downstream };
  }
  if (target.kind === 'tag' || target.kind === 'audience') {
    const r = await db.query(`select dependencies from (${CURRENT_DEPENDENCIES}) x where x.id = $2`, [tenantId, target.id]);
    const deps = new Set<string>();
    for (const row of r.rows) for (const d of row.dependencies as string[]) deps.add(normalizeNode(d)?.id ?? d);
    for (const d of [...deps].sort()) upstream.push(node(d));
  }
  const dependents = await db.query(
    `select x.id from (${CURRENT_DEPENDENCIES}) x where x.dependencies && $2::text[] order by x.id`,
    [tenantId, dependencyNames(target.id)]);
  for (const row of dependents.rows) downstream.push(node(row.id));
  // consumers that read the node (for a collection: any field of its type)
  const pattern = target.kind === 'collection' && COLLECTION_TYPES[target.name] ? `field:${COLLECTION_TYPES[target.name]}.%` : null;
  const readers = await db.query(
    `select c.name, sum(u.count)::bigint as reads, max(u.last_seen) as last_seen
       from usage_records u join consumers c on c.tenant_id = u.tenant_id and c.consumer_id = u.consumer_id
      where u.tenant_id = $1 and (u.node = $2 or ($3::text is not null and u.node like $3))
      group by c.name order by c.name`, [tenantId, target.id, pattern]);
  for (const row of readers.rows) downstream.push(node(`consumer:${row.name}`, Number(row.reads), row.last_seen));
  return { node: node(target.id), upstream, downstream };
}

/** A node nobody used in the window. */
export interface UnusedNode {
  id: string;
  kind: NodeKind;
  name: string;
  /** The last use ever recorded, or null for never. */
  lastSeen: Date | null;
}

/**
 * Consumers (older than the window) whose tokens and reads are all older than `days`, schema fields
 * (`fieldCoordinates`, e.g. 'Member.phone') and published tags and audiences nobody read in `days`.
 */
export async function unusedNodes(db: Queryable, tenantId: string, days: number, fieldCoordinates: string[]): Promise<UnusedNode[]> {
  const consumers = await db.query(
    `select c.name, greatest((select max(k.last_used_at) from tokens k where k.tenant_id = c.tenant_id and k.consumer_id = c.consumer_id),
                             (select max(u.last_seen) from usage_records u where u.tenant_id = c.tenant_id and u.consumer_id = c.consumer_id)) as last_seen
       from consumers c
      where c.tenant_id = $1 and c.created_at < now() - make_interval(days => $2)`, [tenantId, days]);
  const lastSeen = await db.query(
    `select node, max(last_seen) as last_seen from usage_records where tenant_id = $1 group by node`, [tenantId]);
  const seen = new Map<string, Date>(lastSeen.rows.map((r) => [r.node, r.last_seen]));
  const definitions = await db.query(
    `select 'tag:' || name as id from tag_definitions where tenant_id = $1 and status = 'published'
     union all select 'audience:' || name from audiences where tenant_id = $1 and status <> 'deprecated'`, [tenantId]);
  const cutoff = Date.now() - days * 86_400_000;
  const stale = (d: Date | null | undefined) => !d || d.getTime() < cutoff;
  const out: UnusedNode[] = [];
  for (const c of consumers.rows) if (stale(c.last_seen)) out.push({ ...node(`consumer:${c.name}`), lastSeen: c.last_seen ?? null });
  for (const coordinate of fieldCoordinates) {
    const id = `field:${coordinate}`;
    if (stale(seen.get(id))) out.push({ ...node(id), lastSeen: seen.get(id) ?? null });
  }
  for (const d of definitions.rows) if (stale(seen.get(d.id))) out.push({ ...node(d.id), lastSeen: seen.get(d.id) ?? null });
  return out.map(({ id, kind, name, lastSeen: l }) => ({ id, kind, name, lastSeen: l }));
}

/** One audit record as admins read it. */
export interface AuditRow {
  audit_id: string;
  actor: string;
  token_id: string | null;
  action: string;
  target: string | null;
  args: unknown;
  before: unknown;
  after: unknown;
  outcome: string;
  at: Date;
}

/** Audit records newest first, `limit` of them after the record `afterId` (exclusive), optionally of one action. */
export async function auditPage(db: Queryable, tenantId: string, limit: number, afterId: string | null, action: string | null): Promise<AuditRow[]> {
  const r = await db.query(
    `select audit_id, actor, token_id, action, target, args, before, after, outcome, at from audit_log
      where tenant_id = $1 and ($2::bigint is null or audit_id < $2) and ($3::text is null or action = $3)
      order by audit_id desc limit $4`, [tenantId, afterId, action, limit]);
  return r.rows;
}

/** How many audit records there are (optionally of one action). */
export async function auditCount(db: Queryable, tenantId: string, action: string | null): Promise<number> {
  const r = await db.query(`select count(*)::int as n from audit_log where tenant_id = $1 and ($2::text is null or action = $2)`, [tenantId, action]);
  return r.rows[0].n;
}
