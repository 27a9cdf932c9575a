import type pg from 'pg';
import type { Principal } from '../tenants/auth.js';
import type { ChangeHub } from '../connectors/changes/change-hub.js';
import type { Loaders } from './loaders.js';

/** The request's database access: every statement runs in the request's tenant transaction. */
export interface RequestDb {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Long-lived parts of the gateway process that resolvers use. */
export interface Services {
  changes: ChangeHub;
}

/** The websocket a subscription runs on (absent for HTTP requests). */
export interface SubscriptionConnection {
  /** Bytes queued on the socket and not yet written. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** What every resolver receives. */
export interface Context {
  principal: Principal;
  db: RequestDb;
  loaders: Loaders;
  requestId: string;
  services: Services;
  connection?: SubscriptionConnection;
}
