import { describe, it, expect } from 'vitest';
import { MemoryBucketStore, type BucketStore } from '../../tenants/rate-limit.js';
import { LeasingBucketStore } from '../../tenants/rate-lease.js';

/** The shared store, counting its takes. */
function countingShared(now: () => number) {
  const store = new MemoryBucketStore(1000, now);
  const takes: number[] = [];
  const shared: BucketStore = { take: (key, capacity, cost) => (takes.push(cost), store.take(key, capacity, cost)) };
  return { shared, takes };
}

describe('budget leases in front of the shared store', () => {
  it('takes 1% of the plan per lease and spends it locally', async () => {
    const now = () => 1_000_000;
    const { shared, takes } = countingShared(now);
    const lease = new LeasingBucketStore(shared, { now });
    const budgets = [];
    for (let i = 0; i < 100; i++) budgets.push(await lease.take('t', 60_000, 30));
    expect(takes).toEqual([600, 600, 600, 600, 600]); // 20 requests of cost 30 per lease
    expect(budgets.every((b) => b.allowed)).toBe(true);
    expect(budgets[0].remaining).toBe(60_000 - 30);
    expect(budgets[99].remaining).toBe(60_000 - 3000);
  });

  it('keeps one budget across processes: never more allowed than the bucket held', async () => {
    const now = () => 5_000_000; // no refill during the test
    const { shared } = countingShared(now);
    const a = new LeasingBucketStore(shared, { now });
    const b = new LeasingBucketStore(shared, { now });
    let allowed = 0;
    for (let i = 0; i < 3000; i++) if ((await (i % 2 ? a : b).take('t', 10_000, 10)).allowed) allowed += 10;
    expect(allowed).toBeLessThanOrEqual(10_000);
    expect(allowed).toBeGreaterThanOrEqual(10_000 - 2 * 100); // at most one unspent lease per process
  });

  it('takes exact costs when the bucket cannot give a lease, so a budget runs out as without leases', async () => {
    const now = () => 7_000_000;
    const { shared, takes } = countingShared(now);
    const lease = new LeasingBucketStore(shared, { now });
    await shared.take('t', 10_000, 9_950); // 50 left: less than a lease of 100
    const results = [];
    for (let i = 0; i < 7; i++) results.push((await lease.take('t', 10_000, 10)).allowed);
    expect(results).toEqual([true, true, true, true, true, false, false]);
    expect(takes.slice(1)).toEqual([100, 10, 100, 10, 100, 10, 100, 10, 100, 10, 100, 10, 100, 10]);
  });

  it('never leases for a small plan (1% below the cost): one exact take per request', async () => {
    const now = () => 9_000_000;
    const { shared, takes } = countingShared(now);
    const lease = new LeasingBucketStore(shared, { now });
    for (let i = 0; i < 3; i++) await lease.take('t', 60, 1);
    expect(takes).toEqual([1, 1, 1]);
  });

  it('drops a lease after its time: its points are not spent', async () => {
    let t = 11_000_000;
    const { shared, takes } = countingShared(() => t);
    const lease = new LeasingBucketStore(shared, { now: () => t, ttlMs: 2000 });
    await lease.take('t', 60_000, 1);
    t += 1999;
    await lease.take('t', 60_000, 1);
    t += 2;
    await lease.take('t', 60_000, 1);
    expect(takes).toEqual([600, 600]);
  });

  it('lets concurrent requests of a token wait for one lease instead of each taking one', async () => {
    const now = () => 13_000_000;
    const { shared, takes } = countingShared(now);
    const lease = new LeasingBucketStore(shared, { now });
    const budgets = await Promise.all(Array.from({ length: 50 }, () => lease.take('t', 60_000, 1)));
    expect(takes).toEqual([600]);
    expect(budgets.every((b) => b.allowed)).toBe(true);
  });
});
