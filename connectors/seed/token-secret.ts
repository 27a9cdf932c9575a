/**
 * Token secrets for the seed: `cdp_` + base64url(32 random bytes), stored only as SHA-256 with the
 * first 12 characters as prefix. The format has one home, tenants/token-secret.ts; this re-export
 * keeps the seed's import path stable.
 */
export { newTokenSecret, hashToken, type TokenSecret } from '../../tenants/token-secret.js';
