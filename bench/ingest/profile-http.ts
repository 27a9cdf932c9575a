/** Ad-hoc: one importOrders batch over HTTP vs the same call in process (not part of the benchmark). */
import pg from 'pg';
import { createPools, withTenant } from '../../connectors/store/pool.js';
import { migrate } from '../../connectors/store/migrate.js';
import { importOrders } from '../../connectors/ingest/pipeline.js';
import { createGateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { newTokenSecret } from '../../tenants/token-secret.js';

const server = process.env.DATABASE_URL!;
const root = new pg.Client({ connectionString: Object.assign(new URL(server), { pathname: '/postgres' }).toString() });
await root.connect();
await root.query('drop database if exists cdp_profile_ingest with (force)');
await root.query('create database cdp_profile_ingest');
const pools = createPools({ url: Object.assign(new URL(server), { pathname: '/cdp_profile_ingest' }).toString() });
await migrate(pools.admin);
const mk = async (name: string) => {
  const secret = newTokenSecret();
  const c = await pools.admin.connect();
  await c.query('begin');
  const id = (await c.query('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix])).rows[0].id;
  await c.query('commit');
  c.release();
  return { id, token: secret.token };
};
const n = 5000;
const orders = (p: string) => Array.from({ length: n }, (_, i) => ({ channel: 'TMALL', channelOrderId: `${p}-${i}`, identities: [{ kind: 'PHONE', value: `139${String(10000000 + (i % (n / 2))).padStart(8, '0')}` }],
  status: 'PAID', amount: 10, createdAt: '2025-01-01T00:00:00Z', items: [{ sku: 'a', quantity: 1, price: 5 }, { sku: 'b', quantity: 1, price: 5 }] }));
const gw = await createGateway({ pools, log: createLogger('silent'), development: false, onStatement: () => undefined });
const port = await gw.listen(0, '127.0.0.1');
for (let k = 0; k < 2; k++) {
  const a = await mk(`direct${k}`);
  let t = performance.now();
  await withTenant(pools.app, a.id, (c) => importOrders(c, a.id, orders('D')));
  console.log('direct', (performance.now() - t).toFixed(0));
  const b = await mk(`http${k}`);
  t = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token}` },
    body: JSON.stringify({ query: 'mutation ($o: [OrderInput!]!) { importOrders(orders: $o) { accepted } }', variables: { o: orders('H') } }) });
  console.log('http', (performance.now() - t).toFixed(0), (await res.text()).slice(0, 200));
}
await gw.stop();
await pools.close();
await root.query('drop database if exists cdp_profile_ingest with (force)');
await root.end();
