/**
 * `npx tsx bench/refresh/seed.ts --members 1000000 [--events 0]`: seeds (when missing) the bench
 * tenant run.ts would use, and nothing else, so a long seed can run in the background.
 */
import { benchTenant } from './setup.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};

const t = await benchTenant(arg('members') ?? 100_000, { eventsPerMember: arg('events') });
console.log(`tenant ${t.tenantId}: ${t.members} members, ${t.orders} orders`);
await t.pools.close();
