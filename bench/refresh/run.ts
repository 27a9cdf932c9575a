/**
 * `npx tsx bench/refresh/run.ts [--members 100000] [--batch N] [--rate 500] [--seconds 10]
 *   [--subscribers 5000] [--only full,latency,subscribers] [--events N]`
 *
 * On a tenant seeded by npm run seed's generator in the database cdp_bench_refresh of the local
 * Postgres (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres):
 * 1. full refresh of the demo definitions (tag-dsl.md: high_value, lifecycle, rfm_*, churn_recall)
 *    by the engine (set-based per definition, or member batches with --batch), cold and warm,
 *    against hand-written SQL computing the same values (checked);
 * 2. write → subscriber latency at --rate writes/s through a gateway process with its refresh worker;
 * 3. --subscribers concurrent audienceChanges subscribers on that one process: memory and fan-out.
 * Prints tables and writes bench/results/refresh.json (one entry per member count; a part not run
 * keeps its earlier result, and each part records its own time, command and load averages). Not a
 * test: the numbers depend on the machine and on what else its cores are doing (load average recorded).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchTenant } from './setup.js';
import { benchFullRefresh } from './full.js';
import { benchLatency } from './live.js';
import { benchSubscribers } from './subscribers.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const only = (() => {
  const i = process.argv.indexOf('--only');
  return new Set(i > 0 ? process.argv[i + 1].split(',') : ['full', 'latency', 'subscribers']);
})();
const MEMBERS = arg('members', 100_000);
const BATCH = process.argv.includes('--batch') ? arg('batch', 50_000) : undefined;
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 10);
const SUBSCRIBERS = arg('subscribers', 5000);
const PORT = arg('port', 4391);
const EVENTS = process.argv.includes('--events') ? arg('events', 30) : undefined;
const RESULTS = fileURLToPath(new URL('../results/refresh.json', import.meta.url));

function startGateway(url: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./serve.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    env: { ...process.env, BENCH_URL: url, BENCH_PORT: String(PORT), NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(child); });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
}

const f = (n: number, d = 2) => n.toFixed(d);
const COMMAND = `npx tsx bench/refresh/run.ts ${process.argv.slice(2).join(' ')}`.trim();

/** Runs one part and adds when, how and under what load it ran to its result. */
async function part<T extends object>(fn: () => Promise<T>): Promise<T & { run: Record<string, unknown> }> {
  const run: Record<string, unknown> = { at: new Date().toISOString(), command: COMMAND, loadAverageAtStart: os.loadavg() };
  const r = await fn();
  run.loadAverageAtEnd = os.loadavg();
  return { ...r, run };
}

async function main(): Promise<void> {
  const t = await benchTenant(MEMBERS, { eventsPerMember: EVENTS });
  console.log(`tenant of ${MEMBERS} members: ${t.members} members, ${t.orders} orders; load average ${os.loadavg().map((l) => f(l, 1)).join(' ')}`);
  const result: Record<string, unknown> = {
    at: new Date().toISOString(), command: COMMAND,
    node: process.version, cpus: os.cpus().length, loadAverageAtStart: os.loadavg(), members: t.members, orders: t.orders,
  };
  try {
    if (only.has('full')) {
      const full = await part(() => benchFullRefresh(t, BATCH));
      result.fullRefresh = full;
      console.log(`\nFull refresh, ${t.members} members, ${BATCH ? `batches of ${BATCH}` : 'set-based'} (seconds; engine = stage + one-transaction swap)`);
      console.table(full.definitions.map((d) => ({
        definition: d.key, 'engine cold': f(d.engineCold), 'of which staging': f(d.engineColdStage), 'cold swap': f(d.engineColdSwap), 'cold analyze': f(d.engineColdAnalyze), 'engine warm (no change)': f(d.engineWarm),
        'warm staging': f(d.engineWarmStage), 'warm rows written': d.engineWarmChanged,
        'hand-written compute': f(d.handCompute), 'hand-written rewrite': f(d.handRewrite), mismatches: d.mismatches })));
      const tt = full.totals;
      console.log(`total: engine cold ${f(tt.engineCold)} s (staging ${f(tt.engineColdStage)} s), warm ${f(tt.engineWarm)} s; ` +
        `hand-written compute ${f(tt.handCompute)} s, compute+rewrite ${f(tt.handRewrite)} s; ` +
        `ratios: cold/rewrite ${f(tt.engineCold / tt.handRewrite)}x, staging/compute ${f(tt.engineColdStage / tt.handCompute)}x, ` +
        `warm/rewrite ${f(tt.engineWarm / tt.handRewrite)}x, warm/compute ${f(tt.engineWarm / tt.handCompute)}x`);
    }
    if (only.has('latency') || only.has('subscribers')) {
      const child = await startGateway(t.url);
      const url = `ws://127.0.0.1:${PORT}/graphql`;
      try {
        if (only.has('latency')) {
          const live = await part(() => benchLatency(t, url, RATE, SECONDS));
          result.latency = live;
          console.log(`\nWrite → subscriber latency at ${RATE} writes/s for ${SECONDS} s (achieved ${live.achievedRate}/s)`);
          console.table([{ writes: live.writes, delivered: live.delivered, missing: live.missing, 'p50 ms': f(live.latencyMs.p50, 0),
            'p99 ms': f(live.latencyMs.p99, 0), 'max ms': f(live.latencyMs.max, 0), 'within 1 s': `${f(live.withinOneSecond * 100, 1)}%` }]);
        }
        if (only.has('subscribers')) {
          const subs = await part(() => benchSubscribers(t, url, child, SUBSCRIBERS));
          result.subscribers = subs;
          console.log(`\n${SUBSCRIBERS} concurrent subscribers on one gateway process`);
          console.table([{ subscribers: subs.subscribers, 'connect s': f(subs.connectSeconds, 1), 'heap before MB': f(subs.heapUsedBeforeMb, 0),
            'heap after MB': f(subs.heapUsedAfterMb, 0), 'heap/subscriber KB': f(subs.heapPerSubscriberKb, 1), 'rss/subscriber KB': f(subs.rssPerSubscriberKb, 1),
            delivered: subs.delivered, 'fan-out p50 ms': f(subs.fanoutMs.p50, 0), 'fan-out p99 ms': f(subs.fanoutMs.p99, 0) }]);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  } finally {
    await t.pools.close();
  }
  result.loadAverageAtEnd = os.loadavg();
  await mkdir(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
  const previous = JSON.parse(await readFile(RESULTS, 'utf8').catch(() => '{}')) as { runs?: Record<string, unknown> };
  const key = String(t.members);
  const runs = { ...(previous.runs ?? {}), [key]: { ...(previous.runs?.[key] as object | undefined), ...result } };
  await writeFile(RESULTS, `${JSON.stringify({ runs }, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
