import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { seedReadFixture, type ReadFixture } from './read-fixture.js';

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let fx: ReadFixture;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  fx = await seedReadFixture(db, acme.tenantId, { members: 30, orders: 5, items: 2 });
});

const ok = async (query: string, variables: Record<string, unknown> = {}, token = acme.token) => {
  const r = await gw.graphql(query, variables, token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data;
};

describe('Member', () => {
  it('exposes fields, identities, orders with items, events, tags, tag(name) and inAudience', async () => {
    const id = fx.memberIds[3]; // rank 4: level 0, in churn_recall
    const data = await ok(`query ($id: ID!) { member(id: $id) {
      id name gender birthday phone city level points registeredChannel attributes
      identities { kind value channel }
      orders(first: 2) { totalCount pageInfo { hasNextPage } nodes { channel channelOrderId status amount discount createdAt paidAt storeId
        items { sku productName category quantity price } } }
      events(first: 1) { totalCount nodes { eventId name channel occurredAt properties } }
      tags { name value } lifecycle: tag(name: "lifecycle") missing: tag(name: "high_value")
      churn: inAudience(name: "churn_recall") other: inAudience(name: "nope") } }`, { id });
    expect(data.member).toEqual({
      id, name: '会员4', gender: 'F', birthday: '1990-01-05', phone: '13800000004', city: '杭州', level: 0, points: 40,
      registeredChannel: 'TMALL', attributes: { rank: 4 },
      identities: [{ kind: 'PHONE', value: '13800000004', channel: 'TMALL' }, { kind: 'WECHAT_OPENID', value: `oid-${id}`, channel: 'WECHAT_MP' }],
      orders: {
        totalCount: 5,
        pageInfo: { hasNextPage: true },
        nodes: [
          { channel: 'POS', channelOrderId: `CO-${id}-5`, status: 'REFUNDED', amount: 105.5, discount: 1.25,
            createdAt: '2026-01-02T21:00:00.123Z', paidAt: '2026-01-02T21:05:00.000Z', storeId: 'store-5',
            items: [{ sku: 'SKU-1', productName: '商品1', category: 'electronics', quantity: 1, price: 10.1 },
              { sku: 'SKU-2', productName: '商品2', category: 'fruit', quantity: 2, price: 20.2 }] },
          { channel: 'JD', channelOrderId: `CO-${id}-4`, status: 'PAID', amount: 104.5, discount: 1.25,
            createdAt: '2026-01-02T20:00:00.123Z', paidAt: '2026-01-02T20:05:00.000Z', storeId: null,
            items: [{ sku: 'SKU-1', productName: '商品1', category: 'electronics', quantity: 1, price: 10.1 },
              { sku: 'SKU-2', productName: '商品2', category: 'fruit', quantity: 2, price: 20.2 }] },
        ],
      },
      events: { totalCount: 3, nodes: [{ eventId: `ev-${id}-3`, name: 'add_to_cart', channel: 'APP', occurredAt: '2026-02-01T00:03:00.000Z', properties: { k: 3 } }] },
      tags: [{ name: 'lifecycle', value: 'new' }],
      lifecycle: 'new', missing: null, churn: true, other: false,
    });
  });

  it('derives age and days until the birthday (UTC, as the DSL), and tells only whether a national id is on file', async () => {
    const id = fx.memberIds[3]; // birthday 1990-01-05
    await db.admin.query(`update members set id_card_sha256 = sha256('110101199001050000') where tenant_id = $1 and member_id = $2`, [acme.tenantId, id]);
    const data = await ok(`query ($id: ID!, $other: ID!) { a: member(id: $id) { age daysUntilBirthday hasIdCard } b: member(id: $other) { hasIdCard } }`,
      { id, other: fx.memberIds[4] });
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const thisYear = Date.UTC(now.getUTCFullYear(), 0, 5);
    const next = thisYear >= today ? thisYear : Date.UTC(now.getUTCFullYear() + 1, 0, 5);
    expect(data).toEqual({
      a: { age: now.getUTCFullYear() - 1990 - (today < thisYear ? 1 : 0), daysUntilBirthday: (next - today) / 86_400_000, hasIdCard: true },
      b: { hasIdCard: false },
    });
  });

  it('finds a member by identity', async () => {
    const data = await ok(`{ memberByIdentity(kind: PHONE, value: "13800000007") { id name } none: memberByIdentity(kind: EMAIL, value: "x") { id } }`);
    expect(data).toEqual({ memberByIdentity: { id: fx.memberIds[6], name: '会员7' }, none: null });
  });
});

describe('connections', () => {
  it('pages members with opaque keyset cursors and a totalCount', async () => {
    const q = `query ($after: String) { members(first: 12, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const data = await ok(q, { after });
      expect(data.members.totalCount).toBe(30);
      seen.push(...data.members.edges.map((e: any) => e.node.id));
      expect(data.members.pageInfo.hasNextPage).toBe(page < 2);
      after = data.members.pageInfo.endCursor;
      expect(after).toBe(data.members.edges.at(-1).cursor);
      expect(after).not.toMatch(/^\d+$/);
    }
    expect(seen).toEqual(fx.memberIds);
  });

  it('defaults first to 20', async () => {
    const data = await ok('{ members { edges { node { id } } } }');
    expect(data.members.edges).toHaveLength(20);
  });

  it('keeps a cursor valid when newer rows are inserted before it', async () => {
    const id = fx.memberIds[9];
    const q = `query ($id: ID!, $after: String) { member(id: $id) { orders(first: 2, after: $after) { pageInfo { endCursor } nodes { channelOrderId } } } }`;
    const first = await ok(q, { id });
    const after = first.member.orders.pageInfo.endCursor;
    const before = await ok(q, { id, after });
    await db.admin.query(`insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
                          values ($1, $2, 'app', 'NEWEST', 'paid', 1, '2030-01-01')`, [acme.tenantId, id]);
    const again = await ok(q, { id, after });
    expect(again.member.orders.nodes).toEqual(before.member.orders.nodes);
    expect(before.member.orders.nodes.map((o: any) => o.channelOrderId)).toEqual([`CO-${id}-3`, `CO-${id}-2`]);
    const top = await ok(q, { id });
    expect(top.member.orders.nodes[0].channelOrderId).toBe('NEWEST');
  });

  it('filters orders by member and channel, newest first', async () => {
    const id = fx.memberIds[0];
    const data = await ok(`query ($id: ID!) { orders(memberId: $id, channel: TMALL) { totalCount nodes { channelOrderId channel member { id } } }
      all: orders(first: 1) { totalCount } }`, { id });
    expect(data.orders).toEqual({ totalCount: 1, nodes: [{ channelOrderId: `CO-${id}-3`, channel: 'TMALL', member: { id } }] });
    expect(data.all.totalCount).toBe(151);
  });

  it('resolves Order.member through a merged-away id to the survivor, batched', async () => {
    const survivor = fx.memberIds[2];
    await db.admin.query('insert into member_aliases (tenant_id, alias_id, member_id) values ($1, 888888, $2)', [acme.tenantId, survivor]);
    await db.admin.query(`insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
                          values ($1, 888888, 'jd', 'VIA-ALIAS', 'paid', 1, '2025-06-01')`, [acme.tenantId]);
    gw.statements.length = 0;
    const data = await ok(`{ orders(channel: JD, first: 100) { nodes { channelOrderId member { id name } } } }`);
    const viaAlias = data.orders.nodes.find((o: any) => o.channelOrderId === 'VIA-ALIAS');
    expect(viaAlias.member).toEqual({ id: survivor, name: '会员3' });
    expect(data.orders.nodes.length).toBeGreaterThan(10);
    expect(gw.statements).toHaveLength(2); // the orders page, then every member in one statement
  });

  it('answers order(id) and null for an order of nobody', async () => {
    const r = await db.admin.query(`select order_id from orders where tenant_id = $1 and channel_order_id = $2`, [acme.tenantId, `CO-${fx.memberIds[1]}-1`]);
    const data = await ok(`query ($id: ID!) { order(id: $id) { id channelOrderId amount items { sku } } none: order(id: "999999999") { id } }`,
      { id: r.rows[0].order_id });
    expect(data).toEqual({ order: { id: r.rows[0].order_id, channelOrderId: `CO-${fx.memberIds[1]}-1`, amount: 101.5,
      items: [{ sku: 'SKU-1' }, { sku: 'SKU-2' }] }, none: null });
  });

  it('rejects first above 100 or negative, and foreign cursors, naming the argument', async () => {
    const cases: [string, string, string][] = [
      ['{ members(first: 101) { totalCount } }', 'first', 'argument "first" must be at most 100, got 101'],
      ['{ members(first: -1) { totalCount } }', 'first', 'argument "first" must not be negative, got -1'],
      ['{ tags(first: 500) { totalCount } }', 'first', 'argument "first" must be at most 100, got 500'],
      ['{ members(after: "bm90IGEgY3Vyc29y") { totalCount } }', 'after', 'argument "after" is not a cursor of this connection'],
      ['{ orders(memberId: "x1") { totalCount } }', 'memberId', 'argument "memberId" is not a valid id: "x1"'],
    ];
    for (const [query, argument, message] of cases) {
      const r = await gw.graphql(query, {}, acme.token);
      expect(r.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT', argument } });
    }
    const page = await ok('{ members(first: 1) { pageInfo { endCursor } } }');
    const r = await gw.graphql(`{ tags(after: "${page.members.pageInfo.endCursor}") { totalCount } }`, {}, acme.token);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});

describe('tags and audiences', () => {
  it('reads tag definitions with coverage, filtered by category and status', async () => {
    const data = await ok(`{ tag(name: "high_value") { name label category type source version publishedVersion status owner coverage batchOnly lastRefreshedAt dependencies }
      basics: tags(category: "基础属性") { totalCount nodes { name version } }
      published: tags(status: "published") { nodes { name } }
      none: tag(name: "nope") { name } }`);
    expect(data.tag).toEqual({ name: 'high_value', label: '高价值客户', category: '消费属性/价值', type: 'boolean',
      source: 'tag high_value: boolean = sum(orders.amount) >= 300', version: 1, publishedVersion: 1, status: 'published',
      owner: 'pm@acme', coverage: 15, batchOnly: false, lastRefreshedAt: '2026-03-01T00:00:00.000Z', dependencies: ['orders.amount'] });
    expect(data.basics).toEqual({ totalCount: 2, nodes: [{ name: 'lifecycle', version: 2 }, { name: 'old_flag', version: 1 }] });
    expect(data.published.nodes).toEqual([{ name: 'high_value' }, { name: 'lifecycle' }]);
    expect(data.none).toBeNull();
    const bad = await gw.graphql('{ tags(status: "live") { totalCount } }', {}, acme.token);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'status' });
  });

  it('narrows tags:read by category path and by tag name', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'value-team', ['members:read', 'tags:read:消费属性']);
    const id = fx.memberIds[6]; // rank 7: level 3, so high_value and lifecycle "member"
    const data = (await gw.graphql(`query ($id: ID!) { tags { nodes { name } } member(id: $id) { tags { name value } hv: tag(name: "high_value") } }`,
      { id }, token)).body;
    expect(data.errors).toBeUndefined();
    expect(data.data).toEqual({ tags: { nodes: [{ name: 'high_value' }] }, member: { tags: [{ name: 'high_value', value: true }], hv: true } });
    const denied = await gw.graphql(`query ($id: ID!) { member(id: $id) { tag(name: "lifecycle") } }`, { id }, token);
    expect(denied.body.errors?.[0]).toMatchObject({ message: 'missing scope tags:read:lifecycle', extensions: { code: 'FORBIDDEN' } });
    const byName = await issueTestToken(db, acme.tenantId, 'lifecycle-only', ['tags:read:lifecycle']);
    const one = await gw.graphql('{ tags { nodes { name } } tag(name: "lifecycle") { name } }', {}, byName);
    expect(one.body.data).toEqual({ tags: { nodes: [{ name: 'lifecycle' }] }, tag: { name: 'lifecycle' } });
  });

  it('reads an audience with its members and change log, resuming after a cursor', async () => {
    const data = await ok(`{ audience(name: "churn_recall") { name label definition size kind status
      members(first: 3) { totalCount nodes { id level } } changes(first: 2) { totalCount edges { cursor node { kind memberId cursor } } } }
      audiences { nodes { name } } }`);
    const a = data.audience;
    expect(a).toMatchObject({ name: 'churn_recall', label: '流失召回', definition: 'audience churn_recall label "流失召回" = level = 0',
      size: 7, kind: 'dsl', status: 'published' });
    expect(a.members.totalCount).toBe(7);
    expect(a.members.nodes).toEqual([fx.memberIds[3], fx.memberIds[7], fx.memberIds[11]].map((id) => ({ id, level: 0 })));
    expect(a.changes.totalCount).toBe(7);
    expect(a.changes.edges.map((e: any) => e.node.memberId)).toEqual([fx.memberIds[3], fx.memberIds[7]]);
    expect(a.changes.edges[1].cursor).toBe(a.changes.edges[1].node.cursor);
    const next = await ok(`query ($after: String) { audience(name: "churn_recall") { changes(first: 1, after: $after) { nodes { memberId } } } }`,
      { after: a.changes.edges[1].cursor });
    expect(next.audience.changes.nodes).toEqual([{ memberId: fx.memberIds[11] }]);
    expect(data.audiences.nodes).toEqual([{ name: 'churn_recall' }]);
  });
});

describe('scopes', () => {
  it('names the missing scope of each collection', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'members-only', ['members:read']);
    const id = fx.memberIds[0];
    const cases: [string, string][] = [
      ['orders { totalCount }', 'missing scope orders:read'],
      ['events { totalCount }', 'missing scope events:read'],
      ['tags { name }', 'missing scope tags:read'],
      ['inAudience(name: "churn_recall")', 'missing scope audiences:read:churn_recall'],
    ];
    for (const [field, message] of cases) {
      const r = await gw.graphql(`query ($id: ID!) { member(id: $id) { id ${field} } }`, { id }, token);
      expect(r.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'FORBIDDEN' } });
    }
    const orderOnly = await issueTestToken(db, acme.tenantId, 'orders-only', ['orders:read']);
    const r = await gw.graphql('{ orders(first: 1) { nodes { channel member { id } } } }', {}, orderOnly);
    expect(r.body.errors?.[0]).toMatchObject({ message: 'missing scope members:read', path: ['orders', 'nodes', 0, 'member'] });
    const aud = await gw.graphql('{ audiences { totalCount } }', {}, orderOnly);
    expect(aud.body.errors?.[0].message).toBe('missing scope audiences:read');
  });

  it('shows another tenant none of it', async () => {
    const other = await createTenantWithToken(db, 'globex');
    const data = await ok(`{ members { totalCount } orders { totalCount } tags { totalCount } audiences { totalCount } tag(name: "lifecycle") { name } }`,
      {}, other.token);
    expect(data).toEqual({ members: { totalCount: 0 }, orders: { totalCount: 0 }, tags: { totalCount: 0 }, audiences: { totalCount: 0 }, tag: null });
  });
});
