import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { beginForTenant, withTenant } from '../../connectors/store/pool.js';
import { defineAudience } from '../../connectors/audiences/lifecycle.js';
import { queueJob } from '../../connectors/refresh/jobs.js';
import { runUntilFinished } from '../../connectors/refresh/full-refresh.js';
import type { BenchTenant } from './setup.js';

/** The audience the live measurements watch: a member enters with a POS order of 1,000 or more today. */
export const LIVE_AUDIENCE = 'bench_live';
const LIVE_SOURCE = `audience ${LIVE_AUDIENCE} label "bench: POS buyers today"
  = sum(orders.amount where channel = "pos" within 1 days) >= 1000`;
const CHANGES = `subscription ($a: String!, $after: String) { audienceChanges(audience: $a, after: $after) { cursor kind memberId } }`;

export interface Percentiles { p50: number; p99: number; max: number }

export function percentiles(ms: number[]): Percentiles {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN);
  return { p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1] : NaN };
}

/** Defines and materialises the live audience; returns members outside it to write for, and the log's last cursor. */
export async function prepareLive(t: BenchTenant, count: number): Promise<{ members: string[]; lastSeq: string }> {
  await withTenant(t.pools.app, t.tenantId, (db) => defineAudience(db, t.tenantId, LIVE_SOURCE, 'bench', { queueRefresh: false }));
  const job = await withTenant(t.pools.app, t.tenantId, (db) => queueJob(db, t.tenantId, `audience:${LIVE_AUDIENCE}`, 'bench'));
  await runUntilFinished(t.pools.app, t.tenantId, job.job_id); // the gateway's worker may be the one running it
  const r = await t.pools.admin.query<{ member_id: string }>(
    `select m.member_id from members m where m.tenant_id = $1 and not exists (select 1 from audience_members a
       where a.tenant_id = m.tenant_id and a.audience_name = $2 and a.member_id = m.member_id)
     order by hashtext(m.member_id::text) limit $3`, [t.tenantId, LIVE_AUDIENCE, count]);
  const seq = await t.pools.admin.query<{ last_seq: string }>('select last_seq from audiences where tenant_id = $1 and name = $2', [t.tenantId, LIVE_AUDIENCE]);
  return { members: r.rows.map((x) => x.member_id), lastSeq: seq.rows[0].last_seq };
}

const cursorOf = (seq: string) => Buffer.from(`c1:${seq}`, 'utf8').toString('base64url');

/** One graphql-ws subscriber; `onChange` gets each change with its arrival time. */
export function subscriber(
  url: string, token: string, after: string, onChange: (memberId: string, at: number) => void, onProblem: (what: string) => void = () => undefined,
): Promise<Client> {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false,
    on: { closed: (e: any) => onProblem(`closed ${e?.code} ${e?.reason ?? ''}`) } });
  return new Promise((resolve, reject) => {
    let acked = false;
    client.on('connected', () => {
      acked = true;
      resolve(client);
    });
    client.on('error', (e) => { if (!acked) reject(e); });
    client.subscribe({ query: CHANGES, variables: { a: LIVE_AUDIENCE, after: cursorOf(after) } }, {
      next: (v: any) => {
        if (v.data) onChange(v.data.audienceChanges.memberId, performance.now());
        if (v.errors) onProblem(JSON.stringify(v.errors));
      },
      error: (e) => {
        onProblem(`error ${JSON.stringify(e)}`);
        if (!acked) reject(e);
      },
      complete: () => undefined,
    });
  });
}

/**
 * Write → subscriber latency: `rate` writes per second for `seconds`, each one transaction that
 * inserts a POS order and marks the member dirty (what ingestion does; one round trip), spread over
 * `connections` connections; one subscriber notes when each member's ENTERED arrives. Latency = arrival − commit.
 */
export async function benchLatency(t: BenchTenant, url: string, rate: number, seconds: number, connections = 20) {
  const total = rate * seconds;
  const { members, lastSeq } = await prepareLive(t, total);
  const committed = new Map<string, number>();
  const arrived = new Map<string, number>();
  const problems: string[] = [];
  const client = await subscriber(url, t.token, lastSeq, (m, at) => arrived.set(m, at), (p) => problems.push(p));
  await new Promise((r) => setTimeout(r, 500)); // subscription registered
  const started = performance.now();
  let next = 0;
  let late = 0;
  const writer = async () => {
    for (;;) {
      const i = next++;
      if (i >= members.length) return;
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -50) late++;
      const m = members[i];
      // one round trip: a simple-protocol batch (the values are ours: a uuid checked by beginForTenant, a bigint id)
      if (!/^[0-9]+$/.test(m)) throw new Error('not a member id');
      await t.pools.app.query(`${beginForTenant(t.tenantId)};
        insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at, paid_at)
          values ('${t.tenantId}', ${m}, 'pos', 'bench-' || gen_random_uuid(), 'paid', 1500, now(), now());
        insert into dirty_members (tenant_id, member_id, collections) values ('${t.tenantId}', ${m}, '{orders,items}')
          on conflict (tenant_id, member_id) do update set collections = '{orders,items}';
        commit`);
      committed.set(m, performance.now());
    }
  };
  await Promise.all(Array.from({ length: connections }, writer));
  const writeSeconds = (performance.now() - started) / 1000;
  const deadline = performance.now() + 60_000;
  while (arrived.size < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await client.dispose();
  const missing = members.filter((m) => !arrived.has(m));
  if (missing.length > 0) {
    const r = await t.pools.admin.query<{ member_id: string; seq: string; kind: string }>(
      `select member_id, seq, kind from audience_changes where tenant_id = $1 and audience_name = $2 and member_id = any($3::bigint[]) order by seq`,
      [t.tenantId, LIVE_AUDIENCE, missing.slice(0, 20)]);
    console.error(`not delivered: ${missing.length}; in the log: ${JSON.stringify(r.rows)}; subscriber problems: ${problems.slice(0, 5).join(' | ')}`);
  }
  const latencies = [...committed].filter(([m]) => arrived.has(m)).map(([m, at]) => arrived.get(m)! - at);
  return {
    rate, seconds, writes: total, achievedRate: Math.round(total / writeSeconds), lateWrites: late,
    delivered: latencies.length, missing: total - latencies.length, latencyMs: percentiles(latencies),
    withinOneSecond: latencies.filter((l) => l <= 1000).length / Math.max(1, latencies.length),
  };
}
