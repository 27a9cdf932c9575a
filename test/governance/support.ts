import type { GovernanceOptions } from '../../gateway/plugins/index.js';
import type { TestDatabase } from '../support/db.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.js';

/** startTestGateway with governance options (limits, a replacement shared store, flush interval). */
export async function startGovernedGateway(db: TestDatabase, governance: GovernanceOptions = {}): Promise<TestGateway> {
  const gw = await startTestGateway(db, { governance: { flushIntervalMs: 3_600_000, ...governance } });
  return { ...gw, graphql: (query, variables, token) => post(gw.url, { query, variables }, token) };
}

/** POSTs any JSON body (a batch, a document without variables, ...) to a gateway. */
export async function post<T = any>(url: string, body: unknown, token?: string, raw = false): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: GraphQLResponse<T>['body'];
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The error codes of a response, in order. */
export const codes = (r: GraphQLResponse<unknown>) => (r.body.errors ?? []).map((e) => e.extensions?.code);

/** Sets the rate plan of a consumer's tokens directly (null: every token of the tenant). */
export async function setRate(db: TestDatabase, tenantId: string, consumer: string | null, ratePerMinute: number): Promise<void> {
  await db.admin.query(
    `update tokens k set rate_per_minute = $3 where k.tenant_id = $1
        and ($2::text is null or k.consumer_id = (select c.consumer_id from consumers c where c.tenant_id = $1 and c.name = $2))`,
    [tenantId, consumer, ratePerMinute]);
}
