import type pg from 'pg';
import { requestKey } from './request-key.js';

/**
 * Per-token cost budgets: a token bucket whose capacity is the token's `rate_per_minute` cost points,
 * refilled continuously at capacity/60 points per second. A request takes its query cost from it.
 */

/** The state of one bucket after a take. */
export interface Budget {
  /** Whether the requested points were taken. */
  allowed: boolean;
  /** Capacity: the token's cost points per minute. */
  limit: number;
  /** Whole points left after this take. */
  remaining: number;
  /** When the bucket will be full again. */
  resetAt: Date;
  /** Seconds until `cost` points are available again (0 when allowed). */
  retryAfter: number;
  /** Which store answered: the shared one, or the per-process insurance while the shared one is down. */
  store: 'shared' | 'insurance';
}

/** A store of token buckets. `take(key, capacity, 0)` only reads. */
export interface BucketStore {
  take(key: string, capacity: number, cost: number): Promise<Budget>;
}

/** Builds the Budget of a bucket holding `tokens` (before or after a take) at time `now`. */
export function budgetOf(allowed: boolean, tokens: number, capacity: number, cost: number, now: number, store: Budget['store']): Budget {
  const perSecond = capacity / 60;
  const missing = Math.max(0, capacity - tokens);
  return {
    allowed,
    limit: capacity,
    remaining: Math.max(0, Math.floor(tokens)),
    resetAt: new Date(now + Math.ceil((missing / perSecond) * 1000)),
    retryAfter: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / perSecond)),
    store,
  };
}

/**
 * The shared store: one `cdp_rate_take` call (migrations/020_governance.sql) per take, on a pool of
 * its own so that a request holding its transaction connection never waits for a second one from
 * the same pool. Throws when the database cannot be reached.
 */
export class PostgresBucketStore implements BucketStore {
  constructor(private readonly pool: pg.Pool) {}

  async take(key: string, capacity: number, cost: number): Promise<Budget> {
    const r = await this.pool.query<{ allowed: boolean; remaining: number; at: Date }>(
      'select allowed, remaining, at from cdp_rate_take($1, $2, $3)', [key, capacity, cost]);
    const row = r.rows[0];
    return budgetOf(row.allowed, row.remaining, capacity, cost, row.at.getTime(), 'shared');
  }
}

/** An in-process token bucket store (the insurance while the shared store is down, and tests). */
export class MemoryBucketStore implements BucketStore {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly maxKeys = 100_000, private readonly now: () => number = Date.now) {}

  async take(key: string, capacity: number, cost: number): Promise<Budget> {
    const now = this.now();
    const b = this.buckets.get(key);
    let tokens = b ? Math.min(capacity, b.tokens + (Math.max(0, now - b.at) / 60_000) * capacity) : capacity;
    const allowed = tokens >= cost;
    if (allowed) tokens -= cost;
    // bounded: the oldest key goes first (Map keeps insertion order; a touched key moves to the end)
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(key, { tokens, at: now });
    return budgetOf(allowed, tokens, capacity, cost, now, 'insurance');
  }
}

/** What a FailoverBucketStore reports when the shared store fails. */
export type StoreFailureHook = (err: unknown) => void;

/**
 * The shared store with a per-process insurance store: when the shared store throws (down,
 * unreachable, timing out), the take is answered by the in-memory bucket instead and `onFailure`
 * is called (log and count it). So the gateway fails open with a per-process limit: with N replicas
 * a token can spend up to N budgets per minute while the shared store is down, never unlimited.
 */
export class FailoverBucketStore implements BucketStore {
  constructor(
    private readonly shared: BucketStore,
    private readonly insurance: BucketStore,
    private readonly onFailure: StoreFailureHook,
  ) {}

  async take(key: string, capacity: number, cost: number): Promise<Budget> {
    try {
      return await this.shared.take(key, capacity, cost);
    } catch (err) {
      this.onFailure(err);
      return this.insurance.take(key, capacity, cost);
    }
  }
}

/** The bucket key of a token (opaque to the store). */
export function tokenBucketKey(tenantId: string, tokenId: string): string {
  return `token:${tenantId}:${tokenId}`;
}

/** The request budget of the current request, so `viewer { rateLimit }` can show it. */
export interface RequestBudget extends Budget {
  /** Points this request was charged. */
  cost: number;
}

const requestBudgets = new WeakMap<object, RequestBudget>();

/** Remembers the budget charged for the request whose context is `ctx`. */
export function setRequestBudget(ctx: object, budget: RequestBudget): void {
  requestBudgets.set(requestKey(ctx), budget);
}

/** The budget charged for the request whose context is `ctx`, when one was charged. */
export function requestBudget(ctx: object): RequestBudget | undefined {
  return requestBudgets.get(requestKey(ctx));
}
