import { afterAll } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { newTokenSecret } from '../../tenants/token-secret.js';
import type { TestDatabase } from './db.js';
import type { GovernanceOptions } from '../../gateway/plugins/index.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** SQL statements of GraphQL requests, in order (clear it between measurements). */
  statements: string[];
  /** The same statements with their values (for plans: test/gateway/index-use.test.ts). */
  statementValues: { text: string; values: readonly unknown[] }[];
  /** POSTs a GraphQL request; returns status, headers and parsed body. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
}

export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>; extensions?: Record<string, any> };
}

/** A gateway on an ephemeral port over the file's test database; stopped after the file. */
export async function startTestGateway(db: TestDatabase, opts: { development?: boolean; governance?: GovernanceOptions; compiledReads?: boolean | { maxStatements: number } } = {}): Promise<TestGateway> {
  const statements: string[] = [];
  const statementValues: { text: string; values: readonly unknown[] }[] = [];
  const gateway = await createGateway({
    pools: db,
    log: createLogger(process.env.LOG_LEVEL ?? 'silent'),
    development: opts.development ?? false,
    governance: opts.governance,
    compiledReads: opts.compiledReads,
    onStatement: (text, values) => {
      statements.push(text);
      statementValues.push({ text, values: values ?? [] });
    },
  });
  const port = await gateway.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  afterAll(() => gateway.stop());
  return {
    gateway,
    url,
    statements,
    statementValues,
    async graphql(query, variables, token) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse<any>["body"] };
    },
  };
}

/** Creates a tenant with an admin token, as createTenant does; returns the id and the token. */
export async function createTenantWithToken(db: TestDatabase, name: string): Promise<{ tenantId: string; token: string }> {
  const secret = newTokenSecret();
  const client = await db.admin.connect();
  try {
    await client.query('begin');
    const r = await client.query('select cdp_create_tenant($1, $2, $3) as id', [name, secret.sha256, secret.prefix]);
    await client.query('commit');
    return { tenantId: r.rows[0].id, token: secret.token };
  } finally {
    client.release();
  }
}

/** Issues a further token with `scopes` for a tenant (as issueToken does). */
export async function issueTestToken(db: TestDatabase, tenantId: string, consumer: string, scopes: string[]): Promise<string> {
  const secret = newTokenSecret();
  await db.admin.query(
    `with c as (insert into consumers (tenant_id, name) values ($1, $2)
                on conflict (tenant_id, name) do update set name = excluded.name returning consumer_id)
     insert into tokens (tenant_id, consumer_id, secret_sha256, prefix, scopes) select $1, consumer_id, $3, $4, $5 from c`,
    [tenantId, consumer, secret.sha256, secret.prefix, scopes],
  );
  return secret.token;
}
