import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { authenticateRead, beginAuthenticated, bearerToken } from '../tenants/auth.js';
import { createLoaders } from '../resolvers/loaders.js';
import { preparedName } from '../resolvers/prepared.js';
import type { Context, RequestDb, Services } from '../resolvers/context.js';
import { safeError, ErrorCode } from './errors.js';

/** A request's context plus the means to end its transaction. */
export interface RequestScope {
  context: Context;
  /** Commits (or rolls back) and releases the connection; safe to call twice. */
  finish(commit: boolean): Promise<void>;
}

export interface RequestContextOptions {
  /**
   * The request pool: only request scopes check connections out of it, because a read request
   * leaves the tenant set for the connection's session (each checkout starts by resetting it).
   */
  pool: pg.Pool;
  services: Services;
  /** Called with the text of every statement the request runs (tests count them). */
  onStatement?: (text: string, values?: readonly unknown[]) => void;
  /**
   * A read-only request (a query operation the planner vouched for): opened without a transaction,
   * authenticated and given its tenant in one round trip; its statements run in autocommit (each
   * sees its own snapshot, as under READ COMMITTED in a transaction). Otherwise: a transaction with a
   * transaction-local tenant.
   */
  readOnly?: boolean;
}

const AUTH_MESSAGES = {
  MISSING: 'missing Authorization: Bearer <token>',
  MALFORMED: 'malformed bearer token',
  UNKNOWN: 'unknown token',
  REVOKED: 'token revoked',
} as const;

/**
 * Authenticates the request and opens it on one pooled connection, in one round trip: a
 * transaction with app.tenant_id set (or, for a read, the session setting). Every statement of the request then runs as cdp_app with the tenant set, so row-level
 * security applies to all of it.
 */
export async function openRequestScope(authorization: string | undefined, opts: RequestContextOptions): Promise<RequestScope> {
  const bearer = bearerToken(authorization);
  if ('failure' in bearer) throw safeError(ErrorCode.UNAUTHENTICATED, AUTH_MESSAGES[bearer.failure]);
  const client = await opts.pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (!released) client.release(err);
    released = true;
  };
  const read = opts.readOnly === true;
  let principal;
  try {
    principal = read ? await authenticateRead(client, bearer.token) : await beginAuthenticated(client, bearer.token);
  } catch (err) {
    release(err as Error);
    throw err;
  }
  if ('failure' in principal) {
    release();
    throw safeError(ErrorCode.UNAUTHENTICATED, AUTH_MESSAGES[principal.failure]);
  }
  // A connection runs one statement at a time; DataLoader batches arrive together, so statements
  // queue here in order (pg's own queueing of concurrent calls is deprecated).
  let queue: Promise<unknown> = Promise.resolve();
  const db: RequestDb = {
    query: (text, values) => {
      opts.onStatement?.(text, values);
      const name = preparedName(text); // hot read statements: parsed and planned once per connection
      const run = () => (name ? client.query({ name, text, values: values as unknown[] }) : client.query(text, values as unknown[]));
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result as Promise<any>;
    },
  };
  const p = principal;
  const tenantId = () => (p.kind === 'consumer' ? p.tenantId : '00000000-0000-0000-0000-000000000000');
  const context: Context = { principal: p, db, loaders: createLoaders(db, tenantId), requestId: randomUUID(), services: opts.services };
  return {
    context,
    async finish(commit) {
      if (released) return;
      if (read) {
        // autocommit: nothing to end; a statement still running (a client gone mid-request) holds
        // the connection, so wait for the queue before handing it back
        await queue;
        return release();
      }
      try {
        await client.query(commit ? 'commit' : 'rollback');
        release();
      } catch (err) {
        release(err as Error);
      }
    },
  };
}
