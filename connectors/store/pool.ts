import pg from 'pg';

// numeric and bigint come back as strings by default; money stays a string (exact), counts become numbers
// where the caller casts them to int. timestamptz stays a Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/** The role every tenant query runs as: owns nothing, cannot bypass row-level security. */
export const APP_ROLE = 'cdp_app';

export interface Pools {
  /** Connects as the database owner: migrations, bulk seeding, platform set-up. Never serves a request. */
  admin: pg.Pool;
  /** Every session runs as cdp_app; use through withTenant. */
  app: pg.Pool;
  /**
   * GraphQL requests over HTTP only, through gateway/request-context.ts: sessions run as cdp_app,
   * and a read request leaves its tenant set for the session, so nothing else may check out of it
   * (every checkout there starts with the call that resets the setting).
   */
  request: pg.Pool;
  /** How to open a dedicated application-role connection (LISTEN) outside the pool. */
  appConnection: { connectionString: string; options?: string };
  close(): Promise<void>;
}

export interface PoolOptions {
  /** The owner's connection string (DATABASE_URL or the embedded database). */
  url: string;
  /** A connection string that logs in as cdp_app itself; when unset, the owner's sessions SET ROLE cdp_app. */
  appUrl?: string;
  max?: number;
}

/** Opens the owner pool and the application pool. */
export function createPools(opts: PoolOptions): Pools {
  const admin = new pg.Pool({ connectionString: opts.url, max: 4 });
  // Without a login of its own, every application session starts with `role = cdp_app` as a
  // start-up option: from its first statement it has cdp_app's privileges and RLS applies.
  const appConnection = {
    connectionString: opts.appUrl ?? opts.url,
    ...(opts.appUrl ? {} : { options: `-c role=${APP_ROLE}` }),
  };
  const app = new pg.Pool({ ...appConnection, max: opts.max ?? 10 });
  const request = new pg.Pool({ ...appConnection, max: opts.max ?? 10 });
  for (const pool of [admin, app, request]) pool.on('error', () => undefined);
  return {
    admin,
    app,
    request,
    appConnection,
    async close() {
      await Promise.allSettled([admin.end(), app.end(), request.end()]);
    },
  };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Statement that opens a transaction and sets the tenant for it, in one round trip. The tenant id
 * comes from the token look-up, never from request text, and is checked to be a UUID before it is
 * written as a literal: a parameterised statement cannot share a round trip with BEGIN.
 */
export function beginForTenant(tenantId: string): string {
  if (!UUID_RE.test(tenantId)) throw new Error('tenant id is not a uuid');
  return `begin; select set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`;
}

/**
 * Runs `fn` in one transaction on the application pool with `app.tenant_id` set to `tenantId`
 * (transaction-local). Commits when `fn` resolves, rolls back when it throws.
 */
export async function withTenant<T>(pool: pg.Pool, tenantId: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTenantTransaction(client, tenantId, fn);
  } finally {
    client.release();
  }
}

/** withTenant on a connection the caller holds (one connection for several transactions). */
export async function inTenantTransaction<C extends pg.ClientBase, T>(client: C, tenantId: string, fn: (client: C) => Promise<T>): Promise<T> {
  try {
    // inside the try: a BEGIN whose tenant setting failed leaves an aborted transaction to roll back
    await client.query(beginForTenant(tenantId));
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** Anything that runs a parameterised statement: a pool client, a request's db, a pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}
