import type pg from 'pg';
import type { Principal } from '../tenants/auth.js';
import type { Loaders } from './loaders.js';

/** The request's database access: every statement runs in the request's tenant transaction. */
export interface RequestDb {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** What every resolver receives. */
export interface Context {
  principal: Principal;
  /** The tenant of a consumer principal; resolvers that need one call tenantOf(ctx). */
  db: RequestDb;
  loaders: Loaders;
  requestId: string;
}
