/** Ad-hoc: times each statement of one importOrders batch (not part of the benchmark). */
import pg from 'pg';
import { createPools } from '../../connectors/store/pool.js';
import { migrate } from '../../connectors/store/migrate.js';
import { importOrders } from '../../connectors/ingest/pipeline.js';
import { withTenant } from '../../connectors/store/pool.js';

const server = process.env.DATABASE_URL!;
const root = new pg.Client({ connectionString: Object.assign(new URL(server), { pathname: '/postgres' }).toString() });
await root.connect();
await root.query('drop database if exists cdp_profile_ingest with (force)');
await root.query('create database cdp_profile_ingest');
const pools = createPools({ url: Object.assign(new URL(server), { pathname: '/cdp_profile_ingest' }).toString() });
await migrate(pools.admin);
const t = (await pools.admin.query(`insert into tenants (name) values ('p') returning tenant_id`)).rows[0].tenant_id;
const n = Number(process.env.N ?? 5000);
const people = Number(process.env.PEOPLE ?? n / 2);
const rounds = Number(process.env.ROUNDS ?? 2);
const fresh = process.env.FRESH === '1';
const ordersOf = (round: number) => Array.from({ length: n }, (_, i) => ({ channel: 'TMALL', channelOrderId: `O-${fresh ? round * n + i : i}`,
  identities: [{ kind: 'PHONE', value: `139${String(10000000 + ((i * 7919 + round * 13) % people)).padStart(8, '0')}` }],
  status: 'PAID', amount: 10, createdAt: '2025-01-01T00:00:00Z', items: [{ sku: 'a', quantity: 1, price: 5 }, { sku: 'b', quantity: 1, price: 5 }] }));
for (let round = 0; round < rounds; round++) {
  const orders = ordersOf(round);
  const t0 = performance.now();
  await withTenant(pools.app, t, async (c) => {
    const q = c.query.bind(c);
    if (!(c as any).profiled) (c as any).profiled = q;
    const orig = (c as any).profiled;
    (c as any).query = async (text: string, values?: unknown[]) => {
      const s = performance.now();
      const r = await orig(text, values);
      console.log(`${(performance.now() - s).toFixed(1).padStart(8)} ms  ${text.replace(/\s+/g, ' ').slice(0, 90)}`);
      return r;
    };
    const r = await importOrders(c, t, orders);
    console.log(r.accepted, r.duplicates, r.rejected.length);
  });
  console.log(`round ${round}: ${(performance.now() - t0).toFixed(0)} ms`);
}
await pools.close();
await root.query('drop database if exists cdp_profile_ingest with (force)');
await root.end();
