import type pg from 'pg';
import { withTenant, type Queryable } from '../store/pool.js';
import { applyTagForMembers } from '../tags/apply.js';
import { applyAudienceForMembers } from '../audiences/apply.js';
import { loadPlan, planFingerprint, type PlannedDefinition, type RefreshPlan } from './plan.js';
import { lockDefinitionShared } from './locks.js';
import type { WorkLog } from './work-log.js';

/** Members claimed per transaction. */
export const DEFAULT_CLAIM_SIZE = 1_000;

/** What one incremental pass did: the members it claimed and, per definition, whom it re-evaluated. */
export interface IncrementalStats {
  claimed: number;
  definitions: Array<{ key: string; members: number; changed: number; error?: string }>;
}

/** Compiled plans per tenant, reloaded when a definition is published, changed or deprecated. */
export class PlanCache {
  private plans = new Map<string, { fingerprint: string; plan: RefreshPlan }>();

  /** The tenant's current plan, from cache when nothing changed (one short statement to check). */
  async get(db: Queryable, tenantId: string): Promise<RefreshPlan> {
    const fingerprint = await planFingerprint(db, tenantId);
    const hit = this.plans.get(tenantId);
    if (hit && hit.fingerprint === fingerprint) return hit.plan;
    const plan = await loadPlan(db, tenantId);
    this.plans.set(tenantId, { fingerprint, plan });
    return plan;
  }
}

/**
 * Which source dependencies a dirty_members.collections entry can change. 'member' (a new or edited
 * member) and anything unknown may change every definition: a new member needs every value.
 */
const COLLECTION_DEPENDENCIES: Record<string, string[]> = {
  orders: ['collection:orders', 'collection:items'],
  items: ['collection:orders', 'collection:items'],
  events: ['collection:events'],
  identities: [],
};

/** True when a member dirty for `collections` may have a new value of `def`. */
export function affects(collections: readonly string[], def: PlannedDefinition): boolean {
  if (collections.length === 0) return true;
  for (const c of collections) {
    const deps = COLLECTION_DEPENDENCIES[c];
    if (!deps) return true;
    if (deps.some((d) => def.sourceDependencies.has(d))) return true;
  }
  return false;
}

/**
 * One incremental pass for a tenant, in one transaction: claims up to `limit` dirty members (delete
 * ... returning over FOR UPDATE SKIP LOCKED rows, so concurrent workers in other processes take
 * other members), then re-evaluates only the published, not batch-only definitions that can depend
 * on what changed for them (transitively through tag. and audience.), in dependency order, each
 * for only the members it concerns. Tags write only changed values; audiences write membership and
 * ENTERED/EXITED changes together. If the transaction fails the members stay dirty. While a full
 * refresh job runs, the re-evaluated (definition, member) pairs are recorded in refresh_recheck so
 * that the job's swap does not overwrite them with its older staging values.
 */
export async function processDirtyMembers(
  pool: pg.Pool, tenantId: string, plans: PlanCache, opts: { limit?: number; log?: WorkLog } = {},
): Promise<IncrementalStats> {
  return withTenant(pool, tenantId, async (db) => {
    const claimed = (await db.query<{ member_id: string; collections: string[]; as_of: Date }>(
      `delete from dirty_members d
        using (select member_id from dirty_members where tenant_id = $1
                order by enqueued_at, member_id limit $2 for update skip locked) c
        where d.tenant_id = $1 and d.member_id = c.member_id
       returning d.member_id, d.collections,
                 date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' as as_of`,
      [tenantId, opts.limit ?? DEFAULT_CLAIM_SIZE])).rows;
    const stats: IncrementalStats = { claimed: claimed.length, definitions: [] };
    if (claimed.length === 0) return stats;
    // asOf is read during the claim, after its snapshot: every write whose dirty mark was claimed
    // committed before it, so its rows (created_at = the writer's now()) are not "after asOf".
    // The transaction's now() would be earlier than a write that committed just before the claim.
    // Rounded up to the millisecond: asOf travels as a JavaScript Date (milliseconds), and a write
    // committed in the claim's own millisecond would otherwise fall after the truncated asOf (the
    // latency benchmark lost 10 of 5,000 ENTERED that way at 500 writes/s).
    const asOf = claimed[0].as_of;
    const plan = await plans.get(db, tenantId);
    const work: Array<{ def: PlannedDefinition; ids: string[] }> = [];
    for (const def of plan.definitions) {
      if (def.batchOnly) continue;
      const ids = claimed.filter((m) => affects(m.collections, def)).map((m) => m.member_id);
      if (ids.length > 0) work.push({ def, ids });
    }
    if (work.length === 0) return stats;
    await recordRecheck(db, tenantId, work);
    for (const { def, ids } of work) {
      await lockDefinitionShared(db, tenantId, def.key);
      await db.query('savepoint refresh_definition');
      try {
        const query = def.query('members');
        const changed = def.kind === 'tag'
          ? sumTag(await applyTagForMembers(db, tenantId, def.name, query, asOf, ids))
          : sumAudience(await applyAudienceForMembers(db, tenantId, def.name, query, asOf, ids));
        await db.query('release savepoint refresh_definition');
        stats.definitions.push({ key: def.key, members: ids.length, changed });
      } catch (err) {
        // one broken definition must not keep every member dirty forever: skip it, keep the rest
        await db.query('rollback to savepoint refresh_definition');
        stats.definitions.push({ key: def.key, members: ids.length, changed: 0, error: (err as Error).message });
        opts.log?.warn({ tenantId, definition: def.key, err }, 'incremental re-evaluation failed');
      }
    }
    return stats;
  });
}

const sumTag = (w: { upserted: number; deleted: number }) => w.upserted + w.deleted;
const sumAudience = (w: { entered: number; exited: number }) => w.entered + w.exited;

/** Records (running job, definition, member) for every pair about to be re-evaluated; nothing when no job runs. */
async function recordRecheck(db: Queryable, tenantId: string, work: Array<{ def: PlannedDefinition; ids: string[] }>): Promise<void> {
  const targets: string[] = [];
  const members: string[] = [];
  for (const { def, ids } of work) {
    for (const id of ids) {
      targets.push(def.key);
      members.push(id);
    }
  }
  await db.query(
    `insert into refresh_recheck (tenant_id, job_id, target, member_id)
     select $1, j.job_id, p.target, p.member_id
       from refresh_jobs j, unnest($2::text[], $3::bigint[]) as p(target, member_id)
      where j.tenant_id = $1 and j.state = 'running'
     on conflict do nothing`,
    [tenantId, targets, members]);
}
