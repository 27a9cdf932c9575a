import type pg from 'pg';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs `fn` in one transaction as the pool's role (cdp_app) with app.tenant_id set, so background
 * writes of governance data (usage records, last-used times) go through row-level security like
 * requests do. BEGIN and the setting share one round trip; the tenant id is checked to be a UUID
 * before it is written as a literal (a parameterised statement cannot share a round trip).
 */
export async function inTenant<T>(pool: pg.Pool, tenantId: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  if (!UUID_RE.test(tenantId)) throw new Error('tenant id is not a uuid');
  const client = await pool.connect();
  try {
    await client.query(`begin; select set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`);
    const result = await fn(client);
    await client.query('commit');
    client.release();
    return result;
  } catch (err) {
    try {
      await client.query('rollback');
      client.release();
    } catch {
      client.release(err as Error); // the connection itself is broken: the pool drops it
    }
    throw err;
  }
}
