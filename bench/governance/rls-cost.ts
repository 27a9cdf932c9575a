import pg from 'pg';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../connectors/store/migrate.js';
import { newTokenSecret } from '../../tenants/token-secret.js';

/**
 * What tenant isolation costs per request, at the database: the statements of one authenticated
 * request that reads one member, run N times in a row on one warm connection, three ways:
 *
 *   none      the owner (bypasses row-level security): BEGIN + token look-up, member query, COMMIT
 *   gateway   cdp_app under RLS as the gateway does it: BEGIN + cdp_authenticate (which also sets
 *             app.tenant_id) in one round trip, member query, COMMIT
 *   naive     cdp_app under RLS with each step its own round trip: BEGIN, authenticate,
 *             set_config, member query, COMMIT
 *
 * Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/governance/rls-cost.ts [N]
 * Writes bench/results/governance.json and prints a table.
 */

const N = Number(process.argv[2] ?? 3000);
const DB = 'cdp_bench_governance';
const MEMBERS = 10_000;

interface Variant {
  name: 'none' | 'gateway' | 'naive';
  roundTrips: number;
  run(client: pg.Client, memberId: number): Promise<void>;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<void> {
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const root = new pg.Client({ connectionString: Object.assign(new URL(base), { pathname: '/postgres' }).toString() });
  await root.connect();
  await root.query(`drop database if exists ${DB} with (force)`);
  await root.query(`create database ${DB}`);
  await root.end();
  const url = Object.assign(new URL(base), { pathname: `/${DB}` }).toString();
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  await migrate(admin);
  const tenants: { id: string; hex: string }[] = [];
  for (const name of ['bench-a', 'bench-b']) {
    const secret = newTokenSecret();
    const c = await admin.connect();
    await c.query('begin');
    const id = (await c.query('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix])).rows[0].id;
    await c.query('commit');
    c.release();
    await admin.query(`insert into members (tenant_id, name, phone, city)
      select $1, 'member ' || g, '138' || lpad(g::text, 8, '0'), 'city ' || (g % 50) from generate_series(1, $2) g`, [id, MEMBERS]);
    tenants.push({ id, hex: secret.sha256.toString('hex') });
  }
  await admin.query('analyze');
  const ids = (await admin.query('select member_id from members where tenant_id = $1 order by member_id', [tenants[0].id])).rows.map((r) => Number(r.member_id));
  const { id: tenantId, hex } = tenants[0];
  const MEMBER_SQL = `select member_id, name, phone, city from members where tenant_id = $1 and member_id = $2`;

  const variants: Variant[] = [
    { name: 'none', roundTrips: 3, async run(c, m) {
      await c.query(`begin; select k.tenant_id, k.token_id, k.scopes from tokens k where k.secret_sha256 = '\\x${hex}'::bytea`);
      await c.query(MEMBER_SQL, [tenantId, m]);
      await c.query('commit');
    } },
    { name: 'gateway', roundTrips: 3, async run(c, m) {
      await c.query(`begin; select * from cdp_authenticate('\\x${hex}'::bytea)`);
      await c.query(MEMBER_SQL, [tenantId, m]);
      await c.query('commit');
    } },
    { name: 'naive', roundTrips: 5, async run(c, m) {
      await c.query('begin');
      const auth = await c.query(`select tenant_id from cdp_authenticate($1::bytea)`, [Buffer.from(hex, 'hex')]);
      await c.query(`select set_config('app.tenant_id', $1, true)`, [auth.rows[0].tenant_id]);
      await c.query(MEMBER_SQL, [tenantId, m]);
      await c.query('commit');
    } },
  ];

  // The variants take turns, one request each, so that load from anything else on the machine
  // falls on all three alike. On a busy machine the low quantiles (min, p10) are the numbers that
  // show what each variant itself costs; the median and tail mostly show the machine's load.
  const clients = await Promise.all(variants.map(async (v) => {
    const c = new pg.Client(v.name === 'none' ? { connectionString: url } : { connectionString: url, options: '-c role=cdp_app' });
    await c.connect();
    for (let i = 0; i < 200; i++) await v.run(c, ids[i % ids.length]); // warm-up
    return c;
  }));
  const times: number[][] = variants.map(() => []);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < variants.length; k++) {
      const j = (i + k) % variants.length;
      const t0 = process.hrtime.bigint();
      await variants[j].run(clients[j], ids[(i * 7919) % ids.length]);
      times[j].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  await Promise.all(clients.map((c) => c.end()));
  const results = variants.map((v, j) => {
    const t = times[j].sort((a, b) => a - b);
    const mean = t.reduce((s, x) => s + x, 0) / t.length;
    return { variant: v.name, roundTrips: v.roundTrips, n: N, minUs: Math.round(t[0]), p10Us: Math.round(quantile(t, 0.1)),
      meanUs: Math.round(mean), p50Us: Math.round(quantile(t, 0.5)),
      p95Us: Math.round(quantile(t, 0.95)), p99Us: Math.round(quantile(t, 0.99)) };
  });
  await admin.end();
  const pgVersion = (await (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const v = (await c.query('show server_version')).rows[0].server_version;
    await c.end();
    return v;
  })());
  const load = (await import('node:os')).loadavg()[0];
  const out = { when: new Date().toISOString(), postgres: pgVersion, node: process.version, members: MEMBERS, loadAverage1m: load, results };
  console.table(results);
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}governance.json`, `${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
