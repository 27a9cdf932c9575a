import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import { startGovernedGateway } from './support.js';

let db: TestDatabase;
let gw: TestGateway;
let acme: { tenantId: string; token: string };
let memberId: string;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startGovernedGateway(db);
  acme = await createTenantWithToken(db, 'acme');
  const t = acme.tenantId;
  for (const [name, category] of [['high_value', '消费属性/价值'], ['buys_fruit', '消费属性'], ['gender_guess', '基础属性']]) {
    await db.admin.query(`insert into tag_definitions (tenant_id, name, current_version, published_version, status) values ($1, $2, 1, 1, 'published')`, [t, name]);
    await db.admin.query(`insert into tag_versions (tenant_id, name, version, source, value_type, category) values ($1, $2, 1, '', 'boolean', $3)`, [t, name, category]);
  }
  for (const name of ['churn_recall', 'birthday_care']) {
    await db.admin.query(`insert into audiences (tenant_id, name, current_version) values ($1, $2, 1)`, [t, name]);
  }
  const m = await db.admin.query(`insert into members (tenant_id, name, phone, email, birthday, gender) values
    ($1, '张三', '13812345678', 'alice@example.com', '1990-03-07', 'F') returning member_id`, [t]);
  memberId = m.rows[0].member_id;
  await db.admin.query(`insert into identities (tenant_id, kind, value, member_id) values ($1, 'PHONE', '13812345678', $2),
    ($1, 'EMAIL', 'alice@example.com', $2)`, [t, memberId]);
  await db.admin.query(`insert into audience_changes (tenant_id, audience_name, seq, member_id, kind) values
    ($1, 'churn_recall', 1, $2, 'ENTERED'), ($1, 'birthday_care', 1, $2, 'ENTERED')`, [t, memberId]);
});

describe('scopes, enforced per field', () => {
  it('names the missing scope with FORBIDDEN, field by field', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'members-only', ['members:read']);
    const r = await gw.graphql(`query ($id: ID!) { member(id: $id) { id tags { name } } }`, { id: memberId }, token);
    expect(r.body.data).toEqual({ member: null });
    expect(r.body.errors?.map((e) => [e.path?.join('.'), e.message, e.extensions?.code])).toEqual([
      ['member.tags', 'missing scope tags:read', 'FORBIDDEN'],
    ]);
  });

  it('narrows tags:read by category path: tags:read:消费属性 reads 消费属性/价值, not 基础属性', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'marketing', ['tags:read:消费属性']);
    const ok = await gw.graphql('{ a: tag(name: "high_value") { name } b: tag(name: "buys_fruit") { name } }', {}, token);
    expect(ok.body).toMatchObject({ data: { a: { name: 'high_value' }, b: { name: 'buys_fruit' } } });
    expect(ok.body.errors).toBeUndefined();
    const denied = await gw.graphql('{ tag(name: "gender_guess") { name } }', {}, token);
    expect(denied.body.errors?.[0]).toMatchObject({ message: 'missing scope tags:read:gender_guess', extensions: { code: 'FORBIDDEN' } });
  });

  it('narrows audiences:subscribe by name: churn_recall streams, birthday_care is FORBIDDEN', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'sms-partner', ['audiences:subscribe:churn_recall']);
    const ok = subscribe(gw.url, token, 'subscription { audienceChanges(audience: "churn_recall") { kind memberId } }');
    expect(await ok.waitFor(1)).toEqual([{ audienceChanges: { kind: 'ENTERED', memberId } }]);
    await ok.dispose();
    const denied = subscribe(gw.url, token, 'subscription { audienceChanges(audience: "birthday_care") { kind } }');
    await expect(denied.waitFor(1)).rejects.toThrow('missing scope audiences:subscribe:birthday_care');
    await denied.dispose();
  });
});

describe('personal data without the pii scope', () => {
  const Q = `query ($id: ID!) { member(id: $id) { name phone email birthday identities { kind value } } }`;

  it('is masked: phone 138****5678, email a***@example.com, name 张*, birthday hidden', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'no-pii', ['members:read']);
    const r = await gw.graphql(Q, { id: memberId }, token);
    expect(r.body.data.member).toEqual({ name: '张*', phone: '138****5678', email: 'a***@example.com', birthday: null,
      identities: [{ kind: 'EMAIL', value: 'a***@example.com' }, { kind: 'PHONE', value: '138****5678' }] });
  });

  it('is in clear with pii', async () => {
    const token = await issueTestToken(db, acme.tenantId, 'with-pii', ['members:read', 'pii']);
    const r = await gw.graphql(Q, { id: memberId }, token);
    expect(r.body.data.member).toMatchObject({ name: '张三', phone: '13812345678', email: 'alice@example.com', birthday: '1990-03-07' });
  });

  it('never holds or returns a national id in clear, with or without pii', async () => {
    const ingest = await issueTestToken(db, acme.tenantId, 'crm', ['ingest', 'members:read', 'pii']);
    const idCard = '110101199003071234';
    const imported = await gw.graphql(`mutation ($m: [MemberInput!]!) { importMembers(members: $m) { accepted } }`,
      { m: [{ name: '赵六', phone: '13600000001', idCard, identities: [{ kind: 'PHONE', value: '13600000001' }] }] }, ingest);
    expect(imported.body.errors).toBeUndefined();
    const found = await gw.graphql(`{ memberByIdentity(kind: PHONE, value: "13600000001") { id name attributes } }`, {}, ingest);
    expect(found.body.data.memberByIdentity.name).toBe('赵六');
    expect(JSON.stringify(found.body)).not.toContain(idCard);
    const stored = await db.admin.query(`select count(*)::int as n from members m where m::text like '%' || $1 || '%'`, [idCard]);
    expect(stored.rows[0].n).toBe(0);
  });
});
