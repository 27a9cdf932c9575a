/** The demo tenant: 10,000 members from seed 42 and an admin token shown once. */

import type pg from 'pg';
import { newTokenSecret } from './token-secret.js';
import { loadTenantData, removingTenantOnFailure, validateSeedOptions, type ProgressListener, type SeedSummary } from './seed-tenant.js';
import { progressBars } from './progress-bar.js';

/** Name of the demo tenant. */
export const DEMO_TENANT = 'demo';
/** The demo's fixed seed and shape: 6 orders and 20 events per member on average. */
export const DEMO_SEED = { seed: 42, members: 10_000, ordersPerMember: 6, eventsPerMember: 20 } as const;

/** Options of seedDemo; all optional. */
export interface DemoOptions {
  /** Reference time (default: start of the current UTC day, so "last 30 days" stays populated). */
  now?: Date;
  /** Tenant name (default "demo"). */
  tenantName?: string;
  /** Member count (default 10,000; tests use fewer). */
  members?: number;
  onProgress?: ProgressListener;
  /** Draw progress bars on stderr (e.g. when stdout is a terminal). */
  progress?: boolean;
}

/**
 * Creates a tenant with an 'admin' consumer and an admin token, returning its id and the token's
 * secret (the only time it exists in clear: the database keeps its SHA-256 and 12-character prefix).
 * Throws when a tenant of that name exists.
 */
export async function createTenantWithAdminToken(pool: pg.Pool, name: string): Promise<{ tenantId: string; adminToken: string }> {
  const secret = newTokenSecret();
  const client = await pool.connect();
  try {
    await client.query('begin');
    const exists = await client.query('select 1 from tenants where name = $1', [name]);
    if (exists.rowCount) throw new Error(`tenant "${name}" already exists`);
    // cdp_create_tenant sets app.tenant_id for the rest of this transaction only
    const r = await client.query<{ id: string }>('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix]);
    await client.query('commit');
    return { tenantId: r.rows[0].id, adminToken: secret.token };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Creates the demo tenant (seed 42, 6 orders and 20 events per member) with its admin token and
 * loads its data. Returns the token's secret once; the caller prints it. On failure the tenant is
 * removed again. Data is deterministic for a given `now` day; the scripted showcase members
 * (showcase.ts) are the tenant's five lowest member ids.
 */
export async function seedDemo(pool: pg.Pool, opts: DemoOptions = {}): Promise<{ tenantId: string; adminToken: string; summary: SeedSummary }> {
  const bars = opts.progress ? progressBars() : undefined;
  const onProgress: ProgressListener | undefined = bars || opts.onProgress ? (done, total, phase) => {
    bars?.listener(done, total, phase);
    opts.onProgress?.(done, total, phase);
  } : undefined;
  const load = { ...DEMO_SEED, members: opts.members ?? DEMO_SEED.members, now: opts.now, onProgress };
  validateSeedOptions(load);
  const { tenantId, adminToken } = await createTenantWithAdminToken(pool, opts.tenantName ?? DEMO_TENANT);
  try {
    const summary = await removingTenantOnFailure(pool, tenantId, () => loadTenantData(pool, tenantId, load));
    return { tenantId, adminToken, summary };
  } finally {
    bars?.stop();
  }
}
