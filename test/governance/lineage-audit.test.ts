import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { ensureRootToken } from '../../tenants/root-token.js';
import { newTokenSecret } from '../../tenants/token-secret.js';
import { startGovernedGateway, codes } from './support.js';

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let frontend: string;
let sms: string;
let memberId: string;

async function define(kind: 'tag' | 'audience', name: string, deps: string[], status = 'published'): Promise<void> {
  const t = acme.tenantId;
  if (kind === 'tag') {
    await db.admin.query(`insert into tag_definitions (tenant_id, name, current_version, status) values ($1, $2, 2, $3)`, [t, name, status]);
    // version 1 had other dependencies: lineage follows the current version only
    await db.admin.query(`insert into tag_versions (tenant_id, name, version, source, value_type, dependencies) values
      ($1, $2, 1, '', 'boolean', '{field:city}'), ($1, $2, 2, '', 'boolean', $3)`, [t, name, deps]);
  } else {
    await db.admin.query(`insert into audiences (tenant_id, name, current_version, status) values ($1, $2, 1, $3)`, [t, name, status]);
    await db.admin.query(`insert into audience_versions (tenant_id, name, version, source, dependencies) values ($1, $2, 1, '', $3)`, [t, name, deps]);
  }
}

const lineage = async (node: string) => (await gw.graphql(`query ($node: String!) { lineage(node: $node) {
  node { id kind name } upstream { id reads } downstream { id kind reads lastSeen } } }`, { node }, acme.token)).body;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startGovernedGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  frontend = await issueTestToken(db, acme.tenantId, 'frontend', ['members:read', 'tags:read']);
  sms = await issueTestToken(db, acme.tenantId, 'sms', ['audiences:read', 'members:read']);
  await define('tag', 'high_value', ['collection:orders', 'field:phone']);
  await define('tag', 'vip', ['tag:high_value', 'field:registered_channel']);
  await define('tag', 'dormant', ['field:city']);
  await define('audience', 'churn_recall', ['tag:vip', 'field:phone']);
  const m = await db.admin.query(`insert into members (tenant_id, name, phone) values ($1, '李四', '13900001111') returning member_id`, [acme.tenantId]);
  memberId = m.rows[0].member_id;
  await db.admin.query(`insert into consumers (tenant_id, name, created_at) values ($1, 'zombie-app', now() - interval '90 days')`, [acme.tenantId]);
  const read = `query ($id: ID!) { member(id: $id) { phone hv: tag(name: "high_value") } tag(name: "no_such_tag") { name } }`;
  for (let i = 0; i < 2; i++) expect((await gw.graphql(read, { id: memberId }, frontend)).body.errors).toBeUndefined();
  await gw.graphql(`{ audience(name: "churn_recall") { name } }`, {}, sms);
  await db.admin.query(`insert into tag_values (tenant_id, tag_name, member_id, value) values ($1, 'vip', $2, 'true')`, [acme.tenantId, memberId]);
  expect((await gw.graphql(`query ($id: ID!) { member(id: $id) { tags { name } } }`, { id: memberId }, sms)).body.errors?.[0]?.extensions?.code)
    .toBe('FORBIDDEN'); // sms has no tags:read: nothing read, nothing recorded
  const tagsRead = await gw.graphql(`query ($id: ID!) { member(id: $id) { tags { name } } }`, { id: memberId }, frontend);
  expect(tagsRead.body.data?.member).toEqual({ tags: [{ name: 'vip' }] });
  await gw.gateway.governance.recorder.flush();
});

describe('usage records (dynamic lineage)', () => {
  it('counts each consumer × node per day, batched, and drops names that do not exist', async () => {
    const r = await db.admin.query(
      `select c.name as consumer, u.node, u.count::int from usage_records u join consumers c using (tenant_id, consumer_id)
        where u.tenant_id = $1 and u.node in ('field:Member.phone', 'tag:high_value', 'tag:vip', 'tag:no_such_tag', 'audience:churn_recall')
        order by 1, 2`, [acme.tenantId]);
    expect(r.rows).toEqual([
      { consumer: 'frontend', node: 'field:Member.phone', count: 2 },
      { consumer: 'frontend', node: 'tag:high_value', count: 2 },
      { consumer: 'frontend', node: 'tag:vip', count: 1 }, // read through Member.tags, without naming it
      { consumer: 'sms', node: 'audience:churn_recall', count: 1 },
    ]);
  });
});

describe('lineage(node)', () => {
  it('gives a tag its dependencies upstream and its dependents and readers downstream', async () => {
    const body = await lineage('tag:high_value');
    expect(body.errors).toBeUndefined();
    expect(body.data.lineage.node).toEqual({ id: 'tag:high_value', kind: 'tag', name: 'high_value' });
    expect(body.data.lineage.upstream).toEqual([{ id: 'collection:orders', reads: null }, { id: 'field:Member.phone', reads: null }]);
    expect(body.data.lineage.downstream).toMatchObject([
      { id: 'tag:vip', kind: 'tag', reads: null },
      { id: 'consumer:frontend', kind: 'consumer', reads: 2 },
    ]);
    expect(new Date(body.data.lineage.downstream[1].lastSeen).getTime()).toBeGreaterThan(Date.now() - 600_000);
  });

  it('follows a source field (DSL name or GraphQL coordinate) to every tag, audience and consumer', async () => {
    const body = await lineage('field:Member.phone');
    expect(body.data.lineage.downstream.map((n: { id: string }) => n.id)).toEqual(['audience:churn_recall', 'tag:high_value', 'consumer:frontend']);
    expect((await lineage('field:phone')).data.lineage).toEqual(body.data.lineage);
    const channel = await lineage('field:Member.registeredChannel');
    expect(channel.data.lineage.downstream.map((n: { id: string }) => n.id)).toEqual(['tag:vip']);
  });

  it('gives an audience its upstream and its subscribers and readers', async () => {
    const body = await lineage('audience:churn_recall');
    expect(body.data.lineage.upstream.map((n: { id: string }) => n.id)).toEqual(['field:Member.phone', 'tag:vip']);
    expect(body.data.lineage.downstream).toMatchObject([{ id: 'consumer:sms', reads: 1 }]);
  });

  it('gives a consumer what it read', async () => {
    const body = await lineage('consumer:frontend');
    expect(body.data.lineage.upstream).toEqual(expect.arrayContaining([
      { id: 'field:Member.phone', reads: 2 }, { id: 'tag:high_value', reads: 2 }, { id: 'tag:vip', reads: 1 }, { id: 'field:Query.member', reads: 3 }]));
    expect(body.data.lineage.downstream).toEqual([]);
  });

  it('names a bad node and needs admin', async () => {
    const bad = await gw.graphql(`{ lineage(node: "phone") { node { id } } }`, {}, acme.token);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'node' });
    const denied = await gw.graphql(`{ lineage(node: "tag:vip") { node { id } } }`, {}, frontend);
    expect(denied.body.errors?.[0].message).toBe('missing scope admin');
  });
});

describe('unusedNodes(days)', () => {
  it('lists consumers, fields, tags and audiences nobody used in the window', async () => {
    const r = await gw.graphql(`{ unusedNodes(days: 30) { id kind lastSeen } }`, {}, acme.token);
    const ids = r.body.data.unusedNodes.map((n: { id: string }) => n.id);
    expect(ids).toContain('consumer:zombie-app');
    expect(ids).toContain('field:Order.discount');
    expect(ids).toContain('tag:dormant');
    for (const used of ['consumer:frontend', 'consumer:sms', 'field:Member.phone', 'tag:high_value', 'tag:vip', 'audience:churn_recall']) {
      expect(ids).not.toContain(used);
    }
    expect(r.body.data.unusedNodes.find((n: { id: string }) => n.id === 'consumer:zombie-app').lastSeen).toBeNull();
  });
});

describe('audit log', () => {
  it('records admin actions with who, what, target, before and after, never a secret', async () => {
    const issued = await gw.graphql(`mutation { issueToken(consumer: "partner", scopes: ["audiences:subscribe:churn_recall"], ratePerMinute: 600) { id token } }`, {}, acme.token);
    const { id, token } = issued.body.data.issueToken;
    await gw.graphql(`mutation ($id: ID!) { revokeToken(id: $id) }`, { id }, acme.token);
    const r = await gw.graphql(`{ auditLog(first: 2) { totalCount edges { node { actor tokenId action target args before after outcome } } } }`, {}, acme.token);
    const adminTokenId = (await db.admin.query(`select token_id from tokens k join consumers c using (tenant_id, consumer_id)
      where k.tenant_id = $1 and c.name = 'admin'`, [acme.tenantId])).rows[0].token_id;
    expect(r.body.data.auditLog.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { actor: 'admin', tokenId: adminTokenId, action: 'revokeToken', target: `token:${id}`, args: { id },
        before: { consumer: 'partner', status: 'active', scopes: ['audiences:subscribe:churn_recall'] }, after: true, outcome: 'ok' },
      { actor: 'admin', tokenId: adminTokenId, action: 'issueToken', target: 'consumer:partner',
        args: { consumer: 'partner', scopes: ['audiences:subscribe:churn_recall'], ratePerMinute: 600 },
        before: null, after: { id, token: '[redacted]' }, outcome: 'ok' },
    ]);
    const leaked = await db.admin.query(`select count(*)::int as n from audit_log a where a::text like '%' || $1 || '%'`, [token.slice(4)]);
    expect(leaked.rows[0].n).toBe(0);
  });

  it('records refused attempts with the error code, and bulk imports as counts without personal data', async () => {
    await gw.graphql(`mutation { issueToken(consumer: "x", scopes: ["admin"]) { id } }`, {}, frontend);
    const ingest = await issueTestToken(db, acme.tenantId, 'crm-sync', ['ingest']);
    await gw.graphql(`mutation ($m: [MemberInput!]!) { importMembers(members: $m) { accepted } }`,
      { m: [{ phone: '13712345678', name: '王五', idCard: '110101199003071234', identities: [] }, { phone: '13787654321', identities: [] }] }, ingest);
    const r = await gw.graphql(`{ auditLog(first: 2) { edges { node { actor action args outcome } } } }`, {}, acme.token);
    expect(r.body.data.auditLog.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { actor: 'crm-sync', action: 'importMembers', args: { members: { count: 2 } }, outcome: 'ok' },
      { actor: 'frontend', action: 'issueToken', args: { consumer: 'x', scopes: ['admin'] }, outcome: 'FORBIDDEN' },
    ]);
    const pii = await db.admin.query(`select count(*)::int as n from audit_log a where a::text ~ '13712345678|110101199003071234|王五'`);
    expect(pii.rows[0].n).toBe(0);
  });

  it('pages newest first with cursors', async () => {
    const first = await gw.graphql(`{ auditLog(first: 1) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`, {}, acme.token);
    const next = await gw.graphql(`query ($after: String) { auditLog(first: 1, after: $after) { edges { node { id } } } }`,
      { after: first.body.data.auditLog.pageInfo.endCursor }, acme.token);
    expect(first.body.data.auditLog.pageInfo.hasNextPage).toBe(true);
    expect(Number(next.body.data.auditLog.edges[0].node.id)).toBeLessThan(Number(first.body.data.auditLog.edges[0].node.id));
  });

  it("records createTenant in the new tenant's log as the platform root", async () => {
    const root = newTokenSecret().token;
    await ensureRootToken(db.admin, root);
    const created = await gw.graphql(`mutation { createTenant(name: "globex") { tenant { id } adminToken } }`, {}, root);
    const { tenant, adminToken } = created.body.data.createTenant;
    const r = await gw.graphql(`{ auditLog { edges { node { actor action target args after } } } }`, {}, adminToken);
    expect(r.body.data.auditLog.edges).toEqual([{ node: { actor: 'platform-root', action: 'createTenant', target: `tenant:${tenant.id}`,
      args: { name: 'globex' }, after: { tenant: { id: tenant.id }, adminToken: '[redacted]' } } }]);
  });
});

describe('/metrics per consumer', () => {
  it('counts requests, cost, errors by code and latency', async () => {
    const metricsGw = await startGovernedGateway(db);
    for (let i = 0; i < 3; i++) await metricsGw.graphql('{ viewer { consumer tenant { name } } }', {}, frontend);
    expect(codes(await metricsGw.graphql('{ tokens { id } }', {}, frontend))).toEqual(['FORBIDDEN']);
    await metricsGw.graphql('{ viewer { consumer } }', {}, 'cdp_not_a_real_token_at_all');
    const text = await (await fetch(metricsGw.url.replace('/graphql', '/metrics'))).text();
    expect(text).toMatch(/^cdp_graphql_requests_total\{consumer="acme\/frontend",operation="query"\} 4$/m);
    expect(text).toMatch(/^cdp_graphql_cost_points_total\{consumer="acme\/frontend"\} 11$/m); // 3 × 2 + 5
    expect(text).toMatch(/^cdp_graphql_errors_total\{consumer="acme\/frontend",code="FORBIDDEN"\} 1$/m);
    expect(text).toMatch(/^cdp_graphql_errors_total\{consumer="anonymous",code="UNAUTHENTICATED"\} 1$/m);
    expect(text).toMatch(/^cdp_graphql_request_duration_seconds_count\{consumer="acme\/frontend"\} 4$/m);
  });
});
