import type { ChildProcess } from 'node:child_process';
import type { Client } from 'graphql-ws';
import { withTenant } from '../../connectors/store/pool.js';
import { LIVE_AUDIENCE, percentiles, prepareLive, subscriber } from './live.js';
import type { BenchTenant } from './setup.js';

async function memoryOf(child: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve) => {
    const on = (msg: any) => {
      if (msg?.mem) {
        child.off('message', on);
        resolve(msg.mem);
      }
    };
    child.on('message', on);
    child.send('mem');
  });
}

/**
 * `count` concurrent audienceChanges subscribers on the one gateway process `child`: its memory
 * (after GC) before and after they connect, per subscriber; then one write that moves a member
 * into the audience and the time until every subscriber has the ENTERED (fan-out).
 */
export async function benchSubscribers(t: BenchTenant, url: string, child: ChildProcess, count: number) {
  const { members, lastSeq } = await prepareLive(t, 1);
  const before = await memoryOf(child);
  const clients: Client[] = [];
  const arrivals: number[] = [];
  const opened = performance.now();
  for (let i = 0; i < count; i += 250) {
    const wave = await Promise.all(Array.from({ length: Math.min(250, count - i) }, () =>
      subscriber(url, t.token, lastSeq, (_m, at) => arrivals.push(at))));
    clients.push(...wave);
  }
  const connectSeconds = (performance.now() - opened) / 1000;
  await new Promise((r) => setTimeout(r, 3000)); // every subscription has read the log once and is waiting
  const after = await memoryOf(child);
  const written = performance.now();
  await withTenant(t.pools.app, t.tenantId, async (db) => {
    await db.query(`insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at, paid_at)
      values ($1, $2, 'pos', 'bench-' || gen_random_uuid(), 'paid', 1500, now(), now())`, [t.tenantId, members[0]]);
    await db.query(`insert into dirty_members (tenant_id, member_id, collections) values ($1, $2, '{orders,items}')
      on conflict (tenant_id, member_id) do update set collections = '{orders,items}'`, [t.tenantId, members[0]]);
  });
  const deadline = performance.now() + 60_000;
  while (arrivals.length < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const fanout = percentiles(arrivals.map((a) => a - written));
  await Promise.all(clients.map((c) => c.dispose()));
  const perSubscriber = (after.heapUsed - before.heapUsed) / count;
  return {
    subscribers: count, audience: LIVE_AUDIENCE, connectSeconds,
    heapUsedBeforeMb: before.heapUsed / 2 ** 20, heapUsedAfterMb: after.heapUsed / 2 ** 20,
    rssBeforeMb: before.rss / 2 ** 20, rssAfterMb: after.rss / 2 ** 20,
    heapPerSubscriberKb: perSubscriber / 1024, rssPerSubscriberKb: (after.rss - before.rss) / count / 1024,
    delivered: arrivals.length, fanoutMs: fanout,
  };
}
