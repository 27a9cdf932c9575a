import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway, type GraphQLResponse } from '../support/gateway.js';
import { seedReadFixture } from './read-fixture.js';

/**
 * Compiled reads (gateway/compiled-read.ts, resolvers/compiled): a query the compiler takes is
 * answered by one statement that checks the token itself (alone, or pipelined after cdp_open_read
 * when the connection's session holds another tenant or none). Its answers must be the resolvers'
 * answers: every test here asks a gateway with compiled reads and one without the same thing.
 */

let db: TestDatabase;
let compiled: TestGateway;
let reference: TestGateway;
let acme: { tenantId: string; token: string };
let memberIds: string[];
const MERGED_AWAY_ID = '777777777';

beforeAll(async () => {
  db = await testDatabase();
  // the generated queries below are hundreds of distinct statements; a gateway compiles 50 by default
  compiled = await startTestGateway(db, { compiledReads: { maxStatements: 2000 } });
  reference = await startTestGateway(db, { compiledReads: false });
  acme = await createTenantWithToken(db, 'acme');
  memberIds = (await seedReadFixture(db, acme.tenantId, { members: 12, orders: 7, items: 2 })).memberIds;
  // a merged-away id answers for its survivor; a member with no orders, identities or tags
  await db.admin.query('insert into member_aliases (tenant_id, alias_id, member_id) values ($1, $2, $3)', [acme.tenantId, MERGED_AWAY_ID, memberIds[2]]);
  const bare = await db.admin.query(`insert into members (tenant_id, gender, registered_at, birthday) values ($1, 'U', now(), date '2000-02-29') returning member_id`, [acme.tenantId]);
  memberIds.push(String(bare.rows[0].member_id));
});

/** The response without extensions.cost's moving parts (remaining points, reset time). */
function comparable(r: GraphQLResponse<any>) {
  return { status: r.status, data: r.body.data, errors: r.body.errors, requested: r.body.extensions?.cost?.requested };
}

/** Asks both gateways; returns the compiled gateway's statements for the request. */
async function both(query: string, variables: Record<string, unknown>, token = acme.token) {
  compiled.statements.length = 0;
  const a = await compiled.graphql(query, variables, token);
  const statements = [...compiled.statements];
  const b = await reference.graphql(query, variables, token);
  expect(comparable(a)).toEqual(comparable(b));
  return { response: a, statements };
}

// how every compiled statement starts (resolvers/compiled/compile-query.ts)
const COMPILED = 'select p.*, encode(convert_to(json_build_object(';
// the request's statements as the gateway reports them (the token check is not among them)
const ranCompiled = (statements: string[]) => statements.length === 1 && statements[0].startsWith(COMPILED);

// ---- generated selections -------------------------------------------------------------------

const MEMBER_SCALARS = ['id', 'name', 'gender', 'birthday', 'phone', 'email', 'province', 'city', 'registeredAt', 'registeredChannel',
  'level', 'points', 'married', 'hasChildren', 'attributes', 'age', 'daysUntilBirthday', 'hasIdCard', '__typename'];
const ORDER_SCALARS = ['id', 'channel', 'channelOrderId', 'memberId', 'status', 'amount', 'discount', 'createdAt', 'paidAt', 'storeId', '__typename'];
const ITEM_FIELDS = ['lineNo', 'sku', 'productName', 'category', 'quantity', 'price'];

const some = (names: string[]) => fc.subarray(names, { minLength: 1 });
// an alias on some fields (distinct response keys: the field's own name suffixed)
const aliased = (names: string[]) => fc.tuple(...names.map((n) => fc.boolean().map((a) => (a ? `${n}X: ${n}` : n)))).map((xs) => xs.join(' '));
const fields = (names: string[]) => some(names).chain(aliased);

const orderSelection = fc.tuple(fields(ORDER_SCALARS), fc.option(fields(ITEM_FIELDS), { nil: undefined }))
  .map(([scalars, items]) => `${scalars}${items ? ` items { ${items} }` : ''}`);

const connectionSelection = fc.record({
  nodes: fc.option(orderSelection, { nil: undefined }),
  edges: fc.option(fc.tuple(fc.boolean(), fc.option(orderSelection, { nil: undefined })), { nil: undefined }),
  pageInfo: fc.option(some(['hasNextPage', 'endCursor']), { nil: undefined }),
  totalCount: fc.boolean(),
  typename: fc.boolean(),
}).map((c) => [
  c.nodes && `nodes { ${c.nodes} }`,
  c.edges && `edges { ${c.edges[0] || !c.edges[1] ? 'cursor ' : ''}${c.edges[1] ? `node { ${c.edges[1]} }` : ''} }`,
  c.pageInfo && `pageInfo { ${c.pageInfo.join(' ')} }`,
  c.totalCount && 'totalCount',
  (c.typename || (!c.nodes && !c.edges && !c.pageInfo && !c.totalCount)) && '__typename',
].filter(Boolean).join(' '));

const memberSelection = fc.record({
  scalars: fields(MEMBER_SCALARS),
  identities: fc.option(some(['kind', 'value', 'channel', 'createdAt', '__typename']), { nil: undefined }),
  orders: fc.option(fc.tuple(fc.constantFrom('', '(first: 3)', '(first: $first)', '(first: 1)'), connectionSelection), { nil: undefined }),
  tags: fc.option(some(['name', 'value']), { nil: undefined }),
}).map((m) => [
  m.scalars,
  m.identities && `identities { ${m.identities.join(' ')} }`,
  m.orders && `orders${m.orders[0]} { ${m.orders[1]} }`,
  m.tags && `tags { ${m.tags.join(' ')} }`,
].filter(Boolean).join(' '));

describe('compiled reads answer what the resolvers answer', () => {
  it.each([['with', ['admin']], ['without', ['members:read', 'orders:read', 'tags:read']]])(
    'for generated member selections (fields, aliases, identities, order pages, items, tags) by id and by identity, a token %s pii', async (pii, scopes) => {
      const token = await issueTestToken(db, acme.tenantId, `generated-${pii}-pii`, scopes);
      // a token's first request is compiled for callers with pii; from then on, for what it holds
      await compiled.graphql(`query ($id: ID!) { member(id: $id) { name } }`, { id: memberIds[0] }, token);
      let compiledRuns = 0;
      await fc.assert(fc.asyncProperty(memberSelection, fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 2, 5, 100),
        fc.constantFrom('member', 'phone', 'openid'), async (selection, which, first, root) => {
          const id = which === 13 ? MERGED_AWAY_ID : which === 14 ? '999999999' : memberIds[which];
          // the fixture's members k = 1..12 have the phone 138 + k in 8 digits and the openid oid-<member id>
          const value = root === 'phone' ? `138${String(which + 1).padStart(8, '0')}` : `oid-${id}`;
          const first$ = selection.includes('$first') ? ', $first: Int' : '';
          const query = root === 'member'
            ? `query Page($id: ID!${first$}) { member(id: $id) { ${selection} } }`
            : `query Page($kind: IdentityKind!, $value: String!${first$}) { memberByIdentity(kind: $kind, value: $value) { ${selection} } }`;
          const variables = root === 'member' ? { id, first } : { kind: root === 'phone' ? 'PHONE' : 'WECHAT_OPENID', value, first };
          const { response, statements } = await both(query, variables, token);
          expect(response.body.errors).toBeUndefined();
          // first: 0 reads nothing in the resolvers and is left to them; everything else is compiled
          const firstZero = selection.includes('(first: $first)') && first === 0;
          expect(ranCompiled(statements)).toBe(!firstZero);
          if (ranCompiled(statements)) compiledRuns += 1;
        }), { numRuns: 90, seed: 20261207 });
      expect(compiledRuns).toBeGreaterThan(60);
    });

  it('masks personal data as tenants/pii.ts does, and leaves values it cannot mask exactly to the resolvers', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'masked-reader', ['members:read', 'orders:read', 'tags:read']);
    const odd = await db.admin.query(`insert into members (tenant_id, name, gender, registered_at, phone, email)
      values ($1, '', 'U', now(), '12345', '@example.com'), ($1, '😀李', 'F', now(), '13812345678', 'x@y.cn'),
             ($1, '王', 'M', now(), '138😀1234567', 'z@example.com'), ($1, 'Ann', 'F', now(), '13800000000', '😀@example.com'),
             ($1, '赵六', 'M', now(), '13900000000', 'liu@example.com')
      returning member_id::text as id`, [acme.tenantId]);
    const [empty, emojiName, emojiPhone, emojiEmail, emojiIdentity] = odd.rows.map((r) => r.id);
    await db.admin.query(`insert into identities (tenant_id, kind, value, member_id) values ($1, 'PHONE', '139😀0000000', $2), ($1, 'EMAIL', 'a@b.c', $2)`, [acme.tenantId, emojiIdentity]);
    const query = `query ($id: ID!) { member(id: $id) { name phone email birthday identities { kind value } } }`;
    await compiled.graphql(query, { id: empty }, token); // learns that the token has no pii
    for (const [id, exact] of [[empty, true], [emojiName, true], [memberIds[0], true], [emojiPhone, false], [emojiEmail, false], [emojiIdentity, false]] as const) {
      const { response, statements } = await both(query, { id }, token);
      expect(ranCompiled(statements)).toBe(exact);
      expect(response.body.data.member.birthday).toBeNull();
    }
    const { response } = await both(query, { id: emojiName }, token);
    expect(response.body.data.member).toMatchObject({ name: '😀*', phone: '138****5678', email: 'x***@y.cn' });
  });

  it('pages through orders with the cursors it hands out, as the resolvers do', async () => {
    const query = `query ($id: ID!, $after: String) { member(id: $id) { orders(first: 3, after: $after) {
      edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } totalCount } } }`;
    let after: string | null = null;
    const seen: string[] = [];
    for (let page = 0; page < 4; page++) {
      const { response, statements }: { response: GraphQLResponse<any>; statements: string[] } = await both(query, { id: memberIds[1], after });
      expect(ranCompiled(statements)).toBe(true);
      const orders = response.body.data.member.orders;
      seen.push(...orders.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(orders.totalCount).toBe(7);
      if (!orders.pageInfo.hasNextPage) break;
      after = orders.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it('answers several members, aliases and __typename in one statement', async () => {
    const query = `query ($a: ID!) { __typename first: member(id: $a) { id city } second: member(id: "${memberIds[2]}") { id tags { name } } }`;
    const { response, statements } = await both(query, { a: memberIds[0] });
    expect(ranCompiled(statements)).toBe(true);
    expect(response.body.data).toEqual({ __typename: 'Query', first: { id: memberIds[0], city: '宁波' }, second: { id: memberIds[2], tags: [{ name: 'high_value' }, { name: 'lifecycle' }] } });
    // the response key of an alias is a bind value, never SQL text
    expect(statements[0]).not.toMatch(/first|second/);
  });
});

describe('compiled reads over GET', () => {
  it('answers a GET query as the resolvers do, in its one statement', async () => {
    const search = new URLSearchParams({ query: 'query ($id: ID!) { member(id: $id) { id city tags { name } } }', variables: JSON.stringify({ id: memberIds[6] }) });
    const get = (gw: TestGateway) => fetch(`${gw.url}?${search}`, { headers: { authorization: `Bearer ${acme.token}` } });
    compiled.statements.length = 0;
    const a = await get(compiled);
    expect(ranCompiled(compiled.statements)).toBe(true);
    const b = await get(reference);
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe(b.headers.get('content-type'));
    const [ja, jb] = [(await a.json()) as any, (await b.json()) as any];
    expect(ja.data).toEqual(jb.data);
    expect(ja.data.member.id).toBe(memberIds[6]);
  });
});

describe('what compiled reads leave to the resolvers', () => {
  const PAGE = `query ($id: ID!, $first: Int) { member(id: $id) { id name phone identities { kind value } orders(first: $first) { nodes { id } } tags { name value } } }`;

  it('narrowed tag scopes or no orders:read: the resolvers filter or refuse', async () => {
    const scopesList = [['members:read', 'pii', 'orders:read', 'tags:read:基础属性'], ['members:read', 'pii', 'tags:read']];
    for (const scopes of scopesList) {
      const token = await issueTestToken(db, acme.tenantId, `narrow-${scopes.length}-${scopes.at(-1)}`, scopes);
      const { response, statements } = await both(PAGE, { id: memberIds[4], first: 2 }, token);
      expect(ranCompiled(statements)).toBe(false);
      expect(response.status).toBe(200);
      // and the next request of that token does not try the compiled statement again
      compiled.statements.length = 0;
      await compiled.graphql(PAGE, { id: memberIds[4], first: 2 }, token);
      expect(compiled.statements.some((s) => s.startsWith(COMPILED))).toBe(false);
    }
  });

  it('refused values, unknown and revoked tokens get the resolvers\' errors', async () => {
    for (const variables of [{ id: memberIds[0], first: 101 }, { id: memberIds[0], first: -1 }, { id: 'abc', first: 1 }, { id: memberIds[0], first: 'x' }]) {
      const { response, statements } = await both(PAGE, variables);
      expect(ranCompiled(statements)).toBe(false);
      expect(response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    const badCursor = await both(`{ member(id: "${memberIds[0]}") { orders(after: "bm90LWEtY3Vyc29y") { totalCount } } }`, {});
    expect(badCursor.response.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await both(PAGE, { id: memberIds[0] }, 'cdp_unknownunknownunknownunknownunknown');
    expect(unknown.response.status).toBe(401);
    const revoked = await issueTestToken(db, acme.tenantId, 'revoked-reader', ['admin']);
    await db.admin.query(`update tokens set status = 'revoked' where tenant_id = $1 and consumer_id = (select consumer_id from consumers where name = 'revoked-reader')`, [acme.tenantId]);
    const r = await both(PAGE, { id: memberIds[0] }, revoked);
    expect(r.response.status).toBe(401);
    expect(r.response.body.errors?.[0].message).toBe('token revoked');
  });

  it('fragments, directives, other fields and other response formats', async () => {
    for (const query of [
      `query ($id: ID!) { member(id: $id) { ...M } } fragment M on Member { id city }`,
      `query ($id: ID!, $x: Boolean!) { member(id: $id) { id city @include(if: $x) } }`,
      `query ($id: ID!) { member(id: $id) { id events(first: 2) { nodes { name } } } }`,
      `query ($id: ID!) { member(id: $id) { id orders { nodes { member { id } } } } }`,
      `query ($id: ID!) { member(id: $id) { id id } }`,
    ]) {
      const { statements } = await both(query, { id: memberIds[0], x: true });
      expect(ranCompiled(statements)).toBe(false);
    }
    compiled.statements.length = 0;
    const res = await fetch(compiled.url, { method: 'POST', body: JSON.stringify({ query: `{ member(id: "${memberIds[0]}") { id } }` }),
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${acme.token}` } });
    expect(res.headers.get('content-type')).toMatch(/application\/graphql-response\+json/);
    expect(ranCompiled(compiled.statements)).toBe(false);
  });
});

describe('a bounded number of compiled statements', () => {
  it('past its limit a gateway runs new documents through graphql-js, with the same answers', async () => {
    const capped = await startTestGateway(db, { compiledReads: { maxStatements: 2 } });
    for (const [field, expected] of [['id', true], ['city', true], ['level', false], ['id', true]] as const) {
      const query = `query ($id: ID!) { member(id: $id) { ${field} } }`;
      capped.statements.length = 0;
      const a = await capped.graphql(query, { id: memberIds[3] }, acme.token);
      expect(ranCompiled(capped.statements)).toBe(expected);
      expect(a.body.data).toEqual((await reference.graphql(query, { id: memberIds[3] }, acme.token)).body.data);
    }
  });
});

describe('compiled reads are governed like every query', () => {
  it('charge the token, count in metrics and record lineage as the plugins do', async () => {
    const a = await issueTestToken(db, acme.tenantId, 'lineage-compiled', ['admin']);
    const b = await issueTestToken(db, acme.tenantId, 'lineage-reference', ['admin']);
    const query = `query ($id: ID!) { member(id: $id) { id phone tags { value } } }`;
    compiled.statements.length = 0;
    const first = await compiled.graphql(query, { id: memberIds[5] }, a);
    expect(ranCompiled(compiled.statements)).toBe(true);
    const second = await compiled.graphql(query, { id: memberIds[5] }, a);
    expect(second.body.extensions!.cost.remaining).toBe(first.body.extensions!.cost.remaining - first.body.extensions!.cost.requested);
    await reference.graphql(query, { id: memberIds[5] }, b);
    await compiled.gateway.governance.recorder.flush();
    await reference.gateway.governance.recorder.flush();
    const nodes = async (consumer: string) => (await db.admin.query(
      `select node, count from usage_records u join consumers c using (tenant_id, consumer_id) where c.name = $1 order by node`, [consumer])).rows;
    const recorded = await nodes('lineage-compiled');
    expect(recorded.map((r) => r.node)).toEqual((await nodes('lineage-reference')).map((r) => r.node));
    expect(recorded.map((r) => r.node)).toEqual(expect.arrayContaining(['field:Member.phone', 'tag:high_value', 'tag:lifecycle']));
    expect(recorded.every((r) => Number(r.count) === 2)).toBe(true);
    const metrics = await (await fetch(compiled.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/cdp_graphql_requests_total\{consumer="acme\/lineage-compiled",operation="query"\} 2/);
  });
});
