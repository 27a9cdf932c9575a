/**
 * Compiler speed: parse + check + compile per definition, for the definitions of design/tag-dsl.md
 * and a few larger ones. Prints a table and writes bench/results/dsl.json. Target: 10,000
 * definitions per second. Run: `npx tsx bench/dsl/compile.ts [seconds per case, default 1]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDefinitions, type Catalog } from '../../dsl/index.js';

const TARGET = 10_000;
const seconds = Number(process.argv[2] ?? 1);

const catalog: Catalog = {
  tags: new Map([
    ['high_value', { type: { kind: 'boolean' }, batchOnly: false }],
    ['lifecycle', { type: { kind: 'enum', values: ['new', 'normal', 'member', 'super', 'churned'] }, batchOnly: false }],
    ['rfm_r', { type: { kind: 'number' }, batchOnly: true }],
    ['rfm_f', { type: { kind: 'number' }, batchOnly: true }],
    ['rfm_m', { type: { kind: 'number' }, batchOnly: true }],
  ]),
  audiences: new Set(['churn_recall']),
};

const CASES: [string, string][] = [
  ['high_value', `tag high_value: boolean
  label "高价值客户"
  category "消费属性/价值"
  = sum(orders.amount where status in ["paid", "completed"] within 365 days) >= 5000`],
  ['lifecycle', `tag lifecycle: enum("new", "normal", "member", "super", "churned")
  label "生命周期"
  = case
      when count(orders) = 0 then "new"
      when days_since(last(orders.created_at)) > 180 then "churned"
      when tag.high_value then "super"
      when level >= 1 then "member"
      else "normal"
    end`],
  ['churn_recall', `audience churn_recall
  label "流失召回"
  = tag.lifecycle = "churned" and phone is not null`],
  ['rfm_r', 'tag rfm_r: number = quintile(days_since(last(orders.created_at)) desc)'],
  ['rfm_segment', `tag rfm_segment: enum("champion", "loyal", "at_risk", "hibernating", "other")
  = case
      when tag.rfm_r >= 4 and tag.rfm_f >= 4 and tag.rfm_m >= 4 then "champion"
      when tag.rfm_f >= 4 then "loyal"
      when tag.rfm_r <= 2 and tag.rfm_m >= 4 then "at_risk"
      when tag.rfm_r <= 2 and tag.rfm_f <= 2 then "hibernating"
      else "other"
    end`],
  ['fruit_lover', `audience fruit_lover
  = count(items where category = "fruit" within 90 days) >= 3
    and count(events.view_product where properties.category = "fruit" within 30 days) > 5
    and not audience.churn_recall`],
  ['five_order_aggregates', `tag engaged: boolean
  = count(orders within 30 days) > 2 and sum(orders.amount within 365 days) > 1000
    and avg(orders.amount) > 100 and most_frequent(orders.channel) in ["tmall", "jd"]
    and max(orders.paid_at) > now() - 7 days`],
  ['birthday_care', `audience birthday_care
  label "生日关怀"
  = days_until_birthday between 0 and 7 and age >= 18 and city in ["Beijing", "Shanghai", "Shenzhen"]
    and (attributes.vip_source = "store" or level >= 3) and email is not null`],
];

/** Per definition: wall-clock time, and CPU time of this process (what the work costs on a shared machine). */
interface Row { name: string; chars: number; microseconds: number; perSecond: number; cpuMicroseconds: number; perCpuSecond: number }

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(sources: string[], budgetMs: number): { wall: number; cpu: number } {
  for (let i = 0; i < 200; i++) for (const s of sources) compileDefinitions(s, catalog, { scope: 'all' });
  let runs = 0;
  const started = performance.now();
  const cpuStarted = cpuNow();
  while (performance.now() - started < budgetMs) {
    for (let i = 0; i < 50; i++) {
      for (const s of sources) {
        const r = compileDefinitions(s, catalog, { scope: 'all' });
        if (!r.ok) throw new Error(`${s}: ${JSON.stringify(r.errors)}`);
      }
    }
    runs += 50 * sources.length;
  }
  return { wall: runs / ((performance.now() - started) / 1000), cpu: runs / ((cpuNow() - cpuStarted) / 1000) };
}

function row(name: string, chars: number, m: { wall: number; cpu: number }): Row {
  return { name, chars, microseconds: 1e6 / m.wall, perSecond: m.wall, cpuMicroseconds: 1e6 / m.cpu, perCpuSecond: m.cpu };
}

// warm the JIT on every path before measuring any case
measure(CASES.map(([, s]) => s), seconds * 2000);
const rows: Row[] = CASES.map(([name, source]) => row(name, source.length, measure([source], seconds * 1000)));
const mixedRow = row('mixed (all of the above)', Math.round(CASES.reduce((a, [, s]) => a + s.length, 0) / CASES.length), measure(CASES.map(([, s]) => s), seconds * 2000));
const mixed = mixedRow.perSecond;

// a fixed loop, to compare this machine's speed with another's
const calibrationStarted = cpuNow();
let sink = 0;
for (let i = 0; i < 1e8; i++) sink += i % 7;
const calibrationMs = cpuNow() - calibrationStarted + (sink < 0 ? 1 : 0);

const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number, digits = 0) => x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(`${pad('definition', 26)}${'chars'.padStart(6)}${'µs/def'.padStart(10)}${'defs/s'.padStart(10)}${'cpu µs/def'.padStart(12)}${'defs/cpu-s'.padStart(12)}`);
for (const r of [...rows, mixedRow]) {
  console.log(`${pad(r.name, 26)}${String(r.chars).padStart(6)}${num(r.microseconds, 1).padStart(10)}${num(r.perSecond).padStart(10)}`
    + `${num(r.cpuMicroseconds, 1).padStart(12)}${num(r.perCpuSecond).padStart(12)}`);
}
console.log(`target ${num(TARGET)} definitions/s (mixed, wall clock): ${mixed >= TARGET ? 'met' : 'NOT met'}; per CPU-second: ${num(mixedRow.perCpuSecond)}`);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs; calibration loop (1e8 additions) ${num(calibrationMs)} ms of CPU`);

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', 'dsl.json');
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({
  benchmark: 'dsl parse+check+compile per definition', date: new Date().toISOString(), node: process.version,
  cpus: cpus().length, loadAverage: loadavg(), calibrationLoopCpuMs: Math.round(calibrationMs), secondsPerCase: seconds, target: TARGET,
  mixedPerSecond: Math.round(mixed), mixedPerCpuSecond: Math.round(mixedRow.perCpuSecond), met: mixed >= TARGET,
  cases: [...rows, mixedRow].map((r) => ({ name: r.name, chars: r.chars, microseconds: Number(r.microseconds.toFixed(2)), perSecond: Math.round(r.perSecond),
    cpuMicroseconds: Number(r.cpuMicroseconds.toFixed(2)), perCpuSecond: Math.round(r.perCpuSecond) })),
}, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), out)}`);
