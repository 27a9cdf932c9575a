import type pg from 'pg';
import { hashToken } from './token-secret.js';

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

/** A row of cdp_authenticate / cdp_open_read. */
export type PrincipalRow = {
  tenant_id: string; tenant_name: string; token_id: string | number; consumer_id: string | number; consumer_name: string;
  scopes: string[]; rate_per_minute: number; status: string;
};

/** The consumer a row of cdp_authenticate / cdp_open_read names (its status checked by the caller). */
export function consumerOf(row: PrincipalRow): Principal & { kind: 'consumer' } {
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

/**
 * The active token whose SHA-256 is `digest` (an SQL expression, a bind value) as a PrincipalRow, in
 * the session's tenant only: empty when the session carries no tenant or another tenant's (row-level
 * security and the explicit filter both say so), or when the token is unknown or revoked. A compiled
 * read (gateway/compiled-read.ts) selects from it on a connection that kept the tenant of an earlier
 * request, so that one statement both checks the token and answers it; on an empty answer it opens
 * the request with cdp_open_read as usual.
 */
export function sessionPrincipalSql(digest: string): string {
  return `select k.tenant_id, t.name as tenant_name, k.token_id, k.consumer_id, c.name as consumer_name, k.scopes,
           k.rate_per_minute, k.status
      from tokens k
      join consumers c on c.tenant_id = k.tenant_id and c.consumer_id = k.consumer_id
      join tenants t on t.tenant_id = k.tenant_id
     where k.tenant_id = cdp_current_tenant() and k.secret_sha256 = ${digest} and k.status = 'active'`;
}

// The tenant each request-pool connection's session was left with by cdp_open_read or a compiled
// read, as far as this process knows: a hint for choosing a compiled read's round trip, never a
// check (the statement checks). A client that is closed leaves the map with it.
const keptTenants = new WeakMap<pg.ClientBase, string>();

/** The tenant `client`'s session was left with (undefined: none, or not known). */
export function sessionTenantOf(client: pg.ClientBase): string | undefined {
  return keptTenants.get(client);
}

/** Notes the tenant `client`'s session now carries (undefined: none). */
export function noteSessionTenant(client: pg.ClientBase, tenantId: string | undefined): void {
  if (tenantId === undefined) keptTenants.delete(client);
  else keptTenants.set(client, tenantId);
}

/** The statement authenticateRead runs, prepared once per connection (also pipelined, gateway/compiled-read.ts). */
export const OPEN_READ = { name: 'cdp_open_read', text: 'select * from cdp_open_read($1)' } as const;

/**
 * Authenticates `token` for a read-only request (a query operation) in one round trip and without a
 * transaction: `cdp_open_read` (migrations/040) sets app.tenant_id for the connection's session, so
 * the request's statements run in autocommit under row-level security. Only for connections of the
 * gateway's request pool, each of whose checkouts starts with this call (which clears the setting
 * before anything else), or with a compiled read's statement, which checks its token in the tenant
 * the session kept (sessionPrincipalSql) and answers nothing otherwise. The root token is checked
 * in a second round trip, as in beginAuthenticated, and has no tenant. The digest is a bind value
 * of a statement prepared once per connection.
 */
export async function authenticateRead(client: pg.ClientBase, token: string): Promise<Principal | { failure: AuthFailure }> {
  const digest = hashToken(token);
  const row = (await client.query<PrincipalRow>({ ...OPEN_READ, values: [digest] })).rows[0];
  noteSessionTenant(client, row?.status === 'active' ? row.tenant_id : undefined);
  if (row) return row.status === 'active' ? consumerOf(row) : { failure: 'REVOKED' };
  const root = await client.query('select cdp_is_root_token($1) as root', [digest]);
  return root.rows[0]?.root ? { kind: 'root' } : { failure: 'UNKNOWN' };
}
