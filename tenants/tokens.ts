import type { RequestDb } from '../resolvers/context.js';
import { newTokenSecret } from './token-secret.js';

export interface IssuedToken {
  id: string;
  token: string;
  consumer: string;
  scopes: string[];
}

/**
 * Issues a token for `consumer` (created on first use) in the caller's tenant transaction.
 * The secret is returned once; only its SHA-256 is stored.
 */
export async function issueToken(db: RequestDb, tenantId: string, consumer: string, scopes: string[], ratePerMinute?: number): Promise<IssuedToken> {
  const secret = newTokenSecret();
  const r = await db.query<{ token_id: string }>(
    `with c as (
       insert into consumers (tenant_id, name) values ($1, $2)
       on conflict (tenant_id, name) do update set name = excluded.name
       returning consumer_id)
     insert into tokens (tenant_id, consumer_id, secret_sha256, prefix, scopes, rate_per_minute)
     select $1, c.consumer_id, $3, $4, $5, coalesce($6, 6000) from c
     returning token_id`,
    [tenantId, consumer, secret.sha256, secret.prefix, scopes, ratePerMinute ?? null],
  );
  return { id: String(r.rows[0].token_id), token: secret.token, consumer, scopes };
}

/** Revokes a token of the caller's tenant; false when no active token has that id. */
export async function revokeToken(db: RequestDb, tenantId: string, tokenId: string): Promise<boolean> {
  const r = await db.query(
    `update tokens set status = 'revoked', revoked_at = now()
      where tenant_id = $1 and token_id = $2 and status = 'active'`,
    [tenantId, tokenId],
  );
  if (r.rowCount === 1) await db.query(`select pg_notify('cdp_token_revoked', $1)`, [`${tenantId}:${tokenId}`]);
  return r.rowCount === 1;
}

/** Creates a tenant with an admin consumer and token (platform root only). */
export async function createTenant(db: RequestDb, name: string): Promise<{ tenantId: string; adminToken: string }> {
  const secret = newTokenSecret();
  const r = await db.query<{ id: string }>('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix]);
  return { tenantId: r.rows[0].id, adminToken: secret.token };
}
