import { getOperationAST, parse, type DocumentNode } from 'graphql';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { Context } from '../../resolvers/context.js';
import type { Principal } from '../../tenants/auth.js';
import { setRequestBudget, tokenBucketKey, type BucketStore, type RequestBudget } from '../../tenants/rate-limit.js';
import { analyzeOperation, type Analysis } from './analyze.js';
import { checkAnalysis, checkNul, checkSource, rateLimited, rewriteLimitErrors, tooComplex, type GovernanceLimits } from './limits.js';
import { stateOf } from './state.js';

/** The `extensions.cost` object of a response. */
export interface CostExtension {
  requested: number;
  limit: number;
  remaining: number;
  resetAt: string | null;
}

/** extensions.cost for a budget; zeros for a caller without one (no valid token). */
export function costExtension(budget: RequestBudget | undefined): CostExtension {
  if (!budget) return { requested: 0, limit: 0, remaining: 0, resetAt: null };
  return { requested: budget.cost, limit: budget.limit, remaining: budget.remaining, resetAt: budget.resetAt.toISOString() };
}

/** Takes `cost` points from the caller's bucket and remembers the result for the request. */
export async function charge(store: BucketStore, limits: GovernanceLimits, ctx: Context, cost: number): Promise<RequestBudget> {
  const { key, capacity } = bucketOf(ctx.principal, limits);
  const budget = { ...(await store.take(key, capacity, cost)), cost };
  stateOf(ctx).budget = budget;
  setRequestBudget(ctx, budget);
  return budget;
}

/**
 * Records the operation's analysis the planner made before Apollo ran (gateway/request-plan.ts), so
 * the plugin does not analyse the operation again.
 */
export function recordPlanned(ctx: Context, analysis: Analysis): void {
  const state = stateOf(ctx);
  state.analysis = analysis;
  state.planned = true;
}

/** The bucket of a principal: one per token; the root token shares one fixed budget. */
export function bucketOf(p: Principal, limits: GovernanceLimits): { key: string; capacity: number } {
  return p.kind === 'consumer'
    ? { key: tokenBucketKey(p.tenantId, p.tokenId), capacity: p.ratePerMinute }
    : { key: 'root', capacity: limits.rootRatePerMinute };
}

// What validation runs instead of a document that broke a limit before validation: one unknown
// field, so graphql-js does next to no work and Apollo neither executes nor caches anything.
const REJECTED_DOCUMENT = parse('{ __rejected_by_limits }');

/**
 * Cost and rate limits, before execution:
 * - the query text's size (recorded when the source is known, reported instead of any parse error);
 * - aliases, selections, depth and cost from the document before validation, so a bomb never
 *   reaches graphql-js's validation (whose overlapping-fields rule is quadratic): the document
 *   validated is swapped for a one-field stand-in and the response carries the limit's error;
 * - the cost, with the variables, once the operation is known (also for documents Apollo's
 *   document store skipped validation for); then the token's bucket is charged max(1, cost):
 *   RATE_LIMITED (429, Retry-After) when it holds too few points.
 * Every response then gets extensions.cost; a request refused before its cost was known (parse or
 * validation errors, limits) is charged 1 point.
 */
export function costPlugin(store: BucketStore, limits: GovernanceLimits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveSource(rc) {
          const err = checkSource(rc.source, limits);
          if (err) stateOf(rc.contextValue).rejected = err;
        },
        async validationDidStart(rc) {
          const state = stateOf(rc.contextValue);
          const op = state.rejected ? null : getOperationAST(rc.document, rc.request.operationName);
          if (op) {
            state.analysis = analyzeOperation(rc.schema, rc.document, op, rc.request.variables, limits);
            state.rejected = checkAnalysis(state.analysis, limits) ?? undefined;
          }
          if (state.rejected) (rc as { document: DocumentNode }).document = REJECTED_DOCUMENT;
        },
        async didResolveOperation(rc) {
          const state = stateOf(rc.contextValue);
          const op = rc.operation!;
          state.operation = op.operation;
          const analysis = (state.analysis ??= analyzeOperation(rc.schema, rc.document, op, rc.request.variables, limits));
          const err = state.planned ? null : checkAnalysis(analysis, limits) ?? checkNul(rc.document, rc.request.variables);
          if (err) throw err;
          const { capacity } = bucketOf(rc.contextValue.principal, limits);
          const cost = Math.max(1, analysis.cost);
          if (cost > capacity) {
            throw tooComplex(`query cost ${cost} exceeds this token's budget of ${capacity} points per minute`,
              { cost, limit: capacity, reason: 'rate plan' });
          }
          const budget = await charge(store, limits, rc.contextValue, cost);
          if (!budget.allowed) throw rateLimited(cost, budget.remaining, budget.retryAfter, budget.resetAt);
          state.executed = true;
        },
        async willSendResponse(rc) {
          await finishResponse(rc, store, limits);
        },
      };
    },
  };
}

async function finishResponse(rc: GraphQLRequestContext<Context>, store: BucketStore, limits: GovernanceLimits): Promise<void> {
  const state = stateOf(rc.contextValue);
  const body = rc.response.body;
  if (!body) return;
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  if (state.rejected) {
    const { http: _http, ...extensions } = state.rejected.extensions as Record<string, unknown>;
    result.errors = [{ message: state.rejected.message, extensions }];
    rc.response.http.status = 400;
  } else if (result.errors) {
    const rewritten = rewriteLimitErrors(result.errors, limits);
    if (rewritten) result.errors = rewritten;
  }
  if (!state.budget) await charge(store, limits, rc.contextValue, 1);
  result.extensions = { ...result.extensions, cost: costExtension(state.budget) };
  state.responded = true;
}
