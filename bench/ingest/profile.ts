/**
 * `npx tsx bench/ingest/profile.ts`: where an ingestion path spends its time, statement by statement
 * (not part of the benchmark; no results file). Runs the benchmark's paths once each (PATHS, default
 * all: graphql-orders, csv-orders, graphql-track, segment) with its rows (data.ts; BENCH_ORDERS,
 * BENCH_EVENTS) into fresh tenants of a fresh database `cdp_profile_ingest`, and prints per path the
 * statements per batch and, per kind of statement, how many ran and their backend CPU (from
 * /proc/<pid>/schedstat: robust on a loaded machine) and wall time, then Node and backend CPU per row.
 * It observes statements by wrapping pg's Client#query in this process: an ad-hoc tool, not a pattern.
 */

import './production-env.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createGateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { createPools } from '../../connectors/store/pool.js';
import { GENERIC_PLANS } from '../../connectors/ingest/db.js';
import { migrate } from '../../connectors/store/migrate.js';
import { importCsvFile } from '../../connectors/csv/import-file.js';
import { newTokenSecret } from '../../tenants/token-secret.js';
import { backendCpuMs, measureCpu } from '../cpu.js';
import { importOrdersBodies, makeEvents, makeOrders, ordersCsv, segmentBodies, trackBodies } from './data.js';

const DB = 'cdp_profile_ingest';
const ORDERS = Number(process.env.BENCH_ORDERS ?? 20_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const PATHS = (process.env.PATHS ?? 'graphql-orders,csv-orders,graphql-track,segment').split(',');

/** Statement kinds, by their text; the first that matches names a statement. */
const KINDS: Array<[string, RegExp]> = [
  ['begin/commit', /^(begin|commit|rollback$)/],
  ['savepoint', /^(savepoint|release savepoint|rollback to savepoint)/],
  ['identity look-up', /^with k as .*for key share/],
  ['create members', /^with r as .*insert into members/],
  ['link identities', /^insert into identities/],
  ['write orders', /insert into orders|^update orders|order_items/],
  ['write events', /insert into events|^update events/],
  ['dirty members', /^insert into dirty_members/],
  ['held records', /held_records/],
  ['governance', /usage_records|audit_log|update tokens|cdp_rate_take/],
  ['sequence names', /pg_get_serial_sequence/], // once per process
];
// the plan setting that opens each ingest savepoint in the same round trip (connectors/ingest/db.ts)
const withoutPlanSetting = (sql: string) => (sql.startsWith(`${GENERIC_PLANS}; `) ? sql.slice(GENERIC_PLANS.length + 2) : sql);
const kindOf = (sql: string) => KINDS.find(([, re]) => re.test(withoutPlanSetting(sql)))?.[0] ?? sql.slice(0, 50);

let label: string | null = null;
const stats = new Map<string, Map<string, { n: number; cpu: number; wall: number }>>();
const pidOf = new WeakMap<object, number>();

// Every statement of the labelled path, with the backend CPU it took (the connection runs one at a time).
const query = pg.Client.prototype.query as (...args: unknown[]) => any;
(pg.Client.prototype as any).query = function profiled(this: pg.Client, ...args: any[]) {
  const text: unknown = typeof args[0] === 'string' ? args[0] : args[0]?.text;
  if (label === null || typeof text !== 'string' || typeof args[0]?.submit === 'function') return query.apply(this, args);
  const path = label;
  return (async () => {
    if (!pidOf.has(this)) pidOf.set(this, (await query.call(this, 'select pg_backend_pid() as pid')).rows[0].pid);
    const pid = pidOf.get(this)!;
    const cpu0 = backendCpuMs(pid) ?? 0;
    const t0 = performance.now();
    const result = await query.apply(this, args);
    const byKind = stats.get(path) ?? new Map();
    stats.set(path, byKind);
    const kind = kindOf(text.replace(/\s+/g, ' ').trim());
    const s = byKind.get(kind) ?? { n: 0, cpu: 0, wall: 0 };
    s.n++;
    s.cpu += (backendCpuMs(pid) ?? 0) - cpu0;
    s.wall += performance.now() - t0;
    byKind.set(kind, s);
    return result;
  })();
};

async function main(): Promise<void> {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('set DATABASE_URL');
  const root = new pg.Client({ connectionString: Object.assign(new URL(server), { pathname: '/postgres' }).toString() });
  await root.connect();
  await root.query(`drop database if exists ${DB} with (force)`);
  await root.query(`create database ${DB}`);
  const pools = createPools({ url: Object.assign(new URL(server), { pathname: `/${DB}` }).toString(), max: 10 });
  const gateway = await createGateway({ pools, log: createLogger('silent'), development: false });
  const dir = await mkdtemp(path.join(tmpdir(), 'cdp-profile-ingest-'));
  try {
    await migrate(pools.admin);
    const base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
    const orders = makeOrders(ORDERS);
    const events = makeEvents(EVENTS);
    const csvFile = path.join(dir, 'orders.csv');
    await writeFile(csvFile, ordersCsv(orders));
    const post = async (url: string, authorization: string, body: Buffer) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      const answer = (await res.json()) as any;
      const result = answer.data ? Object.values(answer.data)[0] as any : answer;
      if (res.status !== 200 || answer.errors || result.rejected.length > 0) throw new Error(JSON.stringify(answer).slice(0, 300));
    };
    const runs: Record<string, { rows: number; bodies?: Buffer[]; run: (t: { tenantId: string; token: string }) => Promise<void> }> = {
      'graphql-orders': { rows: ORDERS, bodies: importOrdersBodies(orders), run: async (t) => {
        for (const b of runs['graphql-orders'].bodies!) await post(`${base}/graphql`, `Bearer ${t.token}`, b);
      } },
      'csv-orders': { rows: ORDERS, run: async (t) => {
        await importCsvFile({ kind: 'orders', file: csvFile, tenantId: t.tenantId, pool: pools.app });
      } },
      'graphql-track': { rows: EVENTS, bodies: trackBodies(events), run: async (t) => {
        for (const b of runs['graphql-track'].bodies!) await post(`${base}/graphql`, `Bearer ${t.token}`, b);
      } },
      segment: { rows: EVENTS, bodies: segmentBodies(events), run: async (t) => {
        for (const b of runs.segment.bodies!) await post(`${base}/v1/batch`, `Basic ${Buffer.from(`${t.token}:`).toString('base64')}`, b);
      } },
    };
    for (const name of PATHS) {
      const { rows, run } = runs[name];
      const secret = newTokenSecret();
      const tenantId = (await pools.admin.query('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix])).rows[0].id;
      await pools.admin.query('update tokens set rate_per_minute = 100000000 where tenant_id = $1', [tenantId]);
      await pools.admin.query('analyze'); // as the benchmark does: statistics that do not know this tenant yet
      const cpu = await measureCpu(pools.admin, DB);
      const t0 = performance.now();
      label = name;
      await run({ tenantId, token: secret.token });
      label = null;
      const wall = performance.now() - t0;
      const { node, backend } = await cpu();
      const byKind = [...(stats.get(name) ?? new Map())].sort((a, b) => b[1].cpu - a[1].cpu);
      const batches = byKind.find(([k]) => k === 'identity look-up')?.[1].n ?? 1;
      const count = (skip: string[]) => byKind.filter(([k]) => !skip.includes(k)).reduce((n, [, s]) => n + s.n, 0) / batches;
      console.log(`\n${name}: ${rows} rows in ${batches} batches, ${(wall / 1000).toFixed(2)} s; statements per batch ${count(['governance', 'sequence names']).toFixed(1)}`
        + ` (${count(['governance', 'sequence names', 'begin/commit']).toFixed(1)} without begin and commit); CPU per row: Node ${((node * 1000) / rows).toFixed(1)} us,`
        + ` backends ${backend === null ? '-' : ((backend * 1000) / rows).toFixed(1)} us`);
      for (const [kind, s] of byKind) {
        console.log(`  ${kind.padEnd(20)} ${String(s.n).padStart(5)} statements  ${s.cpu.toFixed(0).padStart(6)} ms backend CPU  ${s.wall.toFixed(0).padStart(6)} ms wall`);
      }
    }
  } finally {
    await gateway.stop();
    await pools.close();
    await root.query(`drop database if exists ${DB} with (force)`).catch(() => undefined);
    await root.end();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
