import { budgetOf, type Budget, type BucketStore } from './rate-limit.js';

/** How a process leases budget from the shared store. */
export interface LeaseOptions {
  /** Share of a bucket's capacity taken per lease (default 1%): points a process may hold unspent. */
  fraction?: number;
  /** A lease not used up within this time is dropped (default 2 s); its points are not spent. */
  ttlMs?: number;
  /** Most leases held (one per active token; the oldest goes first). */
  maxKeys?: number;
  now?: () => number;
}

interface Lease {
  /** Points taken from the shared bucket and not yet spent by this process. */
  points: number;
  /** The shared bucket's points left after the lease was taken. */
  sharedRemaining: number;
  expires: number;
  store: Budget['store'];
}

/**
 * Budget leases in front of the shared store: instead of one shared take per request, a process
 * takes a lease of max(cost, capacity × fraction) points and spends it locally until it runs out or
 * expires. Every point spent was taken from the shared bucket first, so the budget still holds across
 * processes; what it costs is precision: a process holds at most one lease per token unspent (1% of
 * the plan by default), which other processes cannot spend, and an expired lease's points are lost
 * until the bucket refills. When the bucket has too few points for a lease, each request takes its
 * exact cost (so a budget runs out exactly as without leases), and a small plan (capacity × fraction
 * below the cost) never leases at all. A token used by one frontend at 1,000 requests a second then
 * costs the shared store a few takes a second instead of a thousand updates of one row.
 * Concurrent requests of a token wait for one lease instead of each taking its own.
 */
export class LeasingBucketStore implements BucketStore {
  private readonly leases = new Map<string, Lease>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly fraction: number;
  private readonly ttlMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly shared: BucketStore, opts: LeaseOptions = {}) {
    this.fraction = opts.fraction ?? 0.01;
    this.ttlMs = opts.ttlMs ?? 2000;
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  async take(key: string, capacity: number, cost: number): Promise<Budget> {
    for (;;) {
      const local = this.spend(key, capacity, cost);
      if (local) return local;
      const pending = this.inFlight.get(key);
      if (!pending) break;
      await pending.catch(() => undefined);
    }
    const size = Math.floor(capacity * this.fraction);
    if (size <= cost || cost <= 0) return this.shared.take(key, capacity, cost);
    const taking = this.shared.take(key, capacity, size);
    this.inFlight.set(key, taking);
    try {
      const leased = await taking;
      if (!leased.allowed) {
        this.leases.delete(key);
        return await this.shared.take(key, capacity, cost);
      }
      this.hold(key, { points: size - cost, sharedRemaining: leased.remaining, expires: this.now() + this.ttlMs, store: leased.store });
      return { ...leased, remaining: leased.remaining + size - cost };
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** The budget after spending `cost` from this process's lease, or null when it cannot. */
  private spend(key: string, capacity: number, cost: number): Budget | null {
    const lease = this.leases.get(key);
    if (!lease) return null;
    const now = this.now();
    if (now >= lease.expires || lease.points < cost) {
      if (now >= lease.expires) this.leases.delete(key);
      return null;
    }
    lease.points -= cost;
    return budgetOf(true, lease.sharedRemaining + lease.points, capacity, cost, now, lease.store);
  }

  private hold(key: string, lease: Lease): void {
    this.leases.delete(key);
    if (this.leases.size >= this.maxKeys) this.leases.delete(this.leases.keys().next().value!);
    this.leases.set(key, lease);
  }
}
