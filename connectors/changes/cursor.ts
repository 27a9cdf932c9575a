/**
 * Change-log cursors: opaque to clients, a per-audience sequence number inside. `c1:<seq>` in
 * base64url, so a client cannot mistake it for a count and we can change the format later.
 */
export function encodeChangeCursor(seq: string | number | bigint): string {
  return Buffer.from(`c1:${seq}`, 'utf8').toString('base64url');
}

/** The sequence number in a cursor, or null when the text is not a cursor of ours. */
export function decodeChangeCursor(cursor: string): string | null {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const m = /^c1:(0|[1-9][0-9]{0,17})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? m[1] : null;
}
