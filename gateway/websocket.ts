import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { bearerToken, beginAuthenticated, type Principal } from '../tenants/auth.js';
import { createLoaders } from '../resolvers/loaders.js';
import type { Context, RequestDb, Services } from '../resolvers/context.js';
import type { Logger } from './logger.js';
import type { Governance } from './plugins/index.js';
import { listenForRevocations } from './plugins/revocation.js';

/** graphql-ws close codes of ours (4400-4499 are the protocol's; 4500+ are free for applications). */
export enum CloseCode {
  Unauthorized = 4401,
  Forbidden = 4403,
  GoingAway = 1001,
}

export interface WebsocketGateway {
  wss: WebSocketServer;
  /** Closes every socket with a reason and stops accepting. */
  close(reason: string): Promise<void>;
}

/**
 * graphql-ws on the HTTP server's port and path. The token comes in connection_init
 * `{ authorization: "Bearer <token>" }`; each subscription's statements run in short transactions
 * of their own with the token's tenant set (a subscription lives too long to hold one open).
 */
export function attachWebsocket(server: http.Server, schema: GraphQLSchema, pool: pg.Pool, services: Services, log: Logger,
  governance?: Governance): WebsocketGateway {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const tokens = trackTokens(pool, log);
  const disposable = useServer<{ authorization?: string }, { principal?: Principal }>(
    {
      schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const principal = await authenticate(pool, authorization);
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = principal;
        if (principal.kind === 'consumer') {
          tokens.add(principal, String(authorization), ctx.extra.socket);
          governance?.recorder.touchToken(principal.tenantId, principal.tokenId);
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const principal = ctx.extra.principal;
        if (!governance || !principal) return;
        const errors = await governance.checkSubscription(principal, payload.query, payload.variables ?? undefined,
          payload.operationName ?? undefined, schema);
        if (errors) return errors;
      },
      context: (ctx): Context => {
        const principal = ctx.extra.principal!;
        const tenantId = principal.kind === 'consumer' ? principal.tenantId : '00000000-0000-0000-0000-000000000000';
        const db: RequestDb = {
          query: async (text, values) => {
            const client = await pool.connect();
            try {
              await client.query(`begin; select set_config('app.tenant_id', '${tenantId}', true)`);
              const r = await client.query(text, values as unknown[]);
              await client.query('commit');
              return r;
            } catch (err) {
              await client.query('rollback').catch(() => undefined);
              throw err;
            } finally {
              client.release();
            }
          },
        };
        const socket = ctx.extra.socket;
        return {
          principal, db, loaders: createLoaders(db, () => tenantId), requestId: randomUUID(), services,
          connection: { bufferedAmount: () => socket.bufferedAmount, close: (code, reason) => socket.close(code, reason) },
        };
      },
      onError: (_ctx, _id, _payload, errors) => {
        log.warn({ errors: errors.map((e) => e.message) }, 'subscription error');
      },
    },
    wss,
  );
  return {
    wss,
    async close(reason) {
      await tokens.stop();
      for (const socket of wss.clients) socket.close(CloseCode.GoingAway, reason);
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * Which sockets each token holds, and a LISTEN on cdp_token_revoked that closes a revoked token's
 * sockets with 4403 'token revoked' on every gateway process. After the listener (re)connects, every
 * open socket's token is looked up again, so a revocation missed while it was down still closes.
 */
function trackTokens(pool: pg.Pool, log: Logger) {
  const byToken = new Map<string, Set<WebSocket>>();
  const secrets = new Map<WebSocket, string>();
  const closeAll = (key: string) => {
    for (const socket of byToken.get(key) ?? []) socket.close(CloseCode.Forbidden, 'token revoked');
  };
  const recheck = async () => {
    for (const [socket, authorization] of secrets) {
      if (!(await authenticate(pool, authorization).catch(() => true))) socket.close(CloseCode.Forbidden, 'token revoked');
    }
  };
  const listener = listenForRevocations({ ...pool.options }, closeAll, log, () => void recheck());
  return {
    add(p: Extract<Principal, { kind: 'consumer' }>, authorization: string, socket: WebSocket) {
      const key = `${p.tenantId}:${p.tokenId}`;
      let set = byToken.get(key);
      if (!set) byToken.set(key, (set = new Set()));
      set.add(socket);
      secrets.set(socket, authorization);
      socket.once('close', () => {
        set.delete(socket);
        if (set.size === 0) byToken.delete(key);
        secrets.delete(socket);
      });
    },
    stop: () => listener.stop(),
  };
}

async function authenticate(pool: pg.Pool, authorization: string | undefined): Promise<Principal | null> {
  const bearer = bearerToken(authorization);
  if ('failure' in bearer) return null;
  const client = await pool.connect();
  try {
    const p = await beginAuthenticated(client, bearer.token);
    if ('failure' in p) return null;
    await client.query('commit');
    return p;
  } finally {
    client.release();
  }
}
