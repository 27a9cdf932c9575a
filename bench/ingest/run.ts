/**
 * `npx tsx bench/ingest/run.ts`: ingestion throughput (rows/s) of orders and events through the
 * GraphQL imports, the Segment-compatible collection endpoint and the CSV importer, each compared
 * in the same run with a raw COPY of the same rows (the floor: no validation, no identity
 * resolution: the members, identities, orders, items and events the import ends up storing, with
 * ids allocated before the clock starts). Request bodies, COPY text and the CSV file are prepared
 * before each clock starts, so the numbers are the ingestion paths'. Every path writes into a tenant of its own in a fresh
 * database `cdp_bench_ingest` on DATABASE_URL's server (or the embedded Postgres). Prints a table
 * and writes bench/results/ingest.json. Runs with NODE_ENV=production unless set (production-env.ts).
 * BENCH_ROUNDS (default 3): each path runs that many times, interleaved, each after an ANALYZE and into a tenant of its own that the statistics do not know yet; the table shows medians. Sizes: BENCH_ORDERS (default 20000), BENCH_EVENTS (50000).
 * Beside wall time, each path reports the CPU it cost per row, in Node and in the Postgres backends
 * (bench/cpu.ts; null when the server is not on this machine): on a shared machine they move far less.
 */

import './production-env.js';
import { mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createGateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../connectors/store/embedded.js';
import { createPools, type Pools } from '../../connectors/store/pool.js';
import { GENERIC_PLANS } from '../../connectors/ingest/db.js';
import { migrate } from '../../connectors/store/migrate.js';
import { importCsvFile } from '../../connectors/csv/import-file.js';
import { newTokenSecret } from '../../tenants/token-secret.js';
import { SEGMENT_BATCH, importOrdersBodies, makeEvents, makeOrders, ordersCsv, segmentBodies, trackBodies, type BenchEvent, type BenchOrder } from './data.js';
import { measureCpu } from '../cpu.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 20_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const DB = 'cdp_bench_ingest';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** One round of one path: wall seconds, and CPU milliseconds in Node and in the backends (null: not measurable). */
interface Measured { seconds: number; nodeCpuMs: number; backendCpuMs: number | null }

interface Row {
  path: string; kind: 'orders' | 'events'; rows: number; seconds: number; rowsPerSecond: number; ofCopy: number | null; rounds: number[];
  /** Medians over the rounds, microseconds of CPU per row. */
  nodeCpuUsPerRow: number; backendCpuUsPerRow: number | null;
}

let pools: Pools;

/** Wall and CPU time of `fn`. */
async function timed(fn: () => Promise<void>): Promise<Measured> {
  const cpu = await measureCpu(pools.admin, DB);
  const t = performance.now();
  await fn();
  const seconds = (performance.now() - t) / 1000;
  const { node, backend } = await cpu();
  return { seconds, nodeCpuMs: node, backendCpuMs: backend };
}

async function tenant(name: string): Promise<{ tenantId: string; token: string }> {
  const secret = newTokenSecret();
  const c = await pools.admin.connect();
  try {
    await c.query('begin');
    const r = await c.query('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix]);
    await c.query(`update tokens set rate_per_minute = 100000000 where tenant_id = $1`, [r.rows[0].id]);
    await c.query('commit');
    return { tenantId: r.rows[0].id, token: secret.token };
  } finally {
    c.release();
  }
}

/** COPY text of rows (tab-separated, \N for null; values here hold no tabs, newlines or backslashes). */
const copyText = (rows: unknown[][]) => rows.map((r) => r.map((v) => (v === null ? '\\N' : String(v))).join('\t')).join('\n') + '\n';

/** A COPY of one table, its text built before the clock starts. */
interface PreparedCopy { table: string; columns: string; text: string }

const prepare = (table: string, columns: string, rows: unknown[][]): PreparedCopy => ({ table, columns, text: copyText(rows) });

async function copyAll(copies: PreparedCopy[]): Promise<void> {
  const c = await pools.admin.connect();
  try {
    // one transaction, its foreign-key checks planned like the imports' (GENERIC_PLANS): on a
    // custom plan they too read the whole new tenant per row
    await c.query(`begin; ${GENERIC_PLANS}`);
    for (const { table, columns, text } of copies) {
      await pipeline(Readable.from([text]), c.query(copyFrom(`copy ${table} (${columns}) from stdin`)));
    }
    await c.query('commit');
  } catch (err) {
    await c.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Member and identity rows for `keys` (a phone or app user id per row), ids allocated in advance. */
async function memberCopies(tenantId: string, kind: 'PHONE' | 'APP_USER_ID', keys: string[]): Promise<{ memberOf: Map<string, string>; copies: PreparedCopy[] }> {
  const distinct = [...new Set(keys)];
  const ids = (await pools.admin.query(`select nextval(pg_get_serial_sequence('members', 'member_id')) as id from generate_series(1, $1)`, [distinct.length])).rows.map((r) => r.id as string);
  return {
    memberOf: new Map(distinct.map((k, i) => [k, ids[i]])),
    copies: [
      prepare('members', 'tenant_id, member_id, phone', distinct.map((k, i) => [tenantId, ids[i], kind === 'PHONE' ? k : null])),
      prepare('identities', 'tenant_id, kind, value, member_id', distinct.map((k, i) => [tenantId, kind, k, ids[i]])),
    ],
  };
}

/** The COPY floor for orders: the members, identities, orders and items the import writes, copied. */
async function copyOrders(orders: BenchOrder[], round: number): Promise<Measured> {
  const { tenantId } = await tenant(`copy-orders-${round}`);
  const { memberOf, copies } = await memberCopies(tenantId, 'PHONE', orders.map((o) => o.identities[0].value));
  const orderIds = (await pools.admin.query(`select nextval(pg_get_serial_sequence('orders', 'order_id')) as id from generate_series(1, $1)`, [orders.length])).rows.map((r) => r.id);
  copies.push(
    prepare('orders', 'tenant_id, order_id, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at',
      orders.map((o, i) => [tenantId, orderIds[i], memberOf.get(o.identities[0].value), o.channel.toLowerCase(), o.channelOrderId, 'paid', o.amount, o.discount, o.createdAt, o.paidAt])),
    prepare('order_items', 'tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price',
      orders.flatMap((o, i) => o.items.map((it, n) => [tenantId, orderIds[i], n + 1, memberOf.get(o.identities[0].value), it.sku, it.productName, it.category, it.quantity, it.price]))),
  );
  return timed(() => copyAll(copies));
}

/** The COPY floor for events: the members, identities and events the import writes, copied. */
async function copyEvents(events: BenchEvent[], round: number): Promise<Measured> {
  const { tenantId } = await tenant(`copy-events-${round}`);
  const { memberOf, copies } = await memberCopies(tenantId, 'APP_USER_ID', events.map((e) => e.identities[0].value));
  copies.push(prepare('events', 'tenant_id, event_id, member_id, name, channel, occurred_at, properties',
    events.map((e) => [tenantId, e.eventId, memberOf.get(e.identities[0].value), e.name, 'app', e.occurredAt, JSON.stringify(e.properties)])));
  return timed(() => copyAll(copies));
}

async function graphql(url: string, token: string, body: Buffer): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const answer = (await res.json()) as { errors?: unknown; data?: Record<string, { rejected: unknown[] }> };
  const result = answer.data && Object.values(answer.data)[0];
  if (answer.errors || !result || result.rejected.length > 0) throw new Error(`import failed: ${JSON.stringify(answer).slice(0, 500)}`);
}

async function main(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  let server = process.env.DATABASE_URL;
  if (!server) {
    embedded = await startEmbeddedPostgres({ dir: '.data/pg', port: Number(process.env.EMBEDDED_PG_PORT ?? 54329) });
    server = embedded.url;
  }
  const root = new pg.Client({ connectionString: Object.assign(new URL(server), { pathname: '/postgres' }).toString() });
  await root.connect();
  await root.query(`drop database if exists ${DB} with (force)`);
  await root.query(`create database ${DB}`);
  pools = createPools({ url: Object.assign(new URL(server), { pathname: `/${DB}` }).toString(), max: 10 });
  const dir = await mkdtemp(path.join(tmpdir(), 'cdp-bench-ingest-'));
  const gateway = await createGateway({ pools, log: createLogger('silent'), development: false });
  try {
    await migrate(pools.admin);
    const port = await gateway.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const orders = makeOrders(ORDERS);
    const events = makeEvents(EVENTS);
    const csvFile = path.join(dir, 'orders.csv');
    await writeFile(csvFile, ordersCsv(orders));
    const orderBodies = importOrdersBodies(orders);
    const eventBodies = trackBodies(events);
    const batchBodies = segmentBodies(events);

    // Each path runs ROUNDS times, interleaved with the others and each time into a fresh tenant, so
    // that load from other processes on the machine falls on all paths alike; the median counts.
    const paths: Array<{ path: string; kind: Row['kind']; rows: number; run: (round: number) => Promise<Measured> }> = [
      { path: 'COPY (floor)', kind: 'orders', rows: ORDERS, run: (round) => copyOrders(orders, round) },
      { path: 'GraphQL importOrders', kind: 'orders', rows: ORDERS, run: async (round) => {
        const t = await tenant(`graphql-orders-${round}`);
        return timed(async () => {
          for (const body of orderBodies) await graphql(`${base}/graphql`, t.token, body);
        });
      } },
      { path: 'CSV import (2,000/batch)', kind: 'orders', rows: ORDERS, run: async (round) => {
        const t = await tenant(`csv-orders-${round}`);
        return timed(async () => {
          const s = await importCsvFile({ kind: 'orders', file: csvFile, tenantId: t.tenantId, pool: pools.app });
          if (s.accepted !== ORDERS) throw new Error(`CSV import accepted ${s.accepted} of ${ORDERS}`);
        });
      } },
      { path: 'COPY (floor)', kind: 'events', rows: EVENTS, run: (round) => copyEvents(events, round) },
      { path: 'GraphQL track', kind: 'events', rows: EVENTS, run: async (round) => {
        const t = await tenant(`graphql-events-${round}`);
        return timed(async () => {
          for (const body of eventBodies) await graphql(`${base}/graphql`, t.token, body);
        });
      } },
      { path: `POST /v1/batch (${SEGMENT_BATCH}/request)`, kind: 'events', rows: EVENTS, run: async (round) => {
        const t = await tenant(`segment-events-${round}`);
        const auth = `Basic ${Buffer.from(`${t.token}:`).toString('base64')}`;
        return timed(async () => {
          for (const body of batchBodies) {
            const res = await fetch(`${base}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
            const answer = (await res.json()) as { accepted?: number };
            if (res.status !== 200 || answer.accepted !== SEGMENT_BATCH) throw new Error(`collect failed: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
          }
        });
      } },
    ];
    console.log(`orders: ${ORDERS} (2 items each), events: ${EVENTS}; ${ROUNDS} rounds; database ${DB}`);
    const measured = paths.map(() => [] as Measured[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, p] of paths.entries()) {
        // Statistics as a running database has them, and each path's tenant newer than they are
        // (as a new customer's first import is): without this, when autovacuum happened to analyze
        // decided what a round measured.
        await pools.admin.query('analyze');
        measured[i].push(await p.run(round));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const results: Row[] = paths.map((p, i) => {
      const seconds = median(measured[i].map((m) => m.seconds));
      const backend = measured[i].every((m) => m.backendCpuMs !== null) ? median(measured[i].map((m) => m.backendCpuMs!)) : null;
      return {
        path: p.path, kind: p.kind, rows: p.rows, seconds, rowsPerSecond: Math.round(p.rows / seconds), ofCopy: null,
        rounds: measured[i].map((m) => m.seconds),
        nodeCpuUsPerRow: Math.round((median(measured[i].map((m) => m.nodeCpuMs)) * 10_000) / p.rows) / 10,
        backendCpuUsPerRow: backend === null ? null : Math.round((backend * 10_000) / p.rows) / 10,
      };
    });

    for (const r of results) {
      const floor = results.find((f) => f.kind === r.kind && f.path === 'COPY (floor)')!;
      r.ofCopy = Math.round((r.rowsPerSecond / floor.rowsPerSecond) * 100);
    }
    console.log(`\nmedian of ${ROUNDS} rounds; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs; CPU in microseconds per row`);
    console.log(`${'kind'.padEnd(7)} ${'path'.padEnd(28)} ${'rows'.padStart(8)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(9)} ${'% of COPY'.padStart(10)} ${'Node CPU'.padStart(9)} ${'PG CPU'.padStart(7)}`);
    for (const r of results) {
      console.log(`${r.kind.padEnd(7)} ${r.path.padEnd(28)} ${String(r.rows).padStart(8)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSecond).padStart(9)} ${`${r.ofCopy}%`.padStart(10)} ${r.nodeCpuUsPerRow.toFixed(1).padStart(9)} ${(r.backendCpuUsPerRow?.toFixed(1) ?? '-').padStart(7)}`);
    }
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/ingest.json', `${JSON.stringify({
      date: new Date().toISOString(), cpus: cpus().length, loadAverage: loadavg(), orders: ORDERS, events: EVENTS, itemsPerOrder: 2, rounds: ROUNDS,
      seconds: 'median of the rounds',
      cpu: 'nodeCpuUsPerRow: this process (gateway, CSV importer and the HTTP client) per row; backendCpuUsPerRow: every Postgres backend of the database, per row; medians of the rounds',
      note: 'COPY floor: the members, identities, orders, items and events the imports store, copied with ids allocated in advance; the other paths validate, resolve identities (creating those members), upsert idempotently and queue dirty members',
      results,
    }, null, 2)}\n`);
    console.log('\nwrote bench/results/ingest.json');
  } finally {
    await gateway.stop();
    await pools.close();
    await root.query(`drop database if exists ${DB} with (force)`).catch(() => undefined);
    await root.end();
    await rm(dir, { recursive: true, force: true });
    await embedded?.stop();
  }
}

await main();
