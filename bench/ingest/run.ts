/**
 * `npx tsx bench/ingest/run.ts`: ingestion throughput (rows/s) of orders and events through the
 * GraphQL imports, the Segment-compatible collection endpoint and the CSV importer, each compared
 * in the same run with a raw COPY of the same rows (the floor: no validation, no identity
 * resolution: the members, identities, orders, items and events the import ends up storing, with
 * ids allocated before the clock starts). Request bodies, COPY text and the CSV file are prepared
 * before each clock starts, so the numbers are the ingestion paths'. Every path writes into a tenant of its own in a fresh
 * database `cdp_bench_ingest` on DATABASE_URL's server (or the embedded Postgres). Prints a table
 * and writes bench/results/ingest.json. Runs with NODE_ENV=production unless set (production-env.ts).
 * BENCH_ROUNDS (default 3): each path runs that many times, interleaved; the table shows medians. Sizes: BENCH_ORDERS (default 20000), BENCH_EVENTS (50000).
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
import { migrate } from '../../connectors/store/migrate.js';
import { importCsvFile } from '../../connectors/csv/import-file.js';
import { newTokenSecret } from '../../tenants/token-secret.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 20_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const GRAPHQL_BATCH = 5000;
const SEGMENT_BATCH = 1000;
const DB = 'cdp_bench_ingest';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Row { path: string; kind: 'orders' | 'events'; rows: number; seconds: number; rowsPerSecond: number; ofCopy: number | null; rounds: number[] }

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];

function makeOrders(n: number) {
  const people = Math.max(1, Math.floor(n / 2));
  return Array.from({ length: n }, (_, i) => {
    const created = new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 300) * 86400_000 + Math.floor(rand() * 86400_000));
    const p1 = Math.round(rand() * 20000) / 100;
    const p2 = Math.round(rand() * 5000) / 100;
    return {
      channel: pick(['TMALL', 'JD', 'PDD', 'DOUYIN'] as const), channelOrderId: `BO-${i}`,
      identities: [{ kind: 'PHONE', value: `13${String(100000000 + Math.floor(rand() * people)).slice(0, 9)}` }],
      status: 'PAID', amount: Math.round((p1 + p2 * 2) * 100) / 100, discount: 0, createdAt: created.toISOString(),
      paidAt: new Date(created.getTime() + 60_000).toISOString(),
      items: [{ sku: `SKU-${i % 500}`, productName: '商品', category: pick(['fruit', 'dairy', 'electronics']), quantity: 1, price: p1 },
        { sku: `SKU-${(i + 7) % 500}`, productName: '商品', category: pick(['fruit', 'dairy', 'electronics']), quantity: 2, price: p2 }],
    };
  });
}

function makeEvents(n: number) {
  const users = Math.max(1, Math.floor(n / 5));
  return Array.from({ length: n }, (_, i) => ({
    eventId: `BE-${i}`, name: pick(['login', 'view_product', 'add_to_cart', 'share']), channel: 'APP',
    occurredAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 300 * 86400_000)).toISOString(),
    identities: [{ kind: 'APP_USER_ID', value: `u-${Math.floor(rand() * users)}` }], properties: { sku: `SKU-${i % 500}` },
  }));
}

const chunks = <T>(xs: T[], size: number) => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function tenant(pools: Pools, name: string): Promise<{ tenantId: string; token: string }> {
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

async function copyAll(pools: Pools, copies: PreparedCopy[]): Promise<void> {
  const c = await pools.admin.connect();
  try {
    for (const { table, columns, text } of copies) {
      await pipeline(Readable.from([text]), c.query(copyFrom(`copy ${table} (${columns}) from stdin`)));
    }
  } finally {
    c.release();
  }
}

/** Member and identity rows for `keys` (a phone or app user id per row), ids allocated in advance. */
async function memberCopies(pools: Pools, tenantId: string, kind: 'PHONE' | 'APP_USER_ID', keys: string[]): Promise<{ memberOf: Map<string, string>; copies: PreparedCopy[] }> {
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
async function copyOrders(pools: Pools, orders: ReturnType<typeof makeOrders>, round: number): Promise<number> {
  const { tenantId } = await tenant(pools, `copy-orders-${round}`);
  const { memberOf, copies } = await memberCopies(pools, tenantId, 'PHONE', orders.map((o) => o.identities[0].value));
  const orderIds = (await pools.admin.query(`select nextval(pg_get_serial_sequence('orders', 'order_id')) as id from generate_series(1, $1)`, [orders.length])).rows.map((r) => r.id);
  copies.push(
    prepare('orders', 'tenant_id, order_id, member_id, channel, channel_order_id, status, amount, discount, created_at, paid_at',
      orders.map((o, i) => [tenantId, orderIds[i], memberOf.get(o.identities[0].value), o.channel.toLowerCase(), o.channelOrderId, 'paid', o.amount, o.discount, o.createdAt, o.paidAt])),
    prepare('order_items', 'tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price',
      orders.flatMap((o, i) => o.items.map((it, n) => [tenantId, orderIds[i], n + 1, memberOf.get(o.identities[0].value), it.sku, it.productName, it.category, it.quantity, it.price]))),
  );
  return timed(() => copyAll(pools, copies));
}

/** The COPY floor for events: the members, identities and events the import writes, copied. */
async function copyEvents(pools: Pools, events: ReturnType<typeof makeEvents>, round: number): Promise<number> {
  const { tenantId } = await tenant(pools, `copy-events-${round}`);
  const { memberOf, copies } = await memberCopies(pools, tenantId, 'APP_USER_ID', events.map((e) => e.identities[0].value));
  copies.push(prepare('events', 'tenant_id, event_id, member_id, name, channel, occurred_at, properties',
    events.map((e) => [tenantId, e.eventId, memberOf.get(e.identities[0].value), e.name, 'app', e.occurredAt, JSON.stringify(e.properties)])));
  return timed(() => copyAll(pools, copies));
}

/** Request bodies of a GraphQL import, one per batch, serialised before the clock starts. */
const graphqlBodies = <T>(rows: T[], query: string, name: string) =>
  chunks(rows, GRAPHQL_BATCH).map((batch) => JSON.stringify({ query, variables: { [name]: batch } }));

async function graphql(url: string, token: string, body: string): Promise<void> {
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
  const pools = createPools({ url: Object.assign(new URL(server), { pathname: `/${DB}` }).toString(), max: 10 });
  const dir = await mkdtemp(path.join(tmpdir(), 'cdp-bench-ingest-'));
  const gateway = await createGateway({ pools, log: createLogger('silent'), development: false });
  try {
    await migrate(pools.admin);
    const port = await gateway.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    const orders = makeOrders(ORDERS);
    const events = makeEvents(EVENTS);
    const csvFile = path.join(dir, 'orders.csv');
    await writeFile(csvFile, ['channel,channel_order_id,phone,status,amount,discount,created_at,paid_at,items',
      ...orders.map((o) => [o.channel, o.channelOrderId, o.identities[0].value, 'paid', o.amount, o.discount, o.createdAt, o.paidAt,
        `"${JSON.stringify(o.items).replace(/"/g, '""')}"`].join(','))].join('\n'));
    const orderBodies = graphqlBodies(orders, 'mutation ($o: [OrderInput!]!) { importOrders(orders: $o) { accepted rejected { index message } } }', 'o');
    const eventBodies = graphqlBodies(events, 'mutation ($e: [EventInput!]!) { track(events: $e) { accepted rejected { index message } } }', 'e');
    const segmentBodies = chunks(events, SEGMENT_BATCH).map((batch) => JSON.stringify({ batch: batch.map((e) => ({
      type: 'track', messageId: e.eventId, userId: e.identities[0].value, event: e.name, properties: e.properties, timestamp: e.occurredAt,
      context: { channel: 'app' } })) }));

    // Each path runs ROUNDS times, interleaved with the others and each time into a fresh tenant, so
    // that load from other processes on the machine falls on all paths alike; the median counts.
    const paths: Array<{ path: string; kind: Row['kind']; rows: number; run: (round: number) => Promise<number> }> = [
      { path: 'COPY (floor)', kind: 'orders', rows: ORDERS, run: (round) => copyOrders(pools, orders, round) },
      { path: 'GraphQL importOrders', kind: 'orders', rows: ORDERS, run: async (round) => {
        const t = await tenant(pools, `graphql-orders-${round}`);
        return timed(async () => {
          for (const body of orderBodies) await graphql(`${base}/graphql`, t.token, body);
        });
      } },
      { path: 'CSV import (2,000/batch)', kind: 'orders', rows: ORDERS, run: async (round) => {
        const t = await tenant(pools, `csv-orders-${round}`);
        return timed(async () => {
          const s = await importCsvFile({ kind: 'orders', file: csvFile, tenantId: t.tenantId, pool: pools.app });
          if (s.accepted !== ORDERS) throw new Error(`CSV import accepted ${s.accepted} of ${ORDERS}`);
        });
      } },
      { path: 'COPY (floor)', kind: 'events', rows: EVENTS, run: (round) => copyEvents(pools, events, round) },
      { path: 'GraphQL track', kind: 'events', rows: EVENTS, run: async (round) => {
        const t = await tenant(pools, `graphql-events-${round}`);
        return timed(async () => {
          for (const body of eventBodies) await graphql(`${base}/graphql`, t.token, body);
        });
      } },
      { path: `POST /v1/batch (${SEGMENT_BATCH}/request)`, kind: 'events', rows: EVENTS, run: async (round) => {
        const t = await tenant(pools, `segment-events-${round}`);
        const auth = `Basic ${Buffer.from(`${t.token}:`).toString('base64')}`;
        return timed(async () => {
          for (const body of segmentBodies) {
            const res = await fetch(`${base}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
            const answer = (await res.json()) as { accepted?: number };
            if (res.status !== 200 || answer.accepted !== SEGMENT_BATCH) throw new Error(`collect failed: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
          }
        });
      } },
    ];
    console.log(`orders: ${ORDERS} (2 items each), events: ${EVENTS}; ${ROUNDS} rounds; database ${DB}`);
    const times = paths.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, p] of paths.entries()) times[i].push(await p.run(round));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const results: Row[] = paths.map((p, i) => {
      const seconds = median(times[i]);
      return { path: p.path, kind: p.kind, rows: p.rows, seconds, rowsPerSecond: Math.round(p.rows / seconds), ofCopy: null, rounds: times[i] };
    });

    for (const r of results) {
      const floor = results.find((f) => f.kind === r.kind && f.path === 'COPY (floor)')!;
      r.ofCopy = Math.round((r.rowsPerSecond / floor.rowsPerSecond) * 100);
    }
    console.log(`\nmedian of ${ROUNDS} rounds; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
    console.log(`${'kind'.padEnd(7)} ${'path'.padEnd(28)} ${'rows'.padStart(8)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(9)} ${'% of COPY'.padStart(10)}`);
    for (const r of results) {
      console.log(`${r.kind.padEnd(7)} ${r.path.padEnd(28)} ${String(r.rows).padStart(8)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSecond).padStart(9)} ${`${r.ofCopy}%`.padStart(10)}`);
    }
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/ingest.json', `${JSON.stringify({
      date: new Date().toISOString(), cpus: cpus().length, loadAverage: loadavg(), orders: ORDERS, events: EVENTS, itemsPerOrder: 2, rounds: ROUNDS,
      seconds: 'median of the rounds',
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
