import type pg from 'pg';
import { hashToken } from './token-secret.js';
import { budgetOf, type Budget } from './rate-limit.js';

/** Who is calling: a tenant's consumer, or the platform root. */
export type Principal =
  | {
      kind: 'consumer';
      tenantId: string;
      tenantName: string;
      tokenId: string;
      consumerId: string;
      consumerName: string;
      scopes: string[];
      ratePerMinute: number;
    }
  | { kind: 'root' };

export type AuthFailure = 'MISSING' | 'MALFORMED' | 'UNKNOWN' | 'REVOKED';

const TOKEN_RE = /^[A-Za-z0-9_\-]{16,200}$/;

/** The bearer token of an `Authorization` header, or a failure reason. */
export function bearerToken(header: string | undefined | null): { token: string } | { failure: AuthFailure } {
  if (!header) return { failure: 'MISSING' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || !TOKEN_RE.test(m[1])) return { failure: 'MALFORMED' };
  return { token: m[1] };
}

type PrincipalRow = {
  tenant_id: string; tenant_name: string; token_id: string | number; consumer_id: string | number; consumer_name: string;
  scopes: string[]; rate_per_minute: number; status: string;
};

function consumerOf(row: PrincipalRow): Principal {
  return {
    kind: 'consumer',
    tenantId: row.tenant_id,
    tenantName: row.tenant_name,
    tokenId: String(row.token_id),
    consumerId: String(row.consumer_id),
    consumerName: row.consumer_name,
    scopes: row.scopes,
    ratePerMinute: row.rate_per_minute,
  };
}

/**
 * Opens the request's transaction on `client` and authenticates `token` in the same round trip:
 * `cdp_authenticate` also sets app.tenant_id for the rest of the transaction, so row-level security
 * costs no extra round trip. Only a hash that is no tenant's token is checked against the platform
 * root token, in a second round trip (createTenant is rare; every other request saves that call).
 * On failure the transaction is rolled back and the reason returned. The hash is hex (0-9a-f only),
 * the one value this statement writes as a literal (a parameter cannot share a round trip with BEGIN).
 */
export async function beginAuthenticated(client: pg.ClientBase, token: string): Promise<Principal | { failure: AuthFailure }> {
  const hex = hashToken(token).toString('hex');
  const results = (await client.query(`begin; select * from cdp_authenticate('\\x${hex}'::bytea)`)) as unknown as pg.QueryResult[];
  const row = results[1].rows[0];
  if (row) {
    if (row.status !== 'active') {
      await client.query('rollback');
      return { failure: 'REVOKED' };
    }
    return consumerOf(row);
  }
  const root = await client.query(`select cdp_is_root_token('\\x${hex}'::bytea) as root`);
  if (root.rows[0]?.root) return { kind: 'root' };
  await client.query('rollback');
  return { failure: 'UNKNOWN' };
}

/** A read request's caller, and the budget after its cost was taken (absent when nothing was taken). */
export interface ReadAuthentication {
  principal: Principal;
  budget?: Budget;
}

/**
 * Authenticates `token` for a read-only request (a query operation) and takes `cost` points from its
 * bucket, in one round trip and without a transaction: `cdp_open_read` (migrations/040) sets
 * app.tenant_id for the connection's session, so the request's statements run in autocommit under
 * row-level security. Only for connections of the gateway's request pool, each of whose checkouts
 * starts with this call (which clears the setting before anything else). Nothing is taken when the
 * cost exceeds the token's plan or the token is revoked (budget absent). The root token is checked
 * in a second round trip, as in beginAuthenticated; it has no tenant, and its budget is charged apart.
 * As there, the hash is hex (0-9a-f) and the cost an integer: the only values written as literals.
 */
export async function authenticateRead(client: pg.ClientBase, token: string, cost: number): Promise<ReadAuthentication | { failure: AuthFailure }> {
  if (!Number.isSafeInteger(cost) || cost < 0) throw new Error('cost must be a non-negative integer');
  const hex = hashToken(token).toString('hex');
  const r = await client.query<PrincipalRow & { allowed: boolean | null; remaining: number | null; at: Date | null }>(
    `select * from cdp_open_read('\\x${hex}'::bytea, ${cost})`);
  const row = r.rows[0];
  if (row) {
    if (row.status !== 'active') return { failure: 'REVOKED' };
    const principal = consumerOf(row);
    if (row.allowed === null || row.remaining === null || row.at === null) return { principal };
    return { principal, budget: budgetOf(row.allowed, row.remaining, row.rate_per_minute, cost, row.at.getTime(), 'shared') };
  }
  const root = await client.query(`select cdp_is_root_token('\\x${hex}'::bytea) as root`);
  return root.rows[0]?.root ? { principal: { kind: 'root' } } : { failure: 'UNKNOWN' };
}
