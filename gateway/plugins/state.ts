import type { GraphQLError } from 'graphql';
import type { Principal } from '../../tenants/auth.js';
import type { RequestBudget } from '../../tenants/rate-limit.js';
import type { Analysis } from './analyze.js';
import { requestKey } from '../../tenants/request-key.js';

/** What the governance plugins learn about one request, keyed by its context object. */
export interface RequestState {
  analysis?: Analysis;
  /** The planner already checked the limits and NUL characters (gateway/request-plan.ts). */
  planned?: boolean;
  /** The budget after this request's charge (or the refusal). */
  budget?: RequestBudget;
  /** The operation passed every check and went on to execute. */
  executed: boolean;
  /** willSendResponse ran: the response carries extensions.cost and was counted in metrics. */
  responded: boolean;
  operation?: 'query' | 'mutation' | 'subscription';
  /** A limit broken before validation: the response carries this error instead of what Apollo found. */
  rejected?: GraphQLError;
}

const states = new WeakMap<object, RequestState>();

/** The state of the request whose context (or a copy of it) is `ctx`, created on first use. */
export function stateOf(ctx: object): RequestState {
  const key = requestKey(ctx);
  let s = states.get(key);
  if (!s) states.set(key, (s = { executed: false, responded: false }));
  return s;
}

/** The consumer label of metrics: 'tenant/consumer' (consumer names repeat across tenants). */
export function consumerLabel(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  return p.kind === 'root' ? 'platform-root' : `${p.tenantName}/${p.consumerName}`;
}
