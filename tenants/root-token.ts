import type pg from 'pg';
import { hashToken, newTokenSecret } from './token-secret.js';

/**
 * Makes sure the platform root token exists. With `configured` (CDP_ROOT_TOKEN) its hash is stored
 * (replacing an earlier one); without, a token is generated on first start and returned once so the
 * caller can print it. Only the SHA-256 is ever stored.
 */
export async function ensureRootToken(admin: pg.Pool, configured?: string): Promise<{ generated?: string }> {
  if (configured) {
    await admin.query(
      `insert into platform_settings (key, value) values ('root_token_sha256', $1)
       on conflict (key) do update set value = excluded.value, updated_at = now()`,
      [hashToken(configured).toString('hex')],
    );
    return {};
  }
  const secret = newTokenSecret();
  const r = await admin.query(
    `insert into platform_settings (key, value) values ('root_token_sha256', $1) on conflict (key) do nothing`,
    [secret.sha256.toString('hex')],
  );
  return r.rowCount === 1 ? { generated: secret.token } : {};
}
