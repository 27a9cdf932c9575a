/**
 * The database handle ingestion runs on: one connection inside one open transaction (a GraphQL
 * request's, a CSV batch's, a collection request's) with app.tenant_id set, as cdp_app under RLS.
 * pg's PoolClient and the gateway's RequestDb both fit.
 */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** A concurrent transaction claimed an identity this batch planned to link: plan again. */
export class ClaimConflict extends Error {
  constructor(count: number) {
    super(`${count} identities were linked by a concurrent import; retrying the batch`);
  }
}

// 40P01 deadlock_detected, 40001 serialization_failure, 23505 unique_violation (a race that an
// ON CONFLICT clause of another statement would have absorbed had it come first).
const RETRYABLE_CODES = new Set(['40P01', '40001', '23505']);

/** True for errors after which re-running the batch from its savepoint can succeed. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ClaimConflict || RETRYABLE_CODES.has((err as { code?: string })?.code ?? '');
}

/** True for errors raised by Postgres (they carry a severity). */
export function isDatabaseError(err: unknown): err is Error & { code: string } {
  return typeof err === 'object' && err !== null && 'severity' in err && 'code' in err;
}

// Savepoint names only need to be unique among the open savepoints of one connection; a counter
// (shared by all connections of the process) gives each a distinct one.
let counter = 0;

/**
 * Set, in the round trip that opens each savepoint, for the rest of the transaction (before the
 * savepoint, so that rolling back to it keeps the setting). A custom plan estimates
 * `tenant_id = 'that tenant'` from the statistics, and a tenant newer than the last ANALYZE is not
 * in them: about one row. On that estimate every index that starts with tenant_id looked alike, and
 * the planner read all of the tenant's identities or members through an index that could only
 * filter them, once per key of the batch: a new tenant's imports grew quadratic (its second 50,000
 * events took 51-55 s instead of 2 s). A generic plan estimates `tenant_id = $1` as an average tenant
 * (1 / distinct tenants), on which the key columns' indexes win. Batch statements lose nothing:
 * their rows arrive as one text parameter whose size no plan knows.
 */
export const GENERIC_PLANS = 'set local plan_cache_mode = force_generic_plan';

/**
 * Runs `fn` inside a savepoint of the open transaction: released on success, rolled back on error
 * (so the transaction stays usable and nothing of `fn` is left), then the error is rethrown.
 * The transaction's statements are planned for any tenant from then on (GENERIC_PLANS).
 */
export async function inSavepoint<T>(db: Queryable, fn: () => Promise<T>): Promise<T> {
  const name = `cdp_ingest_${(counter = (counter + 1) % 1_000_000)}`;
  await db.query(`${GENERIC_PLANS}; savepoint ${name}`);
  try {
    const result = await fn();
    await db.query(`release savepoint ${name}`);
    return result;
  } catch (err) {
    await db.query(`rollback to savepoint ${name}`);
    await db.query(`release savepoint ${name}`);
    throw err;
  }
}

/**
 * inSavepoint, retried (up to `attempts` times, with jittered back-off) when a concurrent import
 * got in the way: a claimed identity, a deadlock, a unique race.
 */
export async function withRetry<T>(db: Queryable, fn: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inSavepoint(db, fn);
    } catch (err) {
      if (!isRetryable(err) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}
