import type http from 'node:http';
import type pg from 'pg';
import { OPEN_READ, bearerToken, consumerOf, noteSessionTenant, sessionTenantOf } from '../tenants/auth.js';
import { hashToken } from '../tenants/token-secret.js';
import { hasScope } from '../tenants/scopes.js';
import { runPipeline } from '../connectors/store/pipeline.js';
import { bucketOf, costExtension } from './plugins/cost.js';
import { consumerLabel } from './plugins/state.js';
import { noteServed } from './plugins/record.js';
import type { Governance } from './plugins/index.js';
import type { GatewayMetrics } from './metrics.js';
import type { RequestPlan } from './request-plan.js';
import type { CompiledRow } from '../resolvers/compiled/compile-query.js';

export interface CompiledReadDeps {
  /** The request pool (its sessions carry the tenant cdp_open_read set last). */
  pool: pg.Pool;
  governance: Governance;
  metrics: GatewayMetrics;
  onStatement?: (text: string, values?: readonly unknown[]) => void;
}

const DATA_OPEN = Buffer.from('{"data":');

// The scopes each token had when last seen (for a minute: scopes can be changed), to choose the
// statement for its next request (personal data in clear or masked) and to skip the attempt when it
// lacks a scope. Only a guess: every answer is checked against the scopes the token has now.
const MAX_REMEMBERED = 10_000;
const REMEMBER_MS = 60_000;

const sameScopes = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((s, i) => s === b[i]);

/** What Apollo would answer for this request's headers is JSON (`application/json`), not another format. */
function wantsJson(req: http.IncomingMessage): boolean {
  if (req.method === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return false;
  const accept = req.headers.accept;
  return accept === undefined || accept === '*/*' || (/application\/json/i.test(accept) && !/graphql-response/i.test(accept));
}

/**
 * The compiled read path: a query operation the planner compiled to one statement (resolvers/
 * compiled) is answered in one round trip to Postgres, and the response is the statement's JSON
 * text with extensions.cost, as Apollo would have written it. The statement checks the token itself
 * in the session's tenant (no row for another tenant's token, an unknown or a revoked one), so on a
 * connection whose session kept the token's tenant from an earlier request it runs alone; otherwise
 * (or when that answers no row) cdp_open_read sets the tenant and the statement follows it in the
 * same round trip (a pipeline). Which tenant a connection kept (tenants/auth.ts, sessionTenantOf,
 * noted by both paths) is only a hint, never trusted.
 * Charged, metered and recorded as the plugins do for any query. Whatever is not the plain success
 * of a caller holding every scope the statement assumed (unknown or revoked token, root, a narrowed
 * scope, a refused value, the rate limit, a database error) returns false and the request takes the
 * general path, which answers it with the usual errors; nothing was sent yet.
 */
export function compiledReads(deps: CompiledReadDeps) {
  const seen = new Map<string, { scopes: readonly string[]; tenantId: string; until: number }>();
  const { governance, metrics } = deps;

  return async function answer(req: http.IncomingMessage, res: http.ServerResponse, plan: RequestPlan,
    variables: Record<string, unknown> | undefined, startedNs: bigint): Promise<boolean> {
    if (!plan.compiled || !wantsJson(req)) return false;
    const bearer = bearerToken(req.headers.authorization);
    if ('failure' in bearer) return false;
    const digest = hashToken(bearer.token);
    const digestKey = digest.toString('base64');
    // the variant for the scopes this token had last time (personal data in clear, or masked)
    const known = seen.get(digestKey);
    const fresh = known !== undefined && known.until > Date.now();
    const compiled = !known || hasScope(known.scopes, 'pii') ? plan.compiled.clear : plan.compiled.masked;
    if (!compiled) return false;
    const holdsAll = (granted: readonly string[]) => compiled.scopes.every((s) => hasScope(granted, s));
    // a token that lacked a scope a minute ago goes to the general path without trying
    if (fresh && !holdsAll(known.scopes)) return false;
    const values = compiled.bind(digest, variables);
    if (!values) return false;

    const client = await deps.pool.connect();
    const statement = { name: compiled.name, text: compiled.text, values };
    let row: CompiledRow | undefined;
    try {
      deps.onStatement?.(compiled.text, values); // the request's statement (as for the general path, not the token check)
      // alone when the session kept this token's tenant (as far as we know), else after cdp_open_read
      if (known && sessionTenantOf(client) === known.tenantId) row = (await runPipeline(client, [statement]))[0].rows[0];
      if (!row) row = (await runPipeline(client, [{ ...OPEN_READ, values: [digest] }, statement]))[1].rows[0];
    } catch (err) {
      client.release(err as Error); // its prepared statements may be in a state pg does not know
      return false;
    }
    noteSessionTenant(client, row?.tenant_id);
    client.release();

    if (!row) return false; // an unknown, revoked or root token: the general path says which
    const principal = consumerOf(row);
    if (!fresh || !sameScopes(known.scopes, principal.scopes)) {
      if (seen.size >= MAX_REMEMBERED) seen.clear();
      seen.set(digestKey, { scopes: principal.scopes, tenantId: principal.tenantId, until: Date.now() + REMEMBER_MS });
    }
    if (!holdsAll(principal.scopes)) return false;
    if (compiled.pii !== undefined && compiled.pii !== hasScope(principal.scopes, 'pii')) return false;
    const { data, reads, exact } = row;
    if (!exact) return false; // a masked value the SQL masks cannot write as tenants/pii.ts does
    const { key, capacity } = bucketOf(principal, governance.limits);
    if (plan.cost > capacity) return false;
    const taken = await governance.store.take(key, capacity, plan.cost).catch(() => undefined);
    if (!taken?.allowed) return false; // a refused take spends nothing: the general path answers RATE_LIMITED

    const body = Buffer.concat([DATA_OPEN, Buffer.from(data, 'base64'),
      Buffer.from(`,"extensions":{"cost":${JSON.stringify(costExtension({ ...taken, cost: plan.cost }))}}}\n`, 'latin1')]);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);

    metrics.latency.observe({ consumer: consumerLabel(principal) }, Number(process.hrtime.bigint() - startedNs) / 1e9);
    governance.recorder.touchToken(principal.tenantId, principal.tokenId);
    noteServed({ metrics, recorder: governance.recorder }, principal, 'query', plan.cost, reads ? [...plan.analysis.reads, ...reads] : plan.analysis.reads);
    return true;
  };
}
