import pg from 'pg';
import { createPools, type Pools } from '../../connectors/store/pool.js';
import { migrate } from '../../connectors/store/migrate.js';
import { seedTenant } from '../../connectors/seed/index.js';
import { newTokenSecret } from '../../tenants/token-secret.js';

/** The benchmark's own database on the local server (never the tests' or the demo's). */
export const BENCH_DB = 'cdp_bench_refresh';
const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchTenant {
  pools: Pools;
  url: string;
  tenantId: string;
  /** An admin token of the tenant (issued per run; only its hash is stored). */
  token: string;
  members: number;
  orders: number;
}

function dbUrl(name: string): string {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Opens (creating and migrating when needed) cdp_bench_refresh and returns the tenant
 * `bench_<members>` (`bench_<members>_e<events>` with another events ratio), seeding it with
 * `seedTenant` (npm run seed's generator; default ratios 10 orders and 30 events per member) when it
 * does not exist yet. Seeded data is reused across runs.
 */
export async function benchTenant(
  members: number, opts: { seed?: number; eventsPerMember?: number; log?: (line: string) => void } = {},
): Promise<BenchTenant> {
  const seed = opts.seed ?? 7;
  const log = opts.log ?? console.log;
  const events = opts.eventsPerMember;
  const server = new pg.Client({ connectionString: SERVER });
  await server.connect();
  const exists = await server.query('select 1 from pg_database where datname = $1', [BENCH_DB]);
  if (exists.rowCount === 0) await server.query(`create database ${BENCH_DB}`);
  await server.end();
  const url = dbUrl(BENCH_DB);
  const pools = createPools({ url, max: 24 });
  await migrate(pools.admin);
  const name = events === undefined ? `bench_${members}` : `bench_${members}_e${events}`;
  let found = await pools.admin.query<{ tenant_id: string }>('select tenant_id from tenants where name = $1', [name]);
  if (found.rowCount === 0) {
    log(`seeding ${name}: ${members} members (seed ${seed}, 10 orders and ${events ?? 30} events per member)...`);
    const started = performance.now();
    const summary = await seedTenant(pools.admin, { tenantName: name, members, seed, ...(events === undefined ? {} : { eventsPerMember: events }) });
    log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify({ ...summary, tenantId: undefined })}`);
    found = await pools.admin.query<{ tenant_id: string }>('select tenant_id from tenants where name = $1', [name]);
  }
  const tenantId = found.rows[0].tenant_id;
  const secret = newTokenSecret();
  await pools.admin.query(
    `with c as (insert into consumers (tenant_id, name) values ($1, 'bench')
                on conflict (tenant_id, name) do update set name = excluded.name returning consumer_id)
     insert into tokens (tenant_id, consumer_id, secret_sha256, prefix, scopes, rate_per_minute)
     select $1, consumer_id, $2, $3, array['admin'], 2000000000 from c`, // the benchmark measures the engine, not the rate limit
    [tenantId, secret.sha256, secret.prefix]);
  const counts = await pools.admin.query<{ m: number; o: number }>(
    `select (select count(*) from members where tenant_id = $1)::int as m, (select count(*) from orders where tenant_id = $1)::int as o`, [tenantId]);
  return { pools, url, tenantId, token: secret.token, members: counts.rows[0].m, orders: counts.rows[0].o };
}
