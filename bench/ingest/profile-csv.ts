/** Ad-hoc: CSV import timing per batch (not part of the benchmark). */
import pg from 'pg';
import { writeFile } from 'node:fs/promises';
import { createPools } from '../../connectors/store/pool.js';
import { migrate } from '../../connectors/store/migrate.js';
import { importCsvFile } from '../../connectors/csv/import-file.js';

const server = process.env.DATABASE_URL!;
const root = new pg.Client({ connectionString: Object.assign(new URL(server), { pathname: '/postgres' }).toString() });
await root.connect();
await root.query('drop database if exists cdp_profile_ingest with (force)');
await root.query('create database cdp_profile_ingest');
const pools = createPools({ url: Object.assign(new URL(server), { pathname: '/cdp_profile_ingest' }).toString() });
await migrate(pools.admin);
const t = (await pools.admin.query(`insert into tenants (name) values ('p') returning tenant_id`)).rows[0].tenant_id;
const n = Number(process.env.N ?? 6000);
const lines = ['channel,channel_order_id,phone,status,amount,discount,created_at,paid_at,items'];
for (let i = 0; i < n; i++) lines.push(`TMALL,C-${i},139${String(10000000 + (i % 3000)).padStart(8, '0')},paid,10,0,2025-01-01T00:00:00Z,2025-01-01T00:01:00Z,"[{""sku"":""a"",""quantity"":1,""price"":5},{""sku"":""b"",""quantity"":1,""price"":5}]"`);
await writeFile('/tmp/ingest-tools/p.csv', lines.join('\n'));
let last = performance.now();
const s = await importCsvFile({ kind: 'orders', file: '/tmp/ingest-tools/p.csv', tenantId: t, pool: pools.app, onProgress: (p) => {
  const now = performance.now();
  if (now - last > 200) console.log(p.rows, (now - last).toFixed(0));
  last = now;
} });
console.log(s);
await pools.close();
await root.query('drop database if exists cdp_profile_ingest with (force)');
await root.end();
