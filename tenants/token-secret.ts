import { hash, randomBytes } from 'node:crypto';

export interface TokenSecret {
  /** Shown once to the caller; never stored. */
  token: string;
  /** What is stored: SHA-256 of the token text. */
  sha256: Buffer;
  /** The first characters, stored to recognise a token in lists. */
  prefix: string;
}

/** A new 256-bit random token `cdp_<base64url>`. */
export function newTokenSecret(): TokenSecret {
  const token = `cdp_${randomBytes(32).toString('base64url')}`;
  return { token, sha256: hashToken(token), prefix: token.slice(0, 12) };
}

/** SHA-256 of a token's text. A 256-bit random secret needs no slow hash: it cannot be guessed. */
export function hashToken(token: string): Buffer {
  return hash('sha256', token, 'buffer'); // one call, no Hash object (once per request)
}
