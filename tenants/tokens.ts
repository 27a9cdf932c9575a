import type { Queryable } from './audit.js';
import { newTokenSecret } from './token-secret.js';

/** What issueToken returns: the secret is in `token`, shown this once. */
export interface IssuedToken {
  id: string;
  token: string;
  consumer: string;
  scopes: string[];
  ratePerMinute: number;
}

/** Cost points per minute of a token issued without a rate plan. */
export const DEFAULT_RATE_PER_MINUTE = 60_000;

/**
 * Issues a token for `consumer` (created on first use) in the caller's tenant transaction.
 * The secret is returned once; only its SHA-256 is stored.
 */
export async function issueToken(db: Queryable, tenantId: string, consumer: string, scopes: string[], ratePerMinute?: number): Promise<IssuedToken> {
  const secret = newTokenSecret();
  const unique = [...new Set(scopes)];
  const rate = ratePerMinute ?? DEFAULT_RATE_PER_MINUTE;
  const r = await db.query(
    `with c as (
       insert into consumers (tenant_id, name) values ($1, $2)
       on conflict (tenant_id, name) do update set name = excluded.name
       returning consumer_id)
     insert into tokens (tenant_id, consumer_id, secret_sha256, prefix, scopes, rate_per_minute)
     select $1, c.consumer_id, $3, $4, $5, $6 from c
     returning token_id`,
    [tenantId, consumer, secret.sha256, secret.prefix, unique, rate],
  );
  return { id: String(r.rows[0].token_id), token: secret.token, consumer, scopes: unique, ratePerMinute: rate };
}

/** The state of a token as an admin sees it (never its secret). */
export interface TokenRow {
  token_id: string;
  consumer_name: string;
  prefix: string;
  scopes: string[];
  rate_per_minute: number;
  status: 'active' | 'revoked';
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const TOKEN_COLUMNS = `k.token_id, c.name as consumer_name, k.prefix, k.scopes, k.rate_per_minute, k.status,
  k.created_at, k.last_used_at, k.revoked_at`;

/**
 * Revokes a token of the caller's tenant and tells every gateway process (pg_notify, delivered at
 * commit) so they close its websockets. Returns the token as it was, or null when no active token of
 * this tenant has that id.
 */
export async function revokeToken(db: Queryable, tenantId: string, tokenId: string): Promise<TokenRow | null> {
  const r = await db.query(
    `with k as (
       update tokens set status = 'revoked', revoked_at = now()
        where tenant_id = $1 and token_id = $2 and status = 'active'
        returning *)
     select ${TOKEN_COLUMNS} from k join consumers c on c.tenant_id = k.tenant_id and c.consumer_id = k.consumer_id`,
    [tenantId, tokenId],
  );
  if (r.rowCount !== 1) return null;
  await db.query(`select pg_notify('cdp_token_revoked', $1)`, [`${tenantId}:${tokenId}`]);
  return { ...r.rows[0], status: 'active', revoked_at: null };
}

/** The tenant's tokens, newest first; revoked ones only when asked. */
export async function listTokens(db: Queryable, tenantId: string, opts: { consumer?: string | null; includeRevoked?: boolean } = {}): Promise<TokenRow[]> {
  const r = await db.query(
    `select ${TOKEN_COLUMNS} from tokens k join consumers c on c.tenant_id = k.tenant_id and c.consumer_id = k.consumer_id
      where k.tenant_id = $1 and ($2::text is null or c.name = $2) and ($3 or k.status = 'active')
      order by k.token_id desc`,
    [tenantId, opts.consumer ?? null, opts.includeRevoked ?? false],
  );
  return r.rows;
}

/** A consumer with its token counts, last use and reads (from usage_records). */
export interface ConsumerRow {
  consumer_id: string;
  name: string;
  description: string | null;
  created_at: Date;
  active_tokens: number;
  last_used_at: Date | null;
  last_read_at: Date | null;
  reads: string;
}

/** The tenant's consumers by name. */
export async function listConsumers(db: Queryable, tenantId: string): Promise<ConsumerRow[]> {
  const r = await db.query(
    `select c.consumer_id, c.name, c.description, c.created_at,
            (select count(*)::int from tokens k where k.tenant_id = c.tenant_id and k.consumer_id = c.consumer_id and k.status = 'active') as active_tokens,
            (select max(k.last_used_at) from tokens k where k.tenant_id = c.tenant_id and k.consumer_id = c.consumer_id) as last_used_at,
            (select max(u.last_seen) from usage_records u where u.tenant_id = c.tenant_id and u.consumer_id = c.consumer_id) as last_read_at,
            (select coalesce(sum(u.count), 0) from usage_records u where u.tenant_id = c.tenant_id and u.consumer_id = c.consumer_id) as reads
       from consumers c where c.tenant_id = $1 order by c.name`,
    [tenantId],
  );
  return r.rows;
}

/** Thrown by createTenant when the name is taken. */
export class TenantExistsError extends Error {}

/**
 * Creates a tenant with an admin consumer and token (platform root only). The caller's transaction
 * then has app.tenant_id set to the new tenant. Throws TenantExistsError for a taken name (the
 * transaction is then aborted and must be rolled back).
 */
export async function createTenant(db: Queryable, name: string): Promise<{ tenantId: string; adminToken: string }> {
  const secret = newTokenSecret();
  try {
    const r = await db.query('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix]);
    return { tenantId: r.rows[0].id, adminToken: secret.token };
  } catch (err) {
    // the root session cannot see tenants (no app.tenant_id), so a taken name shows as this violation
    if ((err as { code?: string }).code === '23505') throw new TenantExistsError(name);
    throw err;
  }
}
