/**
 * How fast the generator alone produces COPY text, without a database:
 * `npx tsx bench/seed/generate-only.ts [members] [out-dir] [tenant-id]`. Prints rows and characters
 * per second per table, to tell generator cost from server cost. With out-dir, also writes each
 * table's COPY text to out-dir/<table>.copy (to time `\copy` of one table alone with psql).
 */

import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

import { Rng, seedKey } from '../../connectors/seed/prng.js';
import { makeContext, planTenant } from '../../connectors/seed/context.js';
import { memberLine, memberProfile } from '../../connectors/seed/member-gen.js';
import { identityLines } from '../../connectors/seed/identity-gen.js';
import { orderLines } from '../../connectors/seed/order-gen.js';
import { eventLines } from '../../connectors/seed/event-gen.js';

const members = Number(process.argv[2] ?? 100_000);
const ratios = { ordersPerMember: 10, eventsPerMember: 30 };
let t = performance.now();
const plan = planTenant(members, seedKey(1), ratios);
console.log(`plan: ${(performance.now() - t).toFixed(0)} ms`);
const outDir = process.argv[3];
const files = new Map<string, ReturnType<typeof createWriteStream>>();
const out = (table: string, text: string): void => {
  if (!outDir || !text) return;
  if (!files.has(table)) {
    mkdirSync(outDir, { recursive: true });
    files.set(table, createWriteStream(path.join(outDir, `${table}.copy`)));
  }
  files.get(table)!.write(text);
};
const ctx = makeContext({ tenantId: process.argv[4] ?? '00000000-0000-4000-8000-000000000001', members, seed: 1, now: new Date(), ratios,
  memberIdBase: 1, orderIdBase: 1, eventIdBase: 1, plan });

const timings: Record<string, { ms: number; rows: number; chars: number }> = {};
const time = (name: string, fn: () => { rows: number; chars: number }): void => {
  const start = performance.now();
  const r = fn();
  const entry = (timings[name] ??= { ms: 0, rows: 0, chars: 0 });
  entry.ms += performance.now() - start;
  entry.rows += r.rows;
  entry.chars += r.chars;
};
const rng = new Rng();
const side = new Rng();
t = performance.now();
for (let i = 0; i < members; i++) {
  let p!: ReturnType<typeof memberProfile>;
  time('profile', () => { p = memberProfile(rng, ctx, i); return { rows: 1, chars: 0 }; });
  let m = '', id = '', o = { orders: '', items: '' }, e = '';
  time('members', () => { m = memberLine(ctx, p); return { rows: 1, chars: m.length }; });
  time('identities', () => { const s = identityLines(side, ctx, p); id = s.text; return { rows: s.rows, chars: s.text.length }; });
  time('orders+items', () => { const s = orderLines(side, ctx, p); o = s; return { rows: s.orderRows + s.itemRows, chars: s.orders.length + s.items.length }; });
  time('events', () => { const s = eventLines(side, ctx, p); e = s.text; return { rows: s.rows, chars: s.text.length }; });
  out('members', m); out('identities', id); out('orders', o.orders); out('order_items', o.items); out('events', e);
}
const total = performance.now() - t;
for (const [name, v] of Object.entries(timings)) {
  console.log(`${name.padEnd(13)} ${String(v.rows).padStart(10)} rows ${(v.ms / 1000).toFixed(2).padStart(7)} s ` +
    `${Math.round(v.rows / (v.ms / 1000)).toLocaleString('en-US').padStart(12)} rows/s ${(v.chars / 1e6).toFixed(0).padStart(6)} MB`);
}
console.log(`total ${(total / 1000).toFixed(2)} s, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
for (const f of files.values()) f.end();
