import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { printSortedSchema } from '../../resolvers/index.js';

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let memberId: string;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  const m = await db.admin.query(
    `insert into members (tenant_id, name, phone, email, gender) values ($1, '张三丰', '13812345678', 'alice@example.com', 'M')
     returning member_id`, [acme.tenantId]);
  memberId = m.rows[0].member_id;
  await db.admin.query(`insert into identities (tenant_id, kind, value, member_id) values ($1, 'PHONE', '13812345678', $2)`,
    [acme.tenantId, memberId]);
});

describe('schema.graphql', () => {
  it('is the printed schema of the builder (run `npm run print-schema` when this fails)', () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSortedSchema());
  });
});

describe('gateway skeleton', () => {
  it('answers viewer and member(id) with the tenant token', async () => {
    const r = await gw.graphql(`query ($id: ID!) { viewer { tenant { name } scopes } member(id: $id) { id name phone identities { kind value } } }`,
      { id: memberId }, acme.token);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      viewer: { tenant: { name: 'acme' }, scopes: ['admin'] },
      member: { id: memberId, name: '张三丰', phone: '13812345678', identities: [{ kind: 'PHONE', value: '13812345678' }] },
    });
  });

  it('masks personal data without the pii scope', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'sms-platform', ['members:read']);
    const r = await gw.graphql(`{ member(id: "${memberId}") { name phone email identities { value } } }`, {}, token);
    expect(r.body.data.member).toEqual({ name: '张**', phone: '138****5678', email: 'a***@example.com', identities: [{ value: '138****5678' }] });
  });

  it('follows a merged-away id to the survivor', async () => {
    await db.admin.query('insert into member_aliases (tenant_id, alias_id, member_id) values ($1, 999999, $2)', [acme.tenantId, memberId]);
    const r = await gw.graphql(`{ member(id: "999999") { id } }`, {}, acme.token);
    expect(r.body.data.member).toEqual({ id: memberId });
  });

  it('rejects a missing, malformed or unknown token with UNAUTHENTICATED and 401', async () => {
    for (const auth of [undefined, 'x', 'cdp_thisisnotarealtokenatall']) {
      const r = await gw.graphql('{ viewer { consumer } }', {}, auth);
      expect(r.status).toBe(401);
      expect(r.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('names the missing scope with FORBIDDEN', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'tags-only', ['tags:read']);
    const r = await gw.graphql(`{ member(id: "${memberId}") { id } }`, {}, token);
    expect(r.body.errors?.[0]).toMatchObject({ message: 'missing scope members:read', extensions: { code: 'FORBIDDEN' } });
  });

  it('rejects a malformed id with BAD_USER_INPUT naming the argument', async () => {
    const r = await gw.graphql(`{ member(id: "abc'; drop table members") { id } }`, {}, acme.token);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
  });

  it('does not show another tenant a member', async () => {
    const other = await createTenantWithToken(db, 'globex');
    const r = await gw.graphql(`{ member(id: "${memberId}") { id } }`, {}, other.token);
    expect(r.body.data).toEqual({ member: null });
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    const base = gw.url.replace('/graphql', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/cdp_http_requests_total\{path="\/healthz",status="200"\} 1/);
  });
});
