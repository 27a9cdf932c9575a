/**
 * Seeding a tenant with generated members, identities, orders, items and events, streamed through
 * COPY. The data is a pure function of (seed, members, ratios, now): the same inputs give the same
 * rows, apart from the tenant id and the offsets of the reserved id blocks.
 */

import type pg from 'pg';
import { makeContext, planTenant, type Ratios, type SeedContext } from './context.js';
import { seedKey as seedKeyOf } from './prng.js';
import { loadIdentities, loadMembersOrdersEvents, type LoadedRows, type ProgressListener } from './load-passes.js';

export type { ProgressListener, SeedPhase } from './load-passes.js';

/** Options of seedTenant and loadTenantData. */
export interface SeedOptions {
  /** Number of members (1 ..= 100,000,000). */
  members: number;
  /** Seed of the generator (a non-negative safe integer). */
  seed: number;
  /**
   * Reference time: all generated activity lies on China-time days before the day `now` falls on.
   * Default: the start of the current UTC day. Changing it only shifts every timestamp by whole days.
   */
  now?: Date;
  /** Average orders per member (default 10). */
  ordersPerMember?: number;
  /** Average events per member (default 30). */
  eventsPerMember?: number;
  onProgress?: ProgressListener;
}

/** What a seed wrote. */
export interface SeedSummary extends LoadedRows {
  tenantId: string;
  seconds: number;
}

/** Default ratios of `npm run seed` (the scale target: 10 orders and 30 events per member). */
export const DEFAULT_RATIOS: Ratios = { ordersPerMember: 10, eventsPerMember: 30 };

/**
 * Creates tenant `tenantName` (no consumers or tokens) and loads generated data into it. Throws when
 * a tenant of that name exists. On failure the tenant and every row written for it are removed.
 */
export async function seedTenant(pool: pg.Pool, opts: SeedOptions & { tenantName: string }): Promise<SeedSummary> {
  validateSeedOptions(opts);
  const exists = await pool.query('select 1 from tenants where name = $1', [opts.tenantName]);
  if (exists.rowCount) throw new Error(`tenant "${opts.tenantName}" already exists`);
  const created = await pool.query<{ tenant_id: string }>('insert into tenants (name) values ($1) returning tenant_id', [opts.tenantName]);
  const tenantId = created.rows[0].tenant_id;
  return removingTenantOnFailure(pool, tenantId, () => loadTenantData(pool, tenantId, opts));
}

/**
 * `fn()`; when it fails, tenant `tenantId` and every row of it go (best effort: a database that is
 * already gone keeps them) and the error is rethrown. For a tenant created to be filled by `fn`.
 */
export async function removingTenantOnFailure<T>(pool: pg.Pool, tenantId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await pool.query('delete from tenants where tenant_id = $1', [tenantId]).catch(() => undefined);
    throw err;
  }
}

/**
 * Loads generated data into the existing tenant `tenantId` through `pool` (the owner: COPY runs
 * without row-level security, and every row carries tenant_id). Opens up to four connections of its
 * own with the pool's settings. Reserves id blocks from the members, orders and events sequences so
 * that COPY can supply ids, then ANALYZEs the tables. On failure (including an error thrown by
 * onProgress), deletes the rows it wrote, keeps the tenant and its other rows, and rethrows.
 */
export async function loadTenantData(pool: pg.Pool, tenantId: string, opts: SeedOptions): Promise<SeedSummary> {
  validateSeedOptions(opts);
  const started = performance.now();
  const ratios: Ratios = {
    ordersPerMember: opts.ordersPerMember ?? DEFAULT_RATIOS.ordersPerMember,
    eventsPerMember: opts.eventsPerMember ?? DEFAULT_RATIOS.eventsPerMember,
  };
  const progress = opts.onProgress ?? (() => undefined);
  const ctxPlan = planTenant(opts.members, seedKeyOf(opts.seed), ratios);
  const [memberIdBase, orderIdBase, eventIdBase] = await Promise.all([
    reserveIds(pool, 'members', 'member_id', opts.members),
    reserveIds(pool, 'orders', 'order_id', ctxPlan.orderStart[opts.members]),
    reserveIds(pool, 'events', 'id', ctxPlan.eventStart[opts.members]),
  ]);
  const ctx = makeContext({ tenantId, members: opts.members, seed: opts.seed, now: opts.now ?? startOfUtcDay(new Date()),
    ratios, memberIdBase, orderIdBase, eventIdBase, plan: ctxPlan });
  try {
    const rows = await loadMembersOrdersEvents(pool.options, ctx, progress);
    const identities = await loadIdentities(pool.options, ctx, progress);
    progress(0, 1, 'analyze');
    await analyzeChanged(pool, { ...rows, identities });
    progress(1, 1, 'analyze');
    return { tenantId, ...rows, identities, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    await deleteLoadedRows(pool, ctx).catch(() => undefined);
    throw err;
  }
}

/**
 * Reserves `count` consecutive values of the column's identity sequence and returns the first. The
 * nextval and setval run in one statement; a concurrent insert elsewhere could still take a value
 * inside the block, which is harmless here: every primary key leads with tenant_id, and the block
 * belongs to a tenant nobody else writes to during the seed.
 */
async function reserveIds(pool: pg.Pool, table: string, column: string, count: number): Promise<number> {
  if (count === 0) return 1;
  const r = await pool.query<{ last: string }>(
    `select setval(s, nextval(s) + $1::bigint - 1) as last from pg_get_serial_sequence($2, $3) as s`, [count, table, column]);
  return Number(r.rows[0].last) - count + 1;
}

/**
 * Deletes the rows a failed load wrote: only ids inside its reserved blocks, so rows the tenant
 * already had are kept.
 */
async function deleteLoadedRows(pool: pg.Pool, ctx: SeedContext): Promise<void> {
  const members = [ctx.tenantId, ctx.memberIdBase, ctx.memberIdBase + ctx.members];
  const orders = [ctx.tenantId, ctx.orderIdBase, ctx.orderIdBase + ctx.orderStart[ctx.members]];
  await pool.query('delete from identities where tenant_id = $1 and member_id >= $2 and member_id < $3', members);
  await pool.query('delete from order_items where tenant_id = $1 and order_id >= $2 and order_id < $3', orders);
  await pool.query('delete from orders where tenant_id = $1 and order_id >= $2 and order_id < $3', orders);
  await pool.query('delete from events where tenant_id = $1 and id >= $2 and id < $3',
    [ctx.tenantId, ctx.eventIdBase, ctx.eventIdBase + ctx.eventStart[ctx.members]]);
  await pool.query('delete from members where tenant_id = $1 and member_id >= $2 and member_id < $3', members);
}

/**
 * ANALYZEs the tables the load changed noticeably (by 10 % or more of the rows the planner knows
 * of, or never analyzed): fresh statistics right after a big load, no sampling of a huge shared
 * table for a small seed.
 */
async function analyzeChanged(pool: pg.Pool, rows: LoadedRows): Promise<void> {
  const written: Record<string, number> = { members: rows.members, identities: rows.identities, orders: rows.orders,
    order_items: rows.items, events: rows.events };
  const known = await pool.query<{ relname: string; reltuples: number }>(
    `select relname, reltuples from pg_class where oid = any(array['members', 'identities', 'orders', 'order_items', 'events']::regclass[])`);
  const stale = known.rows.filter((r) => r.reltuples <= 0 || written[r.relname] >= 0.1 * r.reltuples).map((r) => r.relname);
  if (stale.length > 0) await pool.query(`analyze ${stale.join(', ')}`);
}

/** Throws a readable error for out-of-range options. */
export function validateSeedOptions(opts: SeedOptions): void {
  const whole = (v: number, lo: number, hi: number): boolean => Number.isSafeInteger(v) && v >= lo && v <= hi;
  if (!whole(opts.members, 1, 100_000_000)) throw new RangeError(`members must be an integer from 1 to 100000000, got ${opts.members}`);
  if (!whole(opts.seed, 0, Number.MAX_SAFE_INTEGER)) throw new RangeError(`seed must be a non-negative integer, got ${opts.seed}`);
  for (const [name, v] of [['ordersPerMember', opts.ordersPerMember], ['eventsPerMember', opts.eventsPerMember]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1000)) throw new RangeError(`${name} must be a number from 0 to 1000, got ${v}`);
  }
  if (opts.now !== undefined && Number.isNaN(opts.now.getTime())) throw new RangeError('now is not a valid date');
}

/** 00:00 UTC of the day `d` falls on. */
export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}
