import type { Queryable } from '../store/pool.js';

/**
 * Per-definition advisory locks (transaction-scoped). The incremental worker holds the SHARED lock of
 * every definition it writes, so workers never wait on one another; a full refresh holds the
 * EXCLUSIVE lock while it swaps one definition in, so a swap sees every committed worker result
 * (and the worker's refresh_recheck rows) and no worker writes that definition mid-swap. Workers take
 * their locks in plan order and a swap takes one lock per transaction: no cycle, no deadlock.
 */
export async function lockDefinitionShared(db: Queryable, tenantId: string, key: string): Promise<void> {
  await db.query('select pg_advisory_xact_lock_shared(hashtextextended($1, 0))', [`${tenantId}/${key}`]);
}

/** The exclusive form of lockDefinitionShared, for a full refresh's swap of `key`. */
export async function lockDefinitionExclusive(db: Queryable, tenantId: string, key: string): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`${tenantId}/${key}`]);
}

/** Serialises job claiming per tenant, so a tenant runs one refresh job at a time. */
export async function lockTenantJobs(db: Queryable, tenantId: string): Promise<void> {
  await db.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`${tenantId}/refresh-jobs`]);
}
