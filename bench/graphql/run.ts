import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { prepareBenchDatabase, BENCH_DB, POOL_SIZE, type BenchData, type ServerKind } from './setup.js';
import { measureCpu } from '../cpu.js';
import { POSTGRAPHILE_QUERY } from './postgraphile.js';
import { MEMBER_QUERY } from './member-query.js';

/**
 * `npx tsx bench/graphql/run.ts [--duration 10] [--rounds 3] [--connections 16] [--reseed]`
 *
 * Requests/s and p50/p99 latency of one member page (a member by id with its fields, its 10 newest
 * orders with items, its tags) on loopback under autocannon, for three servers over the same
 * database, each in its own process, one after the other: ours (Apollo + Pothos + DataLoader, the
 * gateway as deployed), ours with its rate-limit buckets in memory instead of Postgres, PostGraphile v5, floor-tx (the hand-written statement inside our token check + tenant transaction)
 * and the floor (node:http + one hand-written SQL statement, no auth, no transaction). Requests cycle over
 * 500 members; the servers run side by side and are measured in interleaved rounds (median
 * reported). Prints a table and writes bench/results/graphql.json. Not a test: numbers depend on
 * the machine (and here on what else its 2 cores are doing).
 */

const PG_SERVER = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 16);
const WARMUP = arg('warmup', 3);
const ROUNDS = arg('rounds', 3);
const ALL_KINDS: ServerKind[] = ['ours', 'ours-2-processes', 'ours-memory-limits', 'postgraphile', 'floor-tx', 'floor'];
const KINDS: ServerKind[] = (process.env.BENCH_ONLY?.split(',') as ServerKind[] | undefined) ?? ALL_KINDS;
const PORTS: Record<ServerKind, number> = { ours: 4301, 'ours-2-processes': 4306, 'ours-memory-limits': 4305, postgraphile: 4302, 'floor-tx': 4304, floor: 4303 };

interface Row {
  server: ServerKind; requestsPerSecond: number; p50Ms: number; p99Ms: number; requests: number; errors: number;
  /** CPU time of the server process per request during the measured run, in ms. */
  serverCpuMsPerRequest?: number;
  /** CPU time of the Postgres backends of the bench database per request, in ms (null: /proc unreadable). */
  postgresCpuMsPerRequest?: number | null;
}

function bodyFor(kind: ServerKind, data: BenchData, memberId: string): string {
  if (kind === 'postgraphile') return JSON.stringify({ query: POSTGRAPHILE_QUERY, variables: { tenantId: data.tenantId, memberId } });
  return JSON.stringify({ query: MEMBER_QUERY, variables: { id: memberId } });
}

const cpuReports = new Map<ChildProcess, (seconds: number) => void>();

/** The server process's CPU seconds so far. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    cpuReports.set(child, resolve);
    child.kill('SIGUSR2');
  });
}

function startServer(kind: ServerKind, data: BenchData): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./servers.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, kind, String(PORTS[kind])], {
    env: { ...process.env, BENCH_DATA: JSON.stringify(data), NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('ready')) resolve(child);
      const cpu = /cpu ([0-9.]+)/.exec(text);
      if (cpu) cpuReports.get(child)?.(Number(cpu[1]));
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

async function post(kind: ServerKind, data: BenchData, memberId: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${PORTS[kind]}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${data.token}` },
    body: bodyFor(kind, data, memberId),
  });
  return res.json();
}

async function load(kind: ServerKind, data: BenchData, seconds: number): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: `http://127.0.0.1:${PORTS[kind]}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${data.token}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodyFor(kind, data, data.memberIds[i++ % data.memberIds.length]) }) }],
  });
}

async function main(): Promise<void> {
  const data = await prepareBenchDatabase(PG_SERVER, process.argv.includes('--reseed'));
  const admin = new pg.Pool({ connectionString: PG_SERVER, max: 1 });
  const answers: Partial<Record<ServerKind, any>> = {};
  // All servers run side by side (idle while another is measured); rounds interleave them so that
  // drift in the machine's other load spreads over all of them, and the median round is reported.
  const children = new Map<ServerKind, ChildProcess>();
  const runs = new Map<ServerKind, Row[]>(KINDS.map((k) => [k, []]));
  try {
    for (const kind of KINDS) children.set(kind, await startServer(kind, data));
    for (const kind of KINDS) {
      const answer = await post(kind, data, data.memberIds[0]);
      if (answer.errors || !answer.data?.member) throw new Error(`${kind} answered ${JSON.stringify(answer).slice(0, 500)}`);
      answers[kind] = answer;
      await load(kind, data, WARMUP);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of KINDS) {
        const child = children.get(kind)!;
        const cpuBefore = await serverCpu(child);
        const backendCpu = await measureCpu(admin, BENCH_DB);
        const r = await load(kind, data, DURATION);
        const cpuMs = ((await serverCpu(child)) - cpuBefore) * 1000;
        const { backend } = await backendCpu();
        runs.get(kind)!.push({ server: kind, requestsPerSecond: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99,
          requests: r.requests.total, errors: r.errors + r.non2xx, serverCpuMsPerRequest: Number((cpuMs / Math.max(1, r.requests.total)).toFixed(2)),
          postgresCpuMsPerRequest: backend === null ? null : Number((backend / Math.max(1, r.requests.total)).toFixed(2)) });
        console.log(`round ${round} ${kind}: ${Math.round(r.requests.average)} req/s`);
      }
    }
  } finally {
    await admin.end();
    for (const child of children.values()) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  const median = (xs: Row[]) => [...xs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(xs.length / 2)];
  const rows = KINDS.map((k) => median(runs.get(k)!));
  // The floor must answer exactly what the gateway answers, or it is not the floor of this query.
  const same = isDeepStrictEqual(answers.ours?.data, answers.floor?.data) && isDeepStrictEqual(answers.floor?.data, answers['floor-tx']?.data);
  if (KINDS.length === ALL_KINDS.length && !same) {
    throw new Error(`the floor and the gateway disagree on member ${data.memberIds[0]}:\n${JSON.stringify(answers.ours.data)}\n${JSON.stringify(answers.floor.data)}`);
  }
  if (KINDS.length === ALL_KINDS.length && answers.postgraphile.data.member.orders.nodes.length !== answers.ours.data.member.orders.nodes.length) {
    throw new Error('PostGraphile returned a different number of orders');
  }
  const by = Object.fromEntries(rows.map((r) => [r.server, r])) as Record<ServerKind, Row>;
  console.log(`\nmember page: member + 10 newest orders with items + tags; ${CONNECTIONS} connections, ${DURATION} s per run, median of ${ROUNDS} interleaved rounds, pool ${POOL_SIZE}\n`);
  console.log('| server | req/s | p50 ms | p99 ms | requests | errors | server CPU ms/req | Postgres CPU ms/req |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.server} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.requests} | ${r.errors} | ${r.serverCpuMsPerRequest ?? '?'} | ${r.postgresCpuMsPerRequest ?? '?'} |`);
  }
  if (KINDS.length < ALL_KINDS.length) return; // a partial run (BENCH_ONLY) prints its rows only

  const vsPgl = by.ours.requestsPerSecond / by.postgraphile.requestsPerSecond;
  const vsFloor = by.floor.requestsPerSecond / by.ours.requestsPerSecond;
  const vsFloorTx = by['floor-tx'].requestsPerSecond / by.ours.requestsPerSecond;
  console.log(`\nours / PostGraphile throughput: ${vsPgl.toFixed(2)}x; floor / ours: ${vsFloor.toFixed(2)}x; floor-tx / ours: ${vsFloorTx.toFixed(2)}x`);

  const out = new URL('../results/graphql.json', import.meta.url);
  await mkdir(new URL('.', out), { recursive: true });
  await writeFile(out, `${JSON.stringify({
    at: new Date().toISOString(), command: 'npx tsx bench/graphql/run.ts', node: process.version, cpus: os.cpus().length,
    loadAverage: os.loadavg(), connections: CONNECTIONS, durationSeconds: DURATION, rounds: ROUNDS, poolSize: POOL_SIZE, members: data.memberIds.length,
    allRuns: Object.fromEntries(runs),
    results: rows, oursOverPostGraphile: Number(vsPgl.toFixed(3)), floorOverOurs: Number(vsFloor.toFixed(3)),
    floorWithTransactionOverOurs: Number(vsFloorTx.toFixed(3)),
  }, null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
