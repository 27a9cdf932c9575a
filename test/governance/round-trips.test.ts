import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { startGovernedGateway } from './support.js';

/**
 * What tenant isolation costs per request, counted in round trips to Postgres: every query() call
 * of every pg client in this process (the gateway runs in it) during one HTTP request.
 */

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let memberId: string;
const sent: string[] = [];
const original = pg.Client.prototype.query;

beforeAll(async () => {
  db = await testDatabase();
  // leases of the token's budget outlive the test, so each request's round trips are the same
  gw = await startGovernedGateway(db, { lease: { ttlMs: 3_600_000 } });
  acme = await createTenantWithToken(db, 'acme');
  memberId = (await db.admin.query(`insert into members (tenant_id, name) values ($1, '张三') returning member_id`, [acme.tenantId])).rows[0].member_id;
  await gw.graphql('{ viewer { consumer } }', {}, acme.token); // warm the pools
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    sent.push(typeof config === 'string' ? config : config?.text ?? '?');
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
});

afterAll(() => {
  pg.Client.prototype.query = original;
});

async function roundTrips(query: string, variables: Record<string, unknown> = {}): Promise<string[]> {
  sent.length = 0;
  const r = await gw.graphql(query, variables, acme.token);
  expect(r.body.errors).toBeUndefined();
  return sent.map((s) => s.replace(/x[0-9a-f]{64}/g, 'x<sha256>').replace(/\s+/g, ' ').trim());
}

describe('round trips per request', () => {
  it('authenticates a query and sets the tenant for row-level security in one round trip', async () => {
    expect(await roundTrips('{ viewer { consumer } }')).toEqual(['select * from cdp_open_read($1)']);
  });

  it('adds only the statements the fields need', async () => {
    const sqls = await roundTrips('query ($id: ID!) { member(id: $id) { name events(first: 1) { nodes { name } } } }', { id: memberId });
    expect(sqls).toHaveLength(2);
    expect(sqls[0]).toBe('select * from cdp_open_read($1)');
    expect(sqls[1]).toMatch(/from members m/);
  });

  it('answers a compiled query in one round trip: the token check and its statement pipelined, then the statement alone', async () => {
    const page = 'query ($id: ID!) { member(id: $id) { name orders { nodes { id } } } }';
    await roundTrips('{ viewer { consumer } }'); // the connection's session: acme, unknown to the compiled path
    expect(await roundTrips(page, { id: memberId })).toEqual([expect.stringMatching(/^pipeline: cdp_open_read, cdp_q_\d+$/)]);
    // the next request finds the session with acme's tenant: the statement checks the token itself
    expect(await roundTrips(page, { id: memberId })).toEqual([expect.stringMatching(/^pipeline: cdp_q_\d+$/)]);
    // another tenant's general request moves the session: the next compiled read knows, and opens
    // with cdp_open_read in its one round trip instead of trying the statement alone first
    const other = await createTenantWithToken(db, 'other');
    sent.length = 0;
    expect((await gw.graphql('{ viewer { consumer } }', {}, other.token)).body.errors).toBeUndefined();
    expect(sent[0]).toBe('select * from cdp_open_read($1)'); // (and its token's first lease)
    expect(await roundTrips(page, { id: memberId })).toEqual([expect.stringMatching(/^pipeline: cdp_open_read, cdp_q_\d+$/)]);
    expect(await roundTrips(page, { id: memberId })).toEqual([expect.stringMatching(/^pipeline: cdp_q_\d+$/)]);
  });

  it('takes budget from the shared bucket once per lease (1% of the plan), not once per request', async () => {
    const fresh = await createTenantWithToken(db, 'lease'); // plan 60,000 points: leases of 600
    const takes: number[] = [];
    for (let i = 0; i < 5; i++) {
      sent.length = 0;
      const r = await gw.graphql('{ viewer { rateLimit { remaining } } }', {}, fresh.token);
      expect(r.body.errors).toBeUndefined();
      takes.push(sent.filter((s) => s.includes('cdp_rate_take')).length);
    }
    expect(takes).toEqual([1, 0, 0, 0, 0]);
    const bucket = await db.admin.query('select tokens from rate_buckets where bucket like $1', [`token:${fresh.tenantId}:%`]);
    expect(Math.round(bucket.rows[0].tokens)).toBe(60_000 - 600);
  });

  it('runs a mutation in a transaction with a transaction-local tenant', async () => {
    const sqls = await roundTrips('mutation { issueToken(consumer: "rt", scopes: ["members:read"]) { id } }');
    expect(sqls[0]).toBe(String.raw`begin; select * from cdp_authenticate('\x<sha256>'::bytea)`);
    expect(sqls.at(-1)).toBe('commit');
  });

  it('takes the general path for a query it cannot plan (a syntax error): a transaction, committed', async () => {
    sent.length = 0;
    const r = await gw.graphql('{ viewer { consumer }', {}, acme.token);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.body.extensions?.cost).toMatchObject({ requested: 1 });
    const sqls = sent.map((s) => s.replace(/x[0-9a-f]{64}/g, 'x<sha256>'));
    expect(sqls[0]).toBe(String.raw`begin; select * from cdp_authenticate('\x<sha256>'::bytea)`);
    expect(sqls.at(-1)).toBe('commit');
  });
});
