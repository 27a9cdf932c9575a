import { describe, it, expect, beforeAll } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema } from 'graphql';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import { callsFor } from './exercise.js';
import { startGovernedGateway, post, codes } from './support.js';

/**
 * Hostile input: every request gets an error code of the contract (never an internal error), the
 * server stays up, and memory returns near its level after the run.
 */

const CONTRACT = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'DSL_ERROR', 'NOT_FOUND', 'QUERY_TOO_COMPLEX', 'RATE_LIMITED']);
const HOSTILE_TEXT = [
  `'; drop table members; --`, `1) or (1=1`, `<script>alert(document.cookie)</script>`, `\${7*7}{{7*7}}%'`,
  `\u0000nul`, `名字🙂\u202e${'x'.repeat(5000)}`,
];

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let schema: GraphQLSchema;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startGovernedGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  await db.admin.query(`update tokens set rate_per_minute = 100000000 where tenant_id = $1`, [acme.tenantId]);
  const introspection = await gw.graphql(getIntrospectionQuery(), {}, acme.token);
  expect(introspection.body.errors).toBeUndefined(); // the IDE's own introspection stays within the limits
  schema = buildClientSchema(introspection.body.data);
});

/** Fails with the request when a response carries anything but contract codes (or no code). */
function expectContract(label: string, r: { status: number; body: { errors?: Array<{ extensions?: Record<string, any> }> } }): void {
  const bad = (r.body.errors ?? []).map((e) => e.extensions?.code).filter((c) => !CONTRACT.has(c));
  expect(bad, `${label} (HTTP ${r.status})`).toEqual([]);
  expect(r.status, label).toBeLessThan(500);
}

function fragmentBomb(levels: number): string {
  let frags = '';
  for (let i = 0; i < levels; i++) frags += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} ...F${i + 1} ...F${i + 1} }\n`;
  return `{ ...F0 }\n${frags}fragment F${levels} on Query { viewer { consumer } }`;
}

/** The hostile documents and bodies, each with the code it must get. */
function hostileRequests(): Array<{ label: string; body: unknown; raw?: boolean; token?: string; expect: string }> {
  const deep = `{ members(first: 1) { nodes { ${'orders(first: 1) { nodes { member { '.repeat(10)} id ${'} } }'.repeat(10)} } } }`;
  return [
    { label: 'oversized query text', body: { query: `{ viewer { consumer } } #${'x'.repeat(40_000)}` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'too many tokens', body: { query: `{ viewer { ${'consumer '.repeat(3500)} } }` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'deep nesting', body: { query: deep }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'deep braces', body: { query: `${'{ a '.repeat(1400)}${'}'.repeat(1400)}` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'NUL in a variable', body: { query: 'query ($v: String!) { memberByIdentity(kind: PHONE, value: $v) { id } }', variables: { v: 'a\u0000b' } }, expect: 'BAD_USER_INPUT' },
    { label: 'alias bomb', body: { query: `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: viewer { consumer }`).join(' ')} }` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'same-field bomb', body: { query: `{ ${'viewer { consumer } '.repeat(700)} }` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'fragment bomb', body: { query: fragmentBomb(30) }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'fragment cycle', body: { query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }, expect: 'BAD_USER_INPUT' },
    { label: 'introspection nesting', body: { query: `{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'introspection __type chain', body: { query: `{ __type(name: "Member") { ${'fields { type { ofType { '.repeat(6)}name${' } } }'.repeat(6)} } }` }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'batched request', body: [{ query: '{ viewer { consumer } }' }, { query: '{ viewer { consumer } }' }], expect: 'BAD_USER_INPUT' },
    { label: 'not JSON', body: '{"query": "{ viewer', raw: true, expect: 'BAD_USER_INPUT' },
    { label: 'no query', body: { variables: {} }, expect: 'BAD_USER_INPUT' },
    { label: 'query not a string', body: { query: { $ne: null } }, expect: 'BAD_USER_INPUT' },
    { label: 'variables not an object', body: { query: 'query ($n: Int) { members(first: $n) { totalCount } }', variables: '1; drop' }, expect: 'BAD_USER_INPUT' },
    { label: 'huge first', body: { query: '{ members(first: 2147483647) { nodes { id } } }' }, expect: 'QUERY_TOO_COMPLEX' },
    { label: 'negative first', body: { query: '{ members(first: -5) { nodes { id } } }' }, expect: 'BAD_USER_INPUT' },
    { label: 'missing token', body: { query: '{ viewer { consumer } }' }, token: '', expect: 'UNAUTHENTICATED' },
    { label: 'malformed token', body: { query: '{ viewer { consumer } }' }, token: `x' or '1'='1`, expect: 'UNAUTHENTICATED' },
    { label: 'very long token', body: { query: '{ viewer { consumer } }' }, token: 'a'.repeat(8000), expect: 'UNAUTHENTICATED' },
    { label: 'unknown token', body: { query: '{ viewer { consumer } }' }, token: 'cdp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', expect: 'UNAUTHENTICATED' },
  ];
}

async function send(req: ReturnType<typeof hostileRequests>[number], revoked: string) {
  const token = req.token === undefined ? acme.token : req.token === 'revoked' ? revoked : req.token;
  return post(gw.url, req.body, token || undefined, req.raw);
}

let revoked: string;

describe('hostile requests', () => {
  it('each get the contract code they should, with extensions.cost', async () => {
    revoked = await issueTestToken(db, acme.tenantId, 'revoked-app', ['members:read']);
    await db.admin.query(`update tokens set status = 'revoked' where tenant_id = $1 and consumer_id =
      (select consumer_id from consumers where tenant_id = $1 and name = 'revoked-app')`, [acme.tenantId]);
    const got: Array<[string, unknown]> = [];
    for (const req of [...hostileRequests(), { label: 'revoked token', body: { query: '{ viewer { consumer } }' }, token: 'revoked', expect: 'UNAUTHENTICATED' }]) {
      const r = await send(req, revoked);
      got.push([req.label, codes(r)[0]]);
      expect(r.body.extensions?.cost, req.label).toBeDefined();
    }
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries([...hostileRequests(), { label: 'revoked token', expect: 'UNAUTHENTICATED' }]
      .map((r) => [r.label, r.expect])));
  });

  it('finds a NUL deep in the variables, and takes the text \\u0000 (a backslash, not a NUL) as text', async () => {
    const nested = await post(gw.url, { query: 'mutation ($m: [MemberInput!]!) { importMembers(members: $m) { accepted } }',
      variables: { m: [{ identities: [{ kind: 'PHONE', value: '13800000001' }] }, { identities: [{ kind: 'PHONE', value: '13800000002' }], attributes: { ['k\u0000']: 1 } }] } }, acme.token);
    expect(nested.body.errors?.map((e: any) => [e.message, e.extensions.code])).toEqual([['text arguments may not contain the NUL character (\\u0000)', 'BAD_USER_INPUT']]);
    const text = await post(gw.url, { query: 'query ($v: String!) { memberByIdentity(kind: EMAIL, value: $v) { id } }', variables: { v: 'a\\u0000b@example.com' } }, acme.token);
    expect(text.body).toMatchObject({ data: { memberByIdentity: null } });
    expect(text.body.errors).toBeUndefined();
  });

  it('refuses a body over the HTTP limit before reading it all', async () => {
    const r = await post(gw.url, `{"query": "{ viewer { consumer } }", "variables": {"x": "${'x'.repeat(17 * 1024 * 1024)}"}}`, acme.token, true);
    expect(r.status).toBe(413);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.extensions?.cost).toEqual({ requested: 0, limit: 0, remaining: 0, resetAt: null });
  });

  it('names the batching decision in the error', async () => {
    const r = await post(gw.url, [{ query: '{ viewer { consumer } }' }], acme.token);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].message).toMatch(/batching/i);
  });

  it('SQL and script text in every string and id argument of every operation gets data or a contract error', async () => {
    const before = await db.admin.query(`select (select count(*) from members)::int as members, (select count(*) from tokens)::int as tokens`);
    let calls = 0;
    for (const text of HOSTILE_TEXT) {
      const values = { foreign: { member: '1', order: '1', token: '1', job: '1' }, phone: text, tag: text, audience: text, text };
      for (const call of callsFor(schema, values)) {
        if (call.root === 'subscription') {
          const s = subscribe(gw.url, acme.token, call.document);
          await s.waitFor(1, 3000).catch(() => undefined);
          await s.dispose();
          const bad = s.errors.flatMap((e: any) => (Array.isArray(e) ? e : [e])).map((e: any) => e?.extensions?.code).filter((c) => c && !CONTRACT.has(c));
          expect(bad, `${call.field} with ${JSON.stringify(text.slice(0, 30))}`).toEqual([]);
        } else {
          expectContract(`${call.field} with ${JSON.stringify(text.slice(0, 30))}`, await gw.graphql(call.document, {}, acme.token));
        }
        calls += 1;
      }
    }
    expect(calls).toBeGreaterThan(HOSTILE_TEXT.length * 10);
    const after = await db.admin.query(`select (select count(*) from members)::int as members, (select count(*) from tokens)::int as tokens`);
    expect(after.rows[0].tokens).toBeGreaterThanOrEqual(before.rows[0].tokens); // nothing dropped or deleted
    expect(after.rows[0].members).toBeGreaterThanOrEqual(before.rows[0].members);
  });
});

describe('after the run', () => {
  it('the server is up and memory returns near its level', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    for (const req of hostileRequests()) await send(req, revoked); // warm: caches, JIT, pools
    const baseline = heap();
    for (let round = 0; round < 3; round++) for (const req of hostileRequests()) await send(req, revoked);
    const grown = heap() - baseline;
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    expect((await fetch(gw.url.replace('/graphql', '/healthz'))).status).toBe(200);
    const ok = await gw.graphql('{ viewer { consumer } }', {}, acme.token);
    expect(ok.body.data).toEqual({ viewer: { consumer: 'admin' } });
  });
});
