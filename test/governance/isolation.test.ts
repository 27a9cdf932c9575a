import { describe, it, expect, beforeAll } from 'vitest';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema } from 'graphql';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import pg from 'pg';
import { openRequestScope } from '../../gateway/request-context.js';
import { authenticateRead } from '../../tenants/auth.js';
import { hashToken } from '../../tenants/token-secret.js';
import { buildSchema } from '../../resolvers/index.js';
import { CompiledNames, compileQuery, type CompiledQuery } from '../../resolvers/compiled/compile-query.js';
import { createGateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { parse, type OperationDefinitionNode } from 'graphql';
import type { Services } from '../../resolvers/context.js';
import { callsFor, leaksIn, type Call, type ProbeValues } from './exercise.js';
import { startGovernedGateway, setRate } from './support.js';

/**
 * Three tenants hold the same phone numbers, order numbers, event ids, tag and audience names; each
 * tenant's token runs every query, mutation and subscription of the schema (found by introspection
 * at test time) with arguments that name the other tenants' ids, and no foreign row ever shows.
 */

const TENANTS = ['a', 'b', 'c'] as const;
type T = (typeof TENANTS)[number];
const BASE: Record<T, number> = { a: 100_000, b: 200_000, c: 300_000 };
const PHONES = ['13800000001', '13800000002', '13800000003'];
const marker = (t: T) => `ISO-${t}-`;

let db: TestDatabase;
let gw: TestGateway;
const tenants = {} as Record<T, { tenantId: string; token: string }>;
const ids = {} as Record<T, Map<string, Set<string>>>;

async function seed(t: T): Promise<void> {
  const id = tenants[t].tenantId;
  const q = (sql: string, values: unknown[] = []) => db.admin.query(sql, [id, ...values]);
  const m = marker(t);
  const base = BASE[t];
  for (let i = 0; i < 3; i++) {
    await q(`insert into members (tenant_id, member_id, name, phone, email, city, attributes) values ($1, $2, $3, $4, $5, $6, $7)`,
      [base + i, `${m}name-${i}`, PHONES[i], `${m}${i}@example.com`, `${m}city`, { note: `${m}attr` }]);
    await q(`insert into identities (tenant_id, kind, value, member_id) values ($1, 'PHONE', $2, $3), ($1, 'EXTERNAL_ID', $4, $3)`,
      [PHONES[i], base + i, `ext-${i}`]);
    await q(`insert into orders (tenant_id, order_id, member_id, channel, channel_order_id, status, amount, created_at, store_id)
      values ($1, $2, $3, 'tmall', $4, 'paid', 100, now() - interval '1 day', $5)`, [base + 1000 + i, base + i, `O-${i}`, `${m}store`]);
    await q(`insert into order_items (tenant_id, order_id, line_no, member_id, sku, product_name, category, quantity, price)
      values ($1, $2, 1, $3, 'sku-1', $4, 'fruit', 1, 100)`, [base + 1000 + i, base + i, `${m}apple`]);
    await q(`insert into events (tenant_id, id, event_id, member_id, name, channel, occurred_at, properties)
      values ($1, $2, $3, $4, 'login', 'app', now() - interval '1 hour', $5)`, [base + 2000 + i, `e-${i}`, base + i, { where: `${m}event` }]);
  }
  await q(`insert into tag_definitions (tenant_id, name, current_version, published_version, status) values ($1, 'vip', 1, 1, 'published')`);
  await q(`insert into tag_versions (tenant_id, name, version, source, value_type, label, category, dependencies)
    values ($1, 'vip', 1, 'tag vip: boolean = phone is not null', 'boolean', $2, '消费属性', '{field:phone}')`, [`${m}vip`]);
  await q(`insert into tag_values (tenant_id, tag_name, member_id, value) values ($1, 'vip', $2, $3)`, [base, JSON.stringify(`${m}value`)]);
  await q(`insert into audiences (tenant_id, name, current_version, status, size, last_seq) values ($1, 'churn_recall', 1, 'published', 1, 1)`);
  await q(`insert into audience_versions (tenant_id, name, version, source, label, dependencies)
    values ($1, 'churn_recall', 1, 'audience churn_recall = tag.vip = true', $2, '{tag:vip}')`, [`${m}churn`]);
  await q(`insert into audience_members (tenant_id, audience_name, member_id) values ($1, 'churn_recall', $2)`, [base]);
  await q(`insert into audience_changes (tenant_id, audience_name, seq, member_id, kind) values ($1, 'churn_recall', 1, $2, 'ENTERED')`, [base]);
  await q(`insert into refresh_jobs (tenant_id, job_id, target, state, error) values ($1, $2, 'tag:vip', 'failed', $3)`, [base + 3000, `${m}job`]);
  await q(`insert into consumers (tenant_id, name, description) values ($1, $2, $3)`, [`${m}consumer`, `${m}description`]);
  await q(`insert into usage_records (tenant_id, consumer_id, day, node, count)
    select $1, consumer_id, current_date, 'tag:vip', 7 from consumers where tenant_id = $1 and name = 'admin'`);
  await q(`insert into audit_log (tenant_id, audit_id, actor, action, target) values ($1, $2, $3, 'issueToken', $4)`,
    [base + 4000, `${m}actor`, `${m}target`]);
  await q(`insert into held_records (tenant_id, record_kind, identity_keys, payload) values ($1, 'event', '{ANONYMOUS_ID:x}', $2)`, [{ m }]);
}

async function idsOf(t: T): Promise<Map<string, Set<string>>> {
  const id = tenants[t].tenantId;
  const set = async (sql: string) => new Set((await db.admin.query(sql, [id])).rows.map((r) => String(r.id)));
  return new Map([
    ['Member', await set('select member_id as id from members where tenant_id = $1')],
    ['Order', await set('select order_id as id from orders where tenant_id = $1')],
    ['Token', await set('select token_id as id from tokens where tenant_id = $1')],
    ['Consumer', await set('select consumer_id as id from consumers where tenant_id = $1')],
    ['RefreshJob', await set('select job_id as id from refresh_jobs where tenant_id = $1')],
    ['AuditEntry', await set('select audit_id as id from audit_log where tenant_id = $1')],
  ]);
}

/** What other tenants' actions must never change. */
async function fingerprint(t: T): Promise<unknown> {
  const r = await db.admin.query(`select
    (select count(*) from members where tenant_id = $1) as members, (select count(*) from identities where tenant_id = $1) as identities,
    (select count(*) from orders where tenant_id = $1) as orders, (select count(*) from events where tenant_id = $1) as events,
    (select count(*) from member_aliases where tenant_id = $1) as aliases,
    (select string_agg(token_id || ':' || status, ',' order by token_id) from tokens where tenant_id = $1) as tokens,
    (select string_agg(name || ':' || status || ':' || current_version, ',' order by name) from tag_definitions where tenant_id = $1) as tags,
    (select string_agg(name || ':' || status || ':' || current_version, ',' order by name) from audiences where tenant_id = $1) as audiences`,
  [tenants[t].tenantId]);
  return r.rows[0];
}

let schema: GraphQLSchema;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startGovernedGateway(db, { limits: { maxCost: 10_000_000, maxSelections: 5000, maxTokens: 20_000, maxDocumentBytes: 200_000, maxAliases: 100 } });
  for (const t of TENANTS) tenants[t] = await createTenantWithToken(db, `iso-${t}`);
  for (const t of TENANTS) {
    await seed(t);
    await setRate(db, tenants[t].tenantId, null, 100_000_000);
  }
  for (const t of TENANTS) ids[t] = await idsOf(t);
  const introspection = await gw.graphql(getIntrospectionQuery(), {}, tenants.a.token);
  expect(introspection.body.errors).toBeUndefined();
  schema = buildClientSchema(introspection.body.data);
});

function probesFor(t: T): { values: ProbeValues; markers: string[]; foreign: Map<string, Set<string>> } {
  const others = TENANTS.filter((o) => o !== t);
  const target = others[0];
  const first = (kind: string) => [...ids[target].get(kind)!][0];
  const foreign = new Map<string, Set<string>>();
  for (const o of others) for (const [kind, set] of ids[o]) foreign.set(kind, new Set([...(foreign.get(kind) ?? []), ...set]));
  return {
    values: { foreign: { member: first('Member'), order: first('Order'), token: first('Token'), job: first('RefreshJob') },
      phone: PHONES[0], tag: 'vip', audience: 'churn_recall' },
    markers: others.map(marker),
    foreign,
  };
}

async function run(call: Call, token: string): Promise<unknown> {
  if (call.root !== 'subscription') return (await gw.graphql(call.document, {}, token)).body;
  const s = subscribe(gw.url, token, call.document);
  const got = await s.waitFor(1, 3000).catch(() => undefined);
  await s.dispose();
  return { received: got ?? s.received, errors: s.errors.map((e) => (e instanceof Error ? e.message : e)) };
}

describe('tenant isolation', () => {
  it('shows no foreign row to any tenant for every query, mutation and subscription of the schema', async () => {
    const exercised = new Set<string>();
    const leaks: string[] = [];
    for (const t of TENANTS) {
      const { values, markers, foreign } = probesFor(t);
      const before = await Promise.all(TENANTS.filter((o) => o !== t).map(fingerprint));
      for (const call of callsFor(schema, values)) {
        const body = await run(call, tenants[t].token);
        if (process.env.ISO_DEBUG) console.log(t, call.root, call.field, JSON.stringify(body).slice(0, 300));
        exercised.add(`${call.root}.${call.field}`);
        for (const leak of leaksIn(body, markers, foreign)) leaks.push(`${t} ${call.root}.${call.field}: ${leak}`);
      }
      const after = await Promise.all(TENANTS.filter((o) => o !== t).map(fingerprint));
      expect(after, `tenant ${t}'s calls changed another tenant`).toEqual(before);
    }
    expect(leaks).toEqual([]);
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .flatMap((type) => (type ? Object.keys(type.getFields()).map((f) => `${type === schema.getQueryType() ? 'query' : type === schema.getMutationType() ? 'mutation' : 'subscription'}.${f}`) : []));
    expect([...exercised].sort()).toEqual(roots.sort());
    expect(roots.length).toBeGreaterThan(10);
  });

  it('has a leak detector that finds foreign markers and foreign ids by type', () => {
    const foreign = new Map([['Member', new Set(['200000'])], ['Token', new Set(['7'])]]);
    const body = { data: { a: { __typename: 'Member', id: '200000', name: 'x ISO-b-name' }, b: { __typename: 'Order', id: '200000', tokenId: '7' } } };
    expect(leaksIn(body, ['ISO-b-'], foreign)).toEqual(['$.data.a.id = foreign Member 200000', '$.data.a.name contains ISO-b-',
      '$.data.b.tokenId = foreign Token 7']);
  });

  it('sees its own rows through the same calls (the probe is not blind)', async () => {
    const { values } = probesFor('a');
    const own = { ...values, foreign: { member: String(BASE.a + 2), order: String(BASE.a + 1002), token: values.foreign.token, job: String(BASE.a + 3000) } };
    const calls = callsFor(schema, own);
    const member = JSON.stringify(await run(calls.find((c) => c.field === 'member')!, tenants.a.token));
    expect(member).toContain(`${marker('a')}name-2`);
    const order = JSON.stringify(await run(calls.find((c) => c.field === 'order')!, tenants.a.token));
    expect(order).toContain(`${marker('a')}store`);
  });
});

describe('row-level security is the second wall', () => {
  it('returns nothing foreign to SQL without a tenant filter, run as cdp_app in an authenticated request transaction', async () => {
    const scope = await openRequestScope(`Bearer ${tenants.a.token}`, { pool: db.app, services: {} as Services });
    try {
      // every table with a tenant_id that cdp_app may read at all
      const tables = await scope.context.db.query(`select c.relname, c.relrowsecurity and c.relforcerowsecurity as forced
        from pg_class c join pg_attribute a on a.attrelid = c.oid
        where a.attname = 'tenant_id' and c.relkind = 'r' and c.relnamespace = 'public'::regnamespace
          and has_table_privilege(c.oid, 'select') order by 1`);
      expect(tables.rows.filter((r) => !r.forced)).toEqual([]);
      const names = tables.rows.map((r) => r.relname as string);
      expect(names).toEqual(expect.arrayContaining(['members', 'orders', 'tokens', 'audit_log', 'usage_records']));
      for (const table of names) {
        // deliberately no "where tenant_id = $1": row-level security alone must keep other tenants out
        const r = await scope.context.db.query(`select count(*)::int as rows, count(*) filter (where tenant_id <> $1)::int as foreign from ${table}`,
          [tenants.a.tenantId]);
        const own = await db.admin.query(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenants.a.tenantId]);
        expect({ table, ...r.rows[0] }).toEqual({ table, rows: own.rows[0].n, foreign: 0 });
      }
      const members = await scope.context.db.query(`select member_id from members order by 1`);
      const own = await db.admin.query(`select member_id from members where tenant_id = $1 order by 1`, [tenants.a.tenantId]);
      expect(members.rows).toEqual(own.rows);
      await expect(scope.context.db.query(`insert into members (tenant_id, name) values ($1, 'intruder')`, [tenants.b.tenantId]))
        .rejects.toThrow(/row-level security/);
    } finally {
      await scope.finish(false);
    }
  });

  it('never lets a read request\'s session tenant reach the next checkout of a request-pool connection', async () => {
    const pool = new pg.Pool({ ...db.request.options, max: 1 }); // one connection: every checkout reuses it
    const tenantNow = async (c: pg.PoolClient) => (await c.query('select cdp_current_tenant() as t, (select count(*) from members)::int as members')).rows[0];
    const revoked = await createTenantWithToken(db, 'iso_revoked');
    await db.admin.query(`update tokens set status = 'revoked' where tenant_id = $1`, [revoked.tenantId]);
    try {
      const steps: [string, string][] = [['a', tenants.a.token], ['unknown', 'cdp_no_such_token_0123456789'], ['a', tenants.a.token],
        ['revoked', revoked.token], ['b', tenants.b.token], ['root-less failure', 'cdp_' + 'x'.repeat(40)]];
      for (const [who, token] of steps) {
        const c = await pool.connect();
        try {
          const opened = await authenticateRead(c, token);
          const now = await tenantNow(c);
          if (who === 'a' || who === 'b') {
            expect(opened).toMatchObject({ kind: 'consumer', tenantId: tenants[who].tenantId });
            expect(now).toEqual({ t: tenants[who].tenantId, members: 3 });
          } else {
            expect(opened).toHaveProperty('failure');
            expect({ who, ...now }).toEqual({ who, t: null, members: 0 });
          }
        } finally {
          c.release();
        }
      }
    } finally {
      await pool.end();
    }
  });

  it('answers a compiled statement only for an active token of the tenant the session kept', async () => {
    const op = parse('query ($id: ID!) { member(id: $id) { id name } }').definitions[0] as OperationDefinitionNode;
    const compiled = compileQuery(buildSchema(), op, true, new CompiledNames()) as CompiledQuery;
    const revokedA = await issueTestToken(db, tenants.a.tenantId, 'iso-revoked-reader', ['members:read', 'pii']);
    await db.admin.query(`update tokens set status = 'revoked' where secret_sha256 = $1`, [hashToken(revokedA)]);
    const pool = new pg.Pool({ ...db.request.options, max: 1 });
    const c = await pool.connect();
    const answer = async (token: string, t: T) => {
      const r = await c.query({ text: compiled.text, values: compiled.bind(hashToken(token), { id: String(BASE[t]) })! });
      return r.rows.map((row) => ({ tenant: row.tenant_id, data: JSON.parse(Buffer.from(row.data, 'base64').toString('utf8')) }));
    };
    try {
      expect(await authenticateRead(c, tenants.a.token)).toMatchObject({ tenantId: tenants.a.tenantId }); // the session keeps tenant a
      const name = (await db.admin.query('select name from members where tenant_id = $1 and member_id = $2', [tenants.a.tenantId, BASE.a])).rows[0].name;
      expect(await answer(tenants.a.token, 'a')).toEqual([{ tenant: tenants.a.tenantId, data: { member: { id: String(BASE.a), name } } }]);
      // b's token on a's session: no row at all (not b's member, not a's), whichever member it names
      expect(await answer(tenants.b.token, 'b')).toEqual([]);
      expect(await answer(tenants.b.token, 'a')).toEqual([]);
      expect(await answer(revokedA, 'a')).toEqual([]);
      expect(await authenticateRead(c, 'cdp_no_such_token_0123456789')).toEqual({ failure: 'UNKNOWN' }); // the session has no tenant
      expect(await answer(tenants.a.token, 'a')).toEqual([]);
    } finally {
      c.release();
      await pool.end();
    }
  });

  it('answers every compiled read with its own tenant while the request pool\'s sessions pass from tenant to tenant', async () => {
    const request = new pg.Pool({ ...db.request.options, max: 1 }); // one connection: every request reuses its session
    const gateway = await createGateway({ pools: { ...db, request }, log: createLogger('silent'), development: false });
    const url = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}/graphql`;
    const ask = async (query: string, token: string, variables: Record<string, unknown> = {}): Promise<any> => (await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }),
    })).json();
    const page = 'query ($id: ID!) { member(id: $id) { id orders { nodes { id } } } }'; // compiled
    const revokedB = await issueTestToken(db, tenants.b.tenantId, 'iso-revoked-page', ['members:read', 'orders:read', 'pii']);
    // each tenant's member BASE with its order ids (tenant-specific ids), as the owner reads them
    const pages = {} as Record<T, unknown>;
    for (const t of TENANTS) {
      const orders = await db.admin.query(`select order_id::text as id from orders where tenant_id = $1 and member_id = $2
        order by created_at desc, order_id desc limit 20`, [tenants[t].tenantId, BASE[t]]);
      expect(orders.rows).toContainEqual({ id: String(BASE[t] + 1000) });
      pages[t] = { data: { member: { id: String(BASE[t]), orders: { nodes: orders.rows } } } };
    }
    const own = (t: T) => pages[t];
    try {
      const steps: [string, T, string, unknown][] = [
        ['a', 'a', tenants.a.token, own('a')],
        ['a again (its session kept)', 'a', tenants.a.token, own('a')],
        ['b', 'b', tenants.b.token, own('b')],
        ['a after b', 'a', tenants.a.token, own('a')],
        ['a naming b\'s member', 'b', tenants.a.token, { data: { member: null } }],
        ['b, soon revoked', 'b', revokedB, own('b')],
      ];
      const walk = async (list: typeof steps) => {
        for (const [who, t, token, expected] of list) {
          const { data, errors } = await ask(page, token, { id: String(BASE[t]) });
          expect({ who, data, errors }).toEqual({ who, errors: undefined, ...(expected as object) });
        }
      };
      await walk(steps);
      // a general-path request moves the session to c behind the compiled path's back
      expect((await ask('{ viewer { consumer } }', tenants.c.token)).errors).toBeUndefined();
      await walk([['b after c\'s general request', 'b', revokedB, own('b')], ['c', 'c', tenants.c.token, own('c')]]);
      await db.admin.query(`update tokens set status = 'revoked' where secret_sha256 = $1`, [hashToken(revokedB)]);
      await walk([['b', 'b', tenants.b.token, own('b')]]); // the session keeps b
      const refused = await ask(page, revokedB, { id: String(BASE.b) });
      expect(refused.data).toBeUndefined();
      expect(refused.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
      await walk([['a after a refused token', 'a', tenants.a.token, own('a')]]);
    } finally {
      await gateway.stop();
      await request.end();
    }
  });

  it('shows nothing at all to a cdp_app session that never authenticated', async () => {
    const r = await db.app.query(`select (select count(*) from members)::int as members, (select count(*) from tokens)::int as tokens`);
    expect(r.rows[0]).toEqual({ members: 0, tokens: 0 });
  });
});
