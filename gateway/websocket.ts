import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { bearerToken, beginAuthenticated, type Principal } from '../tenants/auth.js';
import { createLoaders } from '../resolvers/loaders.js';
import type { Context, RequestDb, Services } from '../resolvers/context.js';
import type { Logger } from './logger.js';

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
export function attachWebsocket(server: http.Server, schema: GraphQLSchema, pool: pg.Pool, services: Services, log: Logger): WebsocketGateway {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const disposable = useServer<{ authorization?: string }, { principal?: Principal }>(
    {
      schema,
      onConnect: async (ctx) => {
        const principal = await authenticate(pool, ctx.connectionParams?.authorization);
        if (!principal) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.principal = principal;
        return true;
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
      for (const socket of wss.clients) socket.close(CloseCode.GoingAway, reason);
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
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
