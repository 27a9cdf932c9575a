import { describe, it, expect, beforeAll } from 'vitest';
import { parse, getOperationAST } from 'graphql';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import { buildSchema } from '../../resolvers/index.js';
import { analyzeOperation } from '../../gateway/plugins/analyze.js';
import { DEFAULT_LIMITS } from '../../gateway/plugins/limits.js';
import { MemoryBucketStore } from '../../tenants/rate-limit.js';
import { startGovernedGateway, codes, post, setRate } from './support.js';

const schema = buildSchema();
function analyze(query: string, variables?: Record<string, unknown>) {
  const doc = parse(query);
  return analyzeOperation(schema, doc, getOperationAST(doc)!, variables, DEFAULT_LIMITS);
}

describe('query cost (computed before execution)', () => {
  it('counts objects 1 and scalars 0', () => {
    expect(analyze('{ viewer { consumer scopes tenant { name } } }')).toMatchObject({ cost: 2, depth: 3 });
  });

  it('multiplies connections by first (default 20) and nested connections again', () => {
    expect(analyze('{ members(first: 50) { edges { node { id orders(first: 3) { nodes { id } } } } } }').cost).toBe(1 + 50 * (1 + (1 + 3 * 1)));
    expect(analyze('{ members { nodes { id } } }').cost).toBe(1 + 20 * 1);
    expect(analyze('query ($n: Int) { members(first: $n) { nodes { id } } }', { n: 5 }).cost).toBe(6);
  });

  it('counts a list without first at the default length (5)', () => {
    expect(analyze('{ member(id: "1") { identities { kind } } }').cost).toBe(1 + 5 * 1);
  });

  it('charges each mutation field 10 plus its selection', () => {
    expect(analyze('mutation { revokeToken(id: "1") }').cost).toBe(10);
    expect(analyze('mutation { a: revokeToken(id: "1") b: revokeToken(id: "2") }')).toMatchObject({ cost: 20, aliases: 2 });
  });

  it('analyses each fragment once: a fragment bomb is a huge number, not a huge expansion', () => {
    let frags = '';
    for (let i = 0; i < 40; i++) frags += `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} ...F${i + 1} }\n`;
    const a = analyze(`{ ...F0 }\n${frags}fragment F40 on Query { viewer { consumer } }`);
    expect(a.cost).toBe(Number.MAX_SAFE_INTEGER);
    expect(a.selections).toBe(2);
  });

  it('counts introspection flat and outside the depth limit (graphql-js limits its nesting)', () => {
    expect(analyze('{ __schema { types { name fields { name type { name ofType { name } } } } } }')).toMatchObject({ depth: 0, cost: 5 });
  });

  it('lists the lineage nodes an operation reads', () => {
    const reads = analyze('{ tag(name: "high_value") { name } member(id: "1") { phone inAudience(name: "churn_recall") } }').reads;
    expect([...reads].sort()).toEqual(['audience:churn_recall', 'field:Member.inAudience', 'field:Member.phone', 'field:Query.member',
      'field:Query.tag', 'field:Tag.name', 'tag:high_value']);
  });
});

describe('in-memory token bucket (the insurance store)', () => {
  it('refills continuously at the budget per minute', async () => {
    let now = 0;
    const store = new MemoryBucketStore(10, () => now);
    expect(await store.take('k', 60, 50)).toMatchObject({ allowed: true, remaining: 10 });
    expect(await store.take('k', 60, 20)).toMatchObject({ allowed: false, remaining: 10, retryAfter: 10 });
    now += 10_000; // 10 s refill 10 points
    expect(await store.take('k', 60, 20)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await store.take('k', 60, 0)).resetAt.getTime()).toBe(now + 60_000);
  });
});

let db: TestDatabase;
let a: TestGateway;
let b: TestGateway;
let acme: { tenantId: string; token: string };

beforeAll(async () => {
  db = await testDatabase();
  a = await startGovernedGateway(db, { limits: { maxCost: 100, maxDepth: 6, maxAliases: 3, maxTokens: 400, maxDocumentBytes: 4000 } });
  b = await startGovernedGateway(db, { limits: { maxCost: 100 } });
  acme = await createTenantWithToken(db, 'acme');
});

describe('limits', () => {
  it('refuses a costly query with QUERY_TOO_COMPLEX, HTTP 400 and the numbers', async () => {
    const r = await a.graphql('{ members(first: 100) { nodes { id } } }', {}, acme.token);
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 101, limit: 100, depth: 3, maxDepth: 6 });
    expect(r.body.extensions?.cost).toMatchObject({ requested: 1 });
  });

  it('refuses depth, aliases, tokens and size', async () => {
    const deep = await a.graphql('{ members(first: 1) { nodes { orders(first: 1) { nodes { member { identities { kind } } } } } } }', {}, acme.token);
    expect(deep.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', depth: 7, maxDepth: 6 });
    const aliases = await a.graphql('{ a: viewer { consumer } b: viewer { consumer } c: viewer { consumer } d: viewer { consumer } }', {}, acme.token);
    expect(aliases.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', aliases: 4, maxAliases: 3 });
    const tokens = await a.graphql(`{ viewer { ${'consumer '.repeat(420)} } }`, {}, acme.token);
    expect(tokens.status).toBe(400);
    expect(tokens.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxTokens: 400 });
    const big = await a.graphql(`{ viewer { consumer } } # ${'x'.repeat(5000)}`, {}, acme.token);
    expect(big.status).toBe(400);
    expect(big.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxSize: 4000 });
    expect(big.body.extensions?.cost).toMatchObject({ requested: 1 });
  });

  it('refuses deep introspection', async () => {
    const r = await a.graphql('{ __type(name: "Query") { fields { type { fields { type { fields { name } } } } } } }', {}, acme.token);
    expect(codes(r)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('applies the same limits to subscriptions', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'deep-partner', ['audiences:subscribe', 'members:read']);
    const s = subscribe(a.url, token, 'subscription { audienceChanges(audience: "x") { member { orders(first: 1) { nodes { member { identities { kind } } } } } } }');
    await expect(s.waitFor(1, 10_000)).rejects.toThrow(/depth 7 exceeds the limit of 6/);
    await s.dispose();
  });
});

describe('extensions.cost and the per-token budget', () => {
  it('is on every response: data, execution errors, request errors, no token', async () => {
    const ok = await a.graphql('{ viewer { consumer } }', {}, acme.token);
    expect(ok.body.extensions?.cost).toMatchObject({ requested: 1, limit: 60_000 });
    expect(new Date(ok.body.extensions?.cost.resetAt).getTime()).toBeGreaterThan(Date.now() - 1000);
    const reader = await issueTestToken(db, acme.tenantId, 'reader', ['members:read']);
    const forbidden = await a.graphql('{ tokens { id } }', {}, reader);
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
    expect(forbidden.body.extensions?.cost).toMatchObject({ requested: 5 }); // a list of Token: 5 × 1
    const syntax = await a.graphql('{ viewer { ', {}, acme.token);
    expect(syntax.body.extensions?.cost).toMatchObject({ requested: 1 });
    const anonymous = await a.graphql('{ viewer { consumer } }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.extensions?.cost).toEqual({ requested: 0, limit: 0, remaining: 0, resetAt: null });
    const batch = await post(a.url, [{ query: '{ viewer { consumer } }' }], acme.token);
    expect(batch.body.extensions?.cost).toMatchObject({ requested: 1 });
  });

  it('shows the same numbers in viewer.rateLimit', async () => {
    const r = await a.graphql('{ viewer { rateLimit { limit remaining resetAt cost } } }', {}, acme.token);
    const { requested, ...rest } = r.body.extensions?.cost;
    expect(r.body.data.viewer.rateLimit).toEqual({ ...rest, cost: requested });
  });

  it('answers RATE_LIMITED with HTTP 429 and Retry-After when the budget is spent', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'small-plan', ['members:read']);
    await setRate(db, acme.tenantId, 'small-plan', 60);
    const q = '{ members(first: 24) { nodes { id } } }'; // 25 points of 60
    expect((await a.graphql(q, {}, token)).status).toBe(200);
    expect((await a.graphql(q, {}, token)).status).toBe(200);
    const limited = await a.graphql(q, {}, token);
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 25 });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBe(limited.body.errors?.[0].extensions?.retryAfter);
    expect(limited.body.extensions?.cost).toMatchObject({ requested: 25, limit: 60 });
    expect(limited.body.extensions?.cost.remaining).toBeLessThan(25);
    const tooBig = await a.graphql('{ members(first: 99) { nodes { id } } }', {}, token);
    expect(tooBig.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 100, limit: 60 });
  });

  it('shares one budget between gateway processes', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'two-replicas', ['members:read']);
    await setRate(db, acme.tenantId, 'two-replicas', 60); // refills 1 point a second
    const first = await a.graphql('{ members(first: 9) { nodes { id } } }', {}, token);
    const second = await b.graphql('{ members(first: 9) { nodes { id } } }', {}, token);
    expect(first.body.extensions?.cost).toMatchObject({ requested: 10, limit: 60, remaining: 50 });
    expect(second.body.extensions?.cost.remaining).toBeLessThan(50); // b took from what a left (40 plus refill)
  });
});

describe('when the shared store is down', () => {
  it('answers from the per-process insurance limiter, still limits, and counts it', async () => {
    const down = await startGovernedGateway(db, { sharedStore: { take: async () => { throw new Error('connection refused'); } } });
    const token = await issueTestToken(db, acme.tenantId, 'during-outage', ['members:read']);
    await setRate(db, acme.tenantId, 'during-outage', 60);
    const q = '{ members(first: 24) { nodes { id } } }';
    const first = await down.graphql(q, {}, token);
    expect(first.status).toBe(200);
    expect(first.body.extensions?.cost).toMatchObject({ requested: 25, limit: 60, remaining: 35 });
    expect((await down.graphql(q, {}, token)).status).toBe(200);
    expect((await down.graphql(q, {}, token)).status).toBe(429);
    const metrics = await (await fetch(down.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/^cdp_rate_limit_store_failures_total 3$/m);
  });
});
