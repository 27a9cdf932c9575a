import pg from 'pg';
import { Counter } from 'prom-client';
import { parse, GraphQLError, type GraphQLSchema, getOperationAST } from 'graphql';
import type { ApolloServerPlugin, HTTPGraphQLResponse } from '@apollo/server';
import type { Context } from '../../resolvers/context.js';
import type { Principal } from '../../tenants/auth.js';
import { FailoverBucketStore, MemoryBucketStore, PostgresBucketStore, type BucketStore } from '../../tenants/rate-limit.js';
import { connectRedisStore } from '../../tenants/rate-limit-redis.js';
import { LeasingBucketStore, type LeaseOptions } from '../../tenants/rate-lease.js';
import { UsageRecorder } from '../../tenants/usage.js';
import type { Pools } from '../../connectors/store/pool.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import { analyzeOperation } from './analyze.js';
import { bucketOf, charge, costExtension, costPlugin } from './cost.js';
import { checkAnalysis, checkSource, DEFAULT_LIMITS, limitsFromEnv, rateLimited, rewriteLimitErrors, tooComplex, type GovernanceLimits } from './limits.js';
import { countErrors, noteServed, recordPlugin } from './record.js';
import { consumerLabel, stateOf } from './state.js';

export { DEFAULT_LIMITS, type GovernanceLimits } from './limits.js';
export { costExtension, recordPlanned } from './cost.js';

/** Settings of the governance layer; everything has a default. */
export interface GovernanceOptions {
  limits?: Partial<GovernanceLimits>;
  /** Replaces the shared store (tests use it to simulate a store that is down). */
  sharedStore?: BucketStore;
  /** Token buckets in Redis instead of Postgres (CDP_RATE_LIMIT_REDIS_URL). */
  redisUrl?: string;
  /** How often usage records and last-used times are written (default 5 s). */
  flushIntervalMs?: number;
  /** Budget leases in front of the shared store (tenants/rate-lease.ts); `false`: one shared take per request. */
  lease?: LeaseOptions | false;
}

/** The governance layer of one gateway process. */
export interface Governance {
  limits: GovernanceLimits;
  plugins: ApolloServerPlugin<Context>[];
  store: BucketStore;
  recorder: UsageRecorder;
  /**
   * Finishes an HTTP response: observes latency, and when Apollo answered outside the plugins
   * (context creation failed, a batched body, a limit refused before parsing or validation) adds
   * extensions.cost, charges 1 point to a known caller and counts the request and its errors.
   */
  complete(ctx: Context | undefined, response: HTTPGraphQLResponse, startedNs: bigint): Promise<HTTPGraphQLResponse>;
  /** Limits and charge for a websocket subscription; the errors to send, or null to go on. */
  checkSubscription(p: Principal, query: string, variables: Record<string, unknown> | undefined, operationName: string | undefined, schema: GraphQLSchema): Promise<readonly GraphQLError[] | null>;
  stop(): Promise<void>;
}

/**
 * Builds the governance layer: a small pool of its own for the shared rate-limit store (so a request
 * holding its transaction connection never waits on the request pool for a second one), the
 * insurance store, the usage recorder, and the Apollo plugins.
 */
export async function createGovernance(opts: { pools: Pools; metrics: GatewayMetrics; log: Logger; options?: GovernanceOptions }): Promise<Governance> {
  const { metrics, log } = opts;
  const limits: GovernanceLimits = { ...limitsFromEnv(), ...opts.options?.limits };
  const storeFailures = new Counter({ name: 'cdp_rate_limit_store_failures_total', help: 'Rate-limit takes answered by the per-process insurance store because the shared store failed', registers: [metrics.registry] });
  const usageDropped = new Counter({ name: 'cdp_usage_records_dropped_total', help: 'Reads not recorded because the usage buffer was full', registers: [metrics.registry] });
  const usageFlushFailures = new Counter({ name: 'cdp_usage_flush_failures_total', help: 'Usage flushes that failed (kept for the next flush)', registers: [metrics.registry] });
  const auditFailures = new Counter({ name: 'cdp_audit_write_failures_total', help: 'Audit records that could not be written', registers: [metrics.registry] });

  const pool = new pg.Pool({ ...opts.pools.app.options, max: 4, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  pool.on('error', () => undefined);
  const redisUrl = opts.options?.redisUrl ?? process.env.CDP_RATE_LIMIT_REDIS_URL;
  const redis = redisUrl && !opts.options?.sharedStore ? await connectRedisStore(redisUrl) : undefined;
  const shared = opts.options?.sharedStore ?? redis?.store ?? new PostgresBucketStore(pool);
  let lastLogged = 0;
  const failover = new FailoverBucketStore(shared, new MemoryBucketStore(), (err) => {
    storeFailures.inc();
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      log.error({ err }, 'rate-limit store failed; answering from the per-process insurance limiter');
    }
  });
  const lease = opts.options?.lease;
  const store = lease === false ? failover : new LeasingBucketStore(failover, lease);
  const recorder = new UsageRecorder({
    pool, flushIntervalMs: opts.options?.flushIntervalMs,
    onError: (err) => { usageFlushFailures.inc(); log.warn({ err }, 'usage flush failed'); },
    onDropped: (n) => usageDropped.inc(n),
  });
  recorder.start();

  return {
    limits,
    store,
    recorder,
    plugins: [costPlugin(store, limits), recordPlugin({ recorder, metrics, log, auditFailures })],
    async complete(ctx, response, startedNs) {
      const state = ctx ? stateOf(ctx) : undefined;
      const consumer = consumerLabel(ctx?.principal);
      metrics.latency.observe({ consumer }, Number(process.hrtime.bigint() - startedNs) / 1e9);
      if (state?.responded || response.body.kind !== 'complete') return response;
      let body: { errors?: any[]; extensions?: Record<string, unknown> };
      try {
        body = JSON.parse(response.body.string);
      } catch {
        return response;
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return response;
      const budget = ctx ? (state?.budget ?? (await charge(store, limits, ctx, 1).catch(() => undefined))) : undefined;
      body.extensions = { ...body.extensions, cost: costExtension(budget) };
      metrics.requests.inc({ consumer, operation: 'unknown' });
      countErrors(metrics, consumer, body.errors);
      return { ...response, body: { kind: 'complete', string: JSON.stringify(body) } };
    },
    async checkSubscription(p, query, variables, operationName, schema) {
      const sourceError = checkSource(query, limits);
      if (sourceError) return [sourceError];
      let document;
      try {
        document = parse(query, { maxTokens: limits.maxTokens });
      } catch (err) {
        const rewritten = rewriteLimitErrors([{ message: (err as Error).message }], limits);
        return rewritten ? [new GraphQLError(rewritten[0].message, { extensions: rewritten[0].extensions })] : null;
      }
      const op = getOperationAST(document, operationName);
      if (!op) return null; // graphql-ws reports it
      const analysis = analyzeOperation(schema, document, op, variables, limits);
      const err = checkAnalysis(analysis, limits);
      if (err) return [err];
      const { key, capacity } = bucketOf(p, limits);
      const cost = Math.max(1, analysis.cost);
      if (cost > capacity) return [tooComplex(`query cost ${cost} exceeds this token's budget of ${capacity} points per minute`, { cost, limit: capacity })];
      const budget = await store.take(key, capacity, cost);
      if (!budget.allowed) {
        noteServed({ metrics, recorder }, p, 'subscription', 0);
        metrics.errors.inc({ consumer: consumerLabel(p), code: 'RATE_LIMITED' });
        return [rateLimited(cost, budget.remaining, budget.retryAfter, budget.resetAt)];
      }
      noteServed({ metrics, recorder }, p, 'subscription', cost, analysis.reads);
      return null;
    },
    async stop() {
      await recorder.stop();
      await redis?.close();
      await pool.end().catch(() => undefined);
    },
  };
}

