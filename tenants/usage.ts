import type pg from 'pg';
import { inTenant } from './tenant-tx.js';
import { requestKey } from './request-key.js';

/**
 * Dynamic lineage and token last-used times, recorded off the request path: reads are aggregated in
 * memory (consumer × day × node → count, last seen) and flushed every few seconds with one
 * INSERT ... ON CONFLICT DO UPDATE per tenant. Token last-used times are throttled to one write per
 * token per minute per process and flushed with the same transaction.
 */

/** A lineage node name: 'field:Member.phone', 'tag:high_value', 'audience:churn_recall'. */
export type UsageNode = string;

export interface UsageRecorderOptions {
  /** Pool whose sessions run as cdp_app (row-level security applies to the writes). */
  pool: pg.Pool;
  flushIntervalMs?: number;
  /** Most distinct (tenant, consumer, day, node) keys held between flushes; more are dropped and counted. */
  maxPending?: number;
  /** Minimum time between two last_used_at writes for one token from this process. */
  touchEveryMs?: number;
  onError?: (err: unknown) => void;
  /** Called with the number of reads dropped because the buffer was full. */
  onDropped?: (count: number) => void;
}

interface Pending {
  consumerId: string;
  day: string;
  node: string;
  count: number;
  /** Last read, in ms since the epoch (a number: comparing Dates converts both per read). */
  last: number;
}

/** What one flush wrote. */
export interface FlushResult {
  tenants: number;
  usageRows: number;
  tokens: number;
}

// Names of tags and audiences come from request arguments: only those that exist are stored, so a
// client cannot fill usage_records with made-up names.
const INSERT_USAGE = `
  insert into usage_records as u (tenant_id, consumer_id, day, node, count, last_seen)
  select $1, x.c, x.d, x.n, x.k, x.l
    from unnest($2::bigint[], $3::date[], $4::text[], $5::bigint[], $6::timestamptz[]) as x(c, d, n, k, l)
   where (x.n not like 'tag:%' or exists (select 1 from tag_definitions t where t.tenant_id = $1 and t.name = substr(x.n, 5)))
     and (x.n not like 'audience:%' or exists (select 1 from audiences a where a.tenant_id = $1 and a.name = substr(x.n, 10)))
  on conflict (tenant_id, consumer_id, day, node) do update
     set count = u.count + excluded.count, last_seen = greatest(u.last_seen, excluded.last_seen)`;

const TOUCH_TOKENS = `
  update tokens k set last_used_at = greatest(coalesce(k.last_used_at, x.at), x.at)
    from unnest($2::bigint[], $3::timestamptz[]) as x(id, at)
   where k.tenant_id = $1 and k.token_id = x.id`;

/** Aggregates reads and token uses in memory and writes them in batches. */
export class UsageRecorder {
  // tenant → consumer and day → node → pending: a read adds to a map keyed by the node string itself
  private usage = new Map<string, Map<string, Map<string, Pending>>>();
  private touches = new Map<string, Map<string, Date>>();
  private readonly lastTouch = new Map<string, number>();
  private pendingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<FlushResult> | undefined;
  private today = { start: 0, end: 0, day: '' };

  constructor(private readonly opts: UsageRecorderOptions) {}

  /** Counts one read of each node by a consumer (a node read twice in one request counts once). */
  record(tenantId: string, consumerId: string, nodes: Iterable<UsageNode>, at = new Date()): void {
    const day = this.dayOf(at);
    const byNode = this.nodesOf(tenantId, consumerId, day);
    const ms = at.getTime();
    let dropped = 0;
    for (const node of nodes) if (!this.addTo(byNode, consumerId, day, node, 1, ms)) dropped += 1;
    if (dropped) this.opts.onDropped?.(dropped);
  }

  /** The UTC day of `at` as YYYY-MM-DD (the day's bounds kept, so most calls format nothing). */
  private dayOf(at: Date): string {
    const t = at.getTime();
    if (t >= this.today.start && t < this.today.end) return this.today.day;
    const start = t - (((t % 86_400_000) + 86_400_000) % 86_400_000);
    this.today = { start, end: start + 86_400_000, day: at.toISOString().slice(0, 10) };
    return this.today.day;
  }

  private nodesOf(tenantId: string, consumerId: string, day: string): Map<string, Pending> {
    let byConsumer = this.usage.get(tenantId);
    if (!byConsumer) this.usage.set(tenantId, (byConsumer = new Map()));
    const key = `${consumerId}\u0000${day}`;
    let byNode = byConsumer.get(key);
    if (!byNode) byConsumer.set(key, (byNode = new Map()));
    return byNode;
  }

  /** Adds `count` reads of `node` to the pending reads of a consumer and day; false when the buffer is full. */
  private addTo(byNode: Map<string, Pending>, consumerId: string, day: string, node: string, count: number, last: number): boolean {
    const p = byNode.get(node);
    if (p) {
      p.count += count;
      if (last > p.last) p.last = last;
      return true;
    }
    if (this.pendingCount >= (this.opts.maxPending ?? 50_000)) return false;
    byNode.set(node, { consumerId, day, node, count, last });
    this.pendingCount += 1;
    return true;
  }

  /** Notes that a token was used; written at most once a minute per token by this process. */
  touchToken(tenantId: string, tokenId: string, at = new Date()): void {
    const key = `${tenantId}:${tokenId}`;
    const last = this.lastTouch.get(key);
    if (last !== undefined && at.getTime() - last < (this.opts.touchEveryMs ?? 60_000)) return;
    this.lastTouch.set(key, at.getTime());
    if (this.lastTouch.size > 100_000) this.lastTouch.delete(this.lastTouch.keys().next().value!);
    let byToken = this.touches.get(tenantId);
    if (!byToken) this.touches.set(tenantId, (byToken = new Map()));
    byToken.set(tokenId, at);
  }

  /** Writes everything pending; one transaction per tenant. Failed tenants are kept for the next flush. */
  flush(): Promise<FlushResult> {
    // one flush at a time: a timer tick during a slow flush waits for it instead of racing it
    this.flushing = (this.flushing ?? Promise.resolve(undefined as unknown as FlushResult)).then(() => this.flushNow());
    return this.flushing;
  }

  /** Flushes every `flushIntervalMs` (default 5 s) until stop(). */
  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch((err) => this.opts.onError?.(err)), this.opts.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  /** Stops the timer and flushes what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((err) => this.opts.onError?.(err));
  }

  private async flushNow(): Promise<FlushResult> {
    const usage = this.usage;
    const touches = this.touches;
    this.usage = new Map();
    this.touches = new Map();
    this.pendingCount = 0;
    const result: FlushResult = { tenants: 0, usageRows: 0, tokens: 0 };
    for (const tenantId of new Set([...usage.keys(), ...touches.keys()])) {
      const rows = [...(usage.get(tenantId)?.values() ?? [])].flatMap((byNode) => [...byNode.values()]);
      const tokens = [...(touches.get(tenantId)?.entries() ?? [])];
      try {
        await inTenant(this.opts.pool, tenantId, async (client) => {
          if (rows.length) {
            const r = await client.query(INSERT_USAGE, [tenantId, rows.map((p) => p.consumerId), rows.map((p) => p.day),
              rows.map((p) => p.node), rows.map((p) => p.count), rows.map((p) => new Date(p.last))]);
            result.usageRows += r.rowCount ?? 0;
          }
          if (tokens.length) {
            const r = await client.query(TOUCH_TOKENS, [tenantId, tokens.map(([id]) => id), tokens.map(([, at]) => at)]);
            result.tokens += r.rowCount ?? 0;
          }
        });
        result.tenants += 1;
      } catch (err) {
        this.opts.onError?.(err);
        for (const p of rows) this.addTo(this.nodesOf(tenantId, p.consumerId, p.day), p.consumerId, p.day, p.node, p.count, p.last);
        for (const [id, at] of tokens) this.touches.get(tenantId)?.set(id, at) ?? this.touches.set(tenantId, new Map([[id, at]]));
      }
    }
    return result;
  }
}

const notedReads = new WeakMap<object, Set<UsageNode>>();

/**
 * Records that the request whose context is `ctx` read `node` (e.g. 'tag:high_value' for each tag a
 * `Member.tags` resolver returned). The usage plugin adds these to what it finds in the document.
 */
export function noteRead(ctx: object, node: UsageNode): void {
  let set = notedReads.get(requestKey(ctx));
  if (!set) notedReads.set(requestKey(ctx), (set = new Set()));
  set.add(node);
}

/** Nodes noted with noteRead for the request whose context is `ctx`. */
export function readsNoted(ctx: object): ReadonlySet<UsageNode> {
  return notedReads.get(requestKey(ctx)) ?? new Set();
}
