import pg from 'pg';
import type { Logger } from '../logger.js';

/** The channel revokeToken notifies, with payload 'tenantId:tokenId'. */
export const REVOCATION_CHANNEL = 'cdp_token_revoked';

/** A running LISTEN connection. */
export interface RevocationListener {
  stop(): Promise<void>;
}

/**
 * Keeps one LISTEN connection per gateway process on cdp_token_revoked and calls `onRevoked` with
 * each 'tenantId:tokenId'. Reconnects with back-off when the connection drops; after every
 * (re)connect it calls `onConnected`, so the caller can re-check what it may have missed meanwhile.
 */
export function listenForRevocations(config: pg.ClientConfig, onRevoked: (key: string) => void, log: Logger,
  onConnected: () => void = () => undefined): RevocationListener {
  let client: pg.Client | undefined;
  let stopped = false;
  let delay = 250;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client(config);
    client = c;
    c.on('notification', (msg) => {
      if (msg.channel === REVOCATION_CHANNEL && msg.payload) onRevoked(msg.payload);
    });
    c.on('error', (err) => {
      log.warn({ err }, 'revocation listener connection failed');
      retry(c);
    });
    c.on('end', () => retry(c));
    try {
      await c.connect();
      await c.query(`listen ${REVOCATION_CHANNEL}`);
      delay = 250;
      onConnected();
    } catch (err) {
      log.warn({ err }, 'revocation listener could not connect');
      retry(c);
    }
  };
  const retry = (c: pg.Client) => {
    if (stopped || client !== c) return;
    client = undefined;
    c.end().catch(() => undefined);
    timer = setTimeout(() => void connect(), delay);
    timer.unref();
    delay = Math.min(delay * 2, 10_000);
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
