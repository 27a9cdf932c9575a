import http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type pg from 'pg';
import type { Context } from '../resolvers/context.js';
import { buildSchema } from '../resolvers/index.js';
import { pendingMigrations } from '../connectors/store/migrate.js';
import type { Pools } from '../connectors/store/pool.js';
import { openRequestScope, type RequestScope } from './request-context.js';
import { errorFormatter } from './format-error.js';
import { GatewayMetrics } from './metrics.js';
import { attachWebsocket, type WebsocketGateway } from './websocket.js';
import type { Logger } from './logger.js';
import { ChangeHub } from '../connectors/changes/change-hub.js';
import type { Services } from '../resolvers/context.js';
import { serveIde } from './ide.js';
import { compiledExecution } from './executor.js';
import { compiledReads } from './compiled-read.js';
import { handleCollect, isCollectPath } from '../connectors/collect/segment.js';
import { argumentNamesPlugin } from './argument-errors.js';
import { createGovernance, costExtension, recordPlanned, type Governance, type GovernanceOptions } from './plugins/index.js';
import { parseJsonBody } from './plugins/limits.js';
import { RequestPlanner, partsOfSearch, type RequestParts } from './request-plan.js';
import { CompiledNames } from '../resolvers/compiled/compile-query.js';

export interface GatewayOptions {
  pools: Pools;
  log: Logger;
  development: boolean;
  /** Test hook: the text of every SQL statement a GraphQL request runs. */
  onStatement?: (text: string, values?: readonly unknown[]) => void;
  /** Cost and rate limits, stores, usage flush interval (gateway/plugins). */
  governance?: GovernanceOptions;
  /**
   * Queries the compiler takes run as one statement (gateway/compiled-read.ts); default on
   * (CDP_COMPILED_READS), at most 50 distinct statements unless `maxStatements` says otherwise.
   */
  compiledReads?: boolean | { maxStatements: number };
}

export interface Gateway {
  server: http.Server;
  metrics: GatewayMetrics;
  governance: Governance;
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, finishes in-flight requests, closes websockets with a reason. */
  stop(reason?: string): Promise<void>;
}

// importOrders takes 5,000 rows per call (graphql-contract.md): about 2 MB of JSON with items.
const MAX_BODY = 16 * 1024 * 1024;

/** One HTTP server: /graphql (POST, GET, websocket), /healthz, /readyz, /metrics. */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const schema = buildSchema();
  const metrics = new GatewayMetrics();
  const governance = await createGovernance({ pools: opts.pools, metrics, log: opts.log, options: opts.governance });
  const apollo = new ApolloServer<Context>({
    gateway: compiledExecution(schema),
    logger: opts.log,
    formatError: errorFormatter(opts.log, opts.development),
    includeStacktraceInErrorResponses: opts.development,
    // Tokens travel in the Authorization header, never in cookies: there is no ambient credential
    // for a cross-site request to ride on, and the contract allows plain GET queries.
    csrfPrevention: false,
    introspection: true,
    parseOptions: { maxTokens: governance.limits.maxTokens },
    // No HTTP cache hints (answers are per tenant and token): without this Apollo wraps every field to collect them.
    plugins: [ApolloServerPluginCacheControlDisabled(), argumentNamesPlugin(), ...governance.plugins],
  });
  await apollo.start();
  const compiled = opts.compiledReads ?? true;
  const planner = new RequestPlanner(schema, governance.limits, undefined,
    compiled === false ? null : new CompiledNames(compiled === true ? undefined : compiled.maxStatements));
  const answerCompiled = compiledReads({ pool: opts.pools.request, governance, metrics, onStatement: opts.onStatement });
  const changes = new ChangeHub(opts.pools.appConnection);
  await changes.start();
  const services: Services = { changes };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      opts.log.error({ err }, 'unhandled HTTP error');
      if (!res.headersSent) send(res, 500, 'application/json', '{"error":"internal"}');
    });
  });
  const ws: WebsocketGateway = attachWebsocket(server, schema, opts.pools.app, services, opts.log, governance);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    res.on('finish', () => metrics.http.inc({ path: knownPath(path), status: String(res.statusCode) }));
    if (path === '/healthz') return send(res, 200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') return ready(opts.pools.admin, res);
    if (path === '/metrics') return send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
    if (serveIde(req, res, url)) return;
    if (isCollectPath(path)) return handleCollect(req, res, opts.pools.app);
    if (path !== '/graphql') return send(res, 404, 'application/json', '{"error":"not found"}');
    if (req.method !== 'GET' && req.method !== 'POST') return send(res, 405, 'application/json', '{"error":"method not allowed"}');
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    if (body && 'error' in body) {
      // the rest of an oversized body is never read: close the connection so it is not reused mid-body
      res.setHeader('connection', 'close');
      return send(res, body.status, 'application/json', JSON.stringify({ errors: [{ message: body.error, extensions: { code: 'BAD_USER_INPUT' } }], extensions: { cost: costExtension(undefined) } }));
    }
    let scope: RequestScope | undefined;
    const started = process.hrtime.bigint();
    try {
      const parts = req.method === 'GET' ? partsOfSearch(url.searchParams) : (body?.value as RequestParts | undefined);
      const plan = planner.plan(parts);
      if (plan?.compiled && !(parts as { extensions?: unknown }).extensions
        && await answerCompiled(req, res, plan, parts!.variables as Record<string, unknown> | undefined, started)) return;
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const executed = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method, headers, search: url.search, body: body?.value },
        context: async () => {
          scope = await openRequestScope(req.headers.authorization,
            { pool: opts.pools.request, services, onStatement: opts.onStatement, readOnly: plan?.operation === 'query' });
          if (plan) recordPlanned(scope.context, plan.analysis);
          return scope.context;
        },
      });
      await scope?.finish(true);
      const response = await governance.complete(scope?.context, executed, started);
      for (const [k, v] of response.headers) res.setHeader(k, v);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } finally {
      await scope?.finish(false);
    }
  }

  return {
    server,
    metrics,
    governance,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      }),
    async stop(reason = 'server shutting down') {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await ws.close(reason);
      await apollo.stop();
      await governance.stop();
      await changes.stop();
      await closed;
    },
  };
}

function knownPath(path: string): string {
  return ['/graphql', '/healthz', '/readyz', '/metrics'].includes(path) ? path : 'other';
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

async function ready(pool: pg.Pool, res: http.ServerResponse): Promise<void> {
  try {
    const pending = await pendingMigrations(pool);
    if (pending.length > 0) return send(res, 503, 'application/json', JSON.stringify({ status: 'migrations pending', pending }));
    return send(res, 200, 'application/json', '{"status":"ready"}');
  } catch {
    return send(res, 503, 'application/json', '{"status":"database unreachable"}');
  }
}

/** The request body's bytes, or null past `max` (the rest is left unread). Events, not an async iterator: cheaper per request. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData).off('end', onEnd).off('error', reject).pause();
        return resolve(null);
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

async function readJson(req: http.IncomingMessage): Promise<{ value: unknown } | { error: string; status: number }> {
  const bytes = await readBody(req, MAX_BODY);
  if (!bytes) return { error: `request body larger than ${MAX_BODY} bytes`, status: 413 };
  const text = bytes.toString('utf8');
  if (text === '') return { value: undefined };
  try {
    return { value: parseJsonBody(text) };
  } catch {
    return { error: 'request body is not valid JSON', status: 400 };
  }
}
