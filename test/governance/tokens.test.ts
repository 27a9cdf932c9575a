import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import { ensureRootToken } from '../../tenants/root-token.js';
import { newTokenSecret } from '../../tenants/token-secret.js';
import { startGovernedGateway, codes } from './support.js';

let db: TestDatabase;
let a: TestGateway;
let b: TestGateway; // a second gateway process on the same database
let acme: { tenantId: string; token: string };
let root: string;

const ISSUE = `mutation ($consumer: String!, $scopes: [String!]!, $rate: Int) {
  issueToken(consumer: $consumer, scopes: $scopes, ratePerMinute: $rate) { id token consumer scopes ratePerMinute } }`;

async function issue(consumer: string, scopes: string[], rate?: number): Promise<{ id: string; token: string }> {
  const r = await a.graphql(ISSUE, { consumer, scopes, rate }, acme.token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data.issueToken;
}

beforeAll(async () => {
  db = await testDatabase();
  [a, b] = [await startGovernedGateway(db), await startGovernedGateway(db)];
  acme = await createTenantWithToken(db, 'acme');
  root = newTokenSecret().token;
  await ensureRootToken(db.admin, root);
  await db.admin.query(`insert into audiences (tenant_id, name, current_version) values ($1, 'churn_recall', 1)`, [acme.tenantId]);
  const m = await db.admin.query(`insert into members (tenant_id, name) values ($1, '张三') returning member_id`, [acme.tenantId]);
  await db.admin.query(`insert into audience_changes (tenant_id, audience_name, seq, member_id, kind) values ($1, 'churn_recall', 1, $2, 'ENTERED')`,
    [acme.tenantId, m.rows[0].member_id]);
});

describe('createTenant', () => {
  it('is for the platform root token only and returns a working admin token', async () => {
    const r = await a.graphql(`mutation { createTenant(name: "globex") { tenant { id name } adminToken } }`, {}, root);
    expect(r.body.errors).toBeUndefined();
    const { tenant, adminToken } = r.body.data.createTenant;
    expect(tenant.name).toBe('globex');
    const viewer = await b.graphql('{ viewer { tenant { name } consumer scopes } }', {}, adminToken);
    expect(viewer.body.data.viewer).toEqual({ tenant: { name: 'globex' }, consumer: 'admin', scopes: ['admin'] });
  });

  it('refuses a tenant admin with FORBIDDEN and a taken name with BAD_USER_INPUT', async () => {
    const byAdmin = await a.graphql(`mutation { createTenant(name: "initech") { adminToken } }`, {}, acme.token);
    expect(byAdmin.body.errors?.[0]).toMatchObject({ message: 'missing scope platform root token', extensions: { code: 'FORBIDDEN' } });
    const taken = await a.graphql(`mutation { createTenant(name: "acme") { adminToken } }`, {}, root);
    expect(taken.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'name' });
  });

  it('gives the root token nothing of any tenant', async () => {
    const r = await a.graphql('{ viewer { consumer } }', {}, root);
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });
});

describe('issueToken', () => {
  it('shows a 256-bit secret once and stores only its SHA-256', async () => {
    const r = await a.graphql(ISSUE, { consumer: 'sms-platform', scopes: ['members:read', 'members:read'], rate: 1200 }, acme.token);
    const t = r.body.data.issueToken;
    expect(t).toMatchObject({ consumer: 'sms-platform', scopes: ['members:read'], ratePerMinute: 1200 });
    expect(t.token).toMatch(/^cdp_[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    const sha = createHash('sha256').update(t.token).digest();
    const stored = await db.admin.query('select secret_sha256, prefix from tokens where token_id = $1', [t.id]);
    expect(stored.rows[0].secret_sha256.equals(sha)).toBe(true);
    expect(t.token.startsWith(stored.rows[0].prefix)).toBe(true);
    const anywhere = await db.admin.query(
      `select count(*)::int as n from tokens k where k::text like '%' || $1 || '%'`, [t.token.slice(12)]);
    expect(anywhere.rows[0].n).toBe(0);
    const viewer = await b.graphql('{ viewer { consumer scopes ratePerMinute } }', {}, t.token);
    expect(viewer.body.data.viewer).toEqual({ consumer: 'sms-platform', scopes: ['members:read'], ratePerMinute: 1200 });
  });

  it('needs admin, and names a bad scope', async () => {
    const reader = await issue('reader', ['members:read']);
    const r = await a.graphql(ISSUE, { consumer: 'x', scopes: ['admin'] }, reader.token);
    expect(r.body.errors?.[0]).toMatchObject({ message: 'missing scope admin', extensions: { code: 'FORBIDDEN' } });
    const bad = await a.graphql(ISSUE, { consumer: 'x', scopes: ['members:write', 'pii:phone'] }, acme.token);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'scopes' });
    expect(bad.body.errors?.[0].message).toContain('unknown scope "members:write"');
    expect(bad.body.errors?.[0].message).toContain('scope "pii" cannot be narrowed');
  });

  it('lists tokens and consumers for admins, never a secret', async () => {
    const t = await issue('partner-x', ['audiences:subscribe:churn_recall']);
    const r = await a.graphql(`{ tokens { id consumer prefix scopes status lastUsedAt } consumers { name activeTokens } }`, {}, acme.token);
    expect(r.body.data.tokens).toContainEqual({ id: t.id, consumer: 'partner-x', prefix: t.token.slice(0, 12),
      scopes: ['audiences:subscribe:churn_recall'], status: 'active', lastUsedAt: null });
    expect(r.body.data.consumers).toContainEqual({ name: 'partner-x', activeTokens: 1 });
    expect(JSON.stringify(r.body)).not.toContain(t.token.slice(12));
    const other = await a.graphql('{ tokens { id } }', {}, t.token);
    expect(other.body.errors?.[0].message).toBe('missing scope admin');
  });
});

describe('last used', () => {
  it('is written in a batch, at most once a minute per token and process', async () => {
    const t = await issue('frontend', ['members:read']);
    for (let i = 0; i < 3; i++) await a.graphql('{ viewer { consumer } }', {}, t.token);
    const before = await db.admin.query('select last_used_at from tokens where token_id = $1', [t.id]);
    expect(before.rows[0].last_used_at).toBeNull(); // nothing on the request path
    const first = await a.gateway.governance.recorder.flush();
    expect(first.tokens).toBeGreaterThanOrEqual(1);
    const after = await db.admin.query('select last_used_at from tokens where token_id = $1', [t.id]);
    expect(after.rows[0].last_used_at).toBeInstanceOf(Date);
    await a.graphql('{ viewer { consumer } }', {}, t.token);
    const second = await a.gateway.governance.recorder.flush();
    expect(second.tokens).toBe(0); // the same token again within the minute: no write
    const listed = await a.graphql(`{ tokens(consumer: "frontend") { lastUsedAt } }`, {}, acme.token);
    expect(new Date(listed.body.data.tokens[0].lastUsedAt).getTime()).toBe(after.rows[0].last_used_at.getTime());
  });
});

describe('revokeToken', () => {
  it('takes effect on the next request on every gateway process', async () => {
    const t = await issue('to-revoke', ['members:read']);
    expect((await b.graphql('{ viewer { consumer } }', {}, t.token)).status).toBe(200);
    const r = await a.graphql(`mutation ($id: ID!) { revokeToken(id: $id) }`, { id: t.id }, acme.token);
    expect(r.body.data).toEqual({ revokeToken: true });
    const next = await b.graphql('{ viewer { consumer } }', {}, t.token);
    expect(next.status).toBe(401);
    expect(next.body.errors?.[0]).toMatchObject({ message: 'token revoked', extensions: { code: 'UNAUTHENTICATED' } });
    const again = await a.graphql(`mutation ($id: ID!) { revokeToken(id: $id) }`, { id: t.id }, acme.token);
    expect(again.body.data).toEqual({ revokeToken: false });
  });

  it("cannot revoke another tenant's token", async () => {
    const other = await createTenantWithToken(db, 'hooli');
    const id = (await db.admin.query('select token_id from tokens where tenant_id = $1', [other.tenantId])).rows[0].token_id;
    const r = await a.graphql(`mutation ($id: ID!) { revokeToken(id: $id) }`, { id }, acme.token);
    expect(r.body.data).toEqual({ revokeToken: false });
    expect((await b.graphql('{ viewer { tenant { name } } }', {}, other.token)).body.data.viewer.tenant.name).toBe('hooli');
  });

  it("closes the token's websockets on another process with 4403, and only those", async () => {
    const doomed = await issue('partner-doomed', ['audiences:subscribe']);
    const kept = await issue('partner-kept', ['audiences:subscribe']);
    const QUERY = 'subscription { audienceChanges(audience: "churn_recall", after: "") { kind } }';
    const s1 = subscribe(b.url, doomed.token, QUERY);
    const s2 = subscribe(b.url, kept.token, QUERY);
    expect(await s1.waitFor(1)).toEqual([{ audienceChanges: { kind: 'ENTERED' } }]);
    await s2.waitFor(1);
    await a.graphql(`mutation ($id: ID!) { revokeToken(id: $id) }`, { id: doomed.id }, acme.token);
    expect(await s1.closed).toEqual({ code: 4403, reason: 'token revoked' });
    // the other token's socket still serves: a new subscription on it replays the change
    const replay = await new Promise((resolve, reject) => {
      s2.client.subscribe({ query: QUERY }, { next: resolve, error: reject, complete: () => undefined });
    });
    expect(replay).toEqual({ data: { audienceChanges: { kind: 'ENTERED' } } });
    await s2.dispose();
  });
});
