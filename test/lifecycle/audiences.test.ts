import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { HIGH_VALUE, LIFECYCLE, install, runQueuedJobs, seedMembers, audienceMembers } from '../refresh/fixtures.js';

let db: TestDatabase;
let gw: TestGateway;
let tenant: { tenantId: string; token: string };
let members: string[];

async function gql(query: string, variables: Record<string, unknown> = {}, token = tenant.token): Promise<any> {
  return (await gw.graphql(query, variables, token)).body;
}

const UPLOAD = `mutation ($n: String!, $ids: [IdentityInput!]!) { uploadAudience(name: $n, identities: $ids) { name kind size version } }`;

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  tenant = await createTenantWithToken(db, 'audiences');
  members = await seedMembers(db, tenant.tenantId, 30);
  await db.admin.query(`insert into identities (tenant_id, kind, value, member_id)
    select tenant_id, 'PHONE', phone, member_id from members where tenant_id = $1 and phone is not null`, [tenant.tenantId]);
  await db.admin.query(`update members set gender = case when member_id % 2 = 0 then 'F' else 'M' end, city = 'c' || (member_id % 13)
    where tenant_id = $1`, [tenant.tenantId]);
  await install(db, tenant.tenantId, [HIGH_VALUE, LIFECYCLE]);
  await runQueuedJobs(db, tenant.tenantId);
});

describe('audiences', () => {
  it('an uploaded list holds the members owning the identities, normalised as ingestion stores them; changes are logged', async () => {
    const phones = await db.admin.query<{ member_id: string; phone: string }>(
      `select member_id, phone from members where tenant_id = $1 and phone is not null order by member_id limit 3`, [tenant.tenantId]);
    const ids = phones.rows.map((r) => ({ kind: 'PHONE', value: `+86 ${r.phone.slice(0, 3)}-${r.phone.slice(3)}` }));
    const first = await gql(UPLOAD, { n: 'sms_list', ids: [...ids, { kind: 'PHONE', value: '13900000000' }] });
    expect(first.data.uploadAudience).toEqual({ name: 'sms_list', kind: 'upload', size: 3, version: 1 });
    expect(await audienceMembers(db, tenant.tenantId, 'sms_list')).toEqual(phones.rows.map((r) => r.member_id));
    const second = await gql(UPLOAD, { n: 'sms_list', ids: ids.slice(1) });
    expect(second.data.uploadAudience).toMatchObject({ size: 2, version: 2 });
    const log = await gql(`{ audience(name: "sms_list") { changes(first: 10) { nodes { kind memberId } }
      versions { version identityCount createdBy } } }`);
    expect(log.data.audience.changes.nodes).toEqual([
      ...phones.rows.map((r) => ({ kind: 'ENTERED', memberId: r.member_id })), { kind: 'EXITED', memberId: phones.rows[0].member_id }]);
    expect(log.data.audience.versions).toEqual([{ version: 2, identityCount: 2, createdBy: 'admin' }, { version: 1, identityCount: 4, createdBy: 'admin' }]);
    const bad = await gql(UPLOAD, { n: 'sms_list', ids: [{ kind: 'PHONE', value: '138****5678' }] });
    expect(bad.errors[0]).toMatchObject({ message: 'identities[0].value: is a masked phone number', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('dryRunAudience counts entering, exiting and staying members against the current membership', async () => {
    const source = 'audience mature = level >= 1';
    const fresh = await gql(`query ($s: String!) { dryRunAudience(source: $s) { size entering exiting staying } }`, { s: source });
    const level = await db.admin.query(`select count(*)::int as n from members where tenant_id = $1 and level >= 1`, [tenant.tenantId]);
    expect(fresh.data.dryRunAudience).toEqual({ size: level.rows[0].n, entering: level.rows[0].n, exiting: 0, staying: 0 });
    expect((await gql(`mutation ($s: String!) { defineAudience(source: $s) { name status kind version } }`, { s: source })).data.defineAudience)
      .toEqual({ name: 'mature', status: 'published', kind: 'dsl', version: 1 });
    await runQueuedJobs(db, tenant.tenantId);
    const narrower = await gql(`query ($s: String!) { dryRunAudience(source: $s) { size entering exiting staying } }`, { s: 'audience mature = level >= 2' });
    const two = await db.admin.query(`select count(*)::int as n from members where tenant_id = $1 and level >= 2`, [tenant.tenantId]);
    expect(narrower.data.dryRunAudience).toEqual({ size: two.rows[0].n, entering: 0, exiting: level.rows[0].n - two.rows[0].n, staying: two.rows[0].n });
    const bad = await gql(`query ($s: String!) { dryRunAudience(source: $s) { size } }`, { s: 'audience x = levle >= 1' });
    expect(bad.errors[0].extensions).toMatchObject({ code: 'DSL_ERROR', errors: [{ suggestion: 'level' }] });
  });

  it('portrait counts members per value of fields and tags, set-based, top N plus other', async () => {
    const body = await gql(`{ audience(name: "mature") { size portrait(dimensions: ["gender", "lifecycle", "city"], top: 3) {
      dimension kind buckets { value count other } } } }`);
    const { size, portrait } = body.data.audience;
    const expected = await db.admin.query<{ gender: string; n: number }>(
      `select m.gender, count(*)::int as n from audience_members a join members m using (tenant_id, member_id)
        where a.tenant_id = $1 and a.audience_name = 'mature' group by m.gender order by n desc, m.gender`, [tenant.tenantId]);
    expect(portrait[0]).toEqual({ dimension: 'gender', kind: 'field',
      buckets: expected.rows.map((r) => ({ value: r.gender, count: r.n, other: false })) });
    expect(portrait[1].kind).toBe('tag');
    for (const d of portrait) expect(d.buckets.reduce((a: number, b: any) => a + b.count, 0)).toBe(size);
    const city = portrait[2].buckets;
    expect(city).toHaveLength(4);
    expect(city[3]).toMatchObject({ value: 'other', other: true });
    expect(city.slice(0, 3).map((b: any) => b.count)).toEqual([...city.slice(0, 3).map((b: any) => b.count)].sort((a, b) => b - a));
    const bad = await gql(`{ audience(name: "mature") { portrait(dimensions: ["phone"]) { dimension } } }`);
    expect(bad.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.errors[0].message).toMatch(/^unknown dimension "phone": use a member field \(gender, province/);
  });

  it('refresh checks the scope of its target; audiences:write narrows by name', async () => {
    const narrow = await issueTestToken(db, tenant.tenantId, 'crm', ['audiences:write:mature', 'audiences:read']);
    const ok = await gql(`mutation { refresh(target: "audience:mature") { target state } }`, {}, narrow);
    expect(ok.data.refresh).toEqual({ target: 'audience:mature', state: 'queued' });
    const again = await gql(`mutation { refresh(target: "audience:mature") { id } }`, {}, narrow);
    const first = await gql(`mutation { refresh(target: "audience:mature") { id } }`, {}, narrow);
    expect(again.data.refresh.id).toBe(first.data.refresh.id); // still queued: the same job
    expect((await gql(`mutation { refresh(target: "audience:sms_list") { id } }`, {}, narrow)).errors[0].message).toBe('missing scope audiences:write:sms_list');
    expect((await gql(`mutation { refresh(target: "all") { id } }`, {}, narrow)).errors[0].message).toBe('missing scope admin');
    expect((await gql(`mutation { refresh(target: "tag:nope") { id } }`)).errors[0].extensions.code).toBe('NOT_FOUND');
    expect((await gql(`mutation { refresh(target: "everything") { id } }`)).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const defined = await gql(`mutation ($s: String!) { defineAudience(source: $s) { name } }`, { s: 'audience other = level = 0' }, narrow);
    expect(defined.errors[0].message).toBe('missing scope audiences:write:other');
  });
});
