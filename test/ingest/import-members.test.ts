import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { ingestHarness, IMPORT_MEMBERS, TRACK, type IngestHarness } from './harness.js';

let h: IngestHarness;
const MEMBER = `query ($kind: IdentityKind!, $value: String!) { memberByIdentity(kind: $kind, value: $value) {
  name gender birthday phone email province city registeredChannel level points married hasChildren attributes identities { kind value } } }`;

beforeAll(async () => {
  h = await ingestHarness();
});

describe('importMembers', () => {
  it('stores every member field, hashes the national id, and links phone and email as identities', async () => {
    const r = await h.ok(IMPORT_MEMBERS, { members: [{
      identities: [{ kind: 'EXTERNAL_ID', value: 'crm-100' }], name: '周八', gender: 'F', birthday: '1995-07-08', phone: '+86 150-1234-0000',
      email: 'Zhou8@Example.COM', idCard: '11010519950708002x', province: '浙江', city: '杭州', registeredAt: '2024-01-02T03:04:05Z',
      registeredChannel: 'WECHAT_MP', level: 3, points: 1200, married: false, hasChildren: true, attributes: { source: 'crm', tier: 'A' },
    }] });
    expect(r.importMembers).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [] });
    const m = await h.ok(MEMBER, { kind: 'EXTERNAL_ID', value: 'crm-100' });
    expect(m.memberByIdentity).toEqual({
      name: '周八', gender: 'F', birthday: '1995-07-08', phone: '15012340000', email: 'zhou8@example.com', province: '浙江', city: '杭州',
      registeredChannel: 'WECHAT_MP', level: 3, points: 1200, married: false, hasChildren: true, attributes: { source: 'crm', tier: 'A' },
      identities: [{ kind: 'EMAIL', value: 'zhou8@example.com' }, { kind: 'EXTERNAL_ID', value: 'crm-100' }, { kind: 'PHONE', value: '15012340000' }],
    });
    const [row] = await h.sql(`select encode(id_card_sha256, 'hex') as h, registered_at from members where tenant_id = $1 and phone = '15012340000'`, [h.tenantId]);
    expect(row).toEqual({ h: createHash('sha256').update('11010519950708002X').digest('hex'), registered_at: new Date('2024-01-02T03:04:05Z') });
  });

  it('counts an identical record as a duplicate; a changed field updates and keeps the fields not given', async () => {
    const same = await h.ok(IMPORT_MEMBERS, { members: [{ identities: [{ kind: 'EXTERNAL_ID', value: 'crm-100' }], name: '周八', city: '杭州' }] });
    expect(same.importMembers).toEqual({ accepted: 0, duplicates: 1, held: 0, rejected: [] });
    const changed = await h.ok(IMPORT_MEMBERS, { members: [{ identities: [{ kind: 'PHONE', value: '15012340000' }], city: '宁波', attributes: { tier: 'B' } }] });
    expect(changed.importMembers).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [] });
    const m = await h.ok(MEMBER, { kind: 'EXTERNAL_ID', value: 'crm-100' });
    expect(m.memberByIdentity).toMatchObject({ name: '周八', city: '宁波', level: 3, attributes: { source: 'crm', tier: 'B' } });
  });

  it('rejects wrong fields by name and holds a member known only by weak identities until one is linked', async () => {
    const r = await h.ok(IMPORT_MEMBERS, { members: [
      { identities: [], name: 'nobody' },
      { identities: [{ kind: 'EXTERNAL_ID', value: 'crm-101' }], birthday: '1990-02-30' },
      { identities: [{ kind: 'EXTERNAL_ID', value: 'crm-102' }], level: -1 },
      { identities: [{ kind: 'EXTERNAL_ID', value: 'crm-103' }], idCard: '123' },
      { identities: [{ kind: 'WECHAT_OPENID', value: 'o-lonely' }], name: '孙九', email: 'sun9@example.com' },
    ] });
    expect(r.importMembers).toEqual({ accepted: 0, duplicates: 0, held: 1, rejected: [
      { index: 0, message: 'members[0].identities: at least one identity { kind, value } is required' },
      { index: 1, message: 'members[1].birthday: must be a date YYYY-MM-DD' },
      { index: 2, message: 'members[2].level: must be >= 0' },
      { index: 3, message: 'members[3].idCard: must be a 15- or 18-character national id' },
    ] });
    expect(await h.sql(`select 1 from identities where tenant_id = $1 and value = 'o-lonely'`, [h.tenantId])).toEqual([]);
    // an event from the same WeChat user with their app id: the member is created, the held record fills it
    const t = await h.ok(TRACK, { events: [{ eventId: 'ev-sun-1', name: 'login', occurredAt: '2026-03-03T00:00:00Z',
      identities: [{ kind: 'APP_USER_ID', value: 'app-sun' }, { kind: 'WECHAT_OPENID', value: 'o-lonely' }] }] });
    expect(t.track).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [] });
    const m = await h.ok(MEMBER, { kind: 'APP_USER_ID', value: 'app-sun' });
    expect(m.memberByIdentity).toMatchObject({ name: '孙九', email: 'sun9@example.com' });
    expect(m.memberByIdentity.identities).toEqual([
      { kind: 'APP_USER_ID', value: 'app-sun' }, { kind: 'EMAIL', value: 'sun9@example.com' }, { kind: 'WECHAT_OPENID', value: 'o-lonely' },
    ]);
  });

  it('treats a re-sent event as a duplicate and a changed one as an update', async () => {
    const ev = { eventId: 'ev-sun-1', name: 'login', occurredAt: '2026-03-03T00:00:00Z', identities: [{ kind: 'APP_USER_ID', value: 'app-sun' }] };
    expect((await h.ok(TRACK, { events: [ev] })).track).toEqual({ accepted: 0, duplicates: 1, held: 0, rejected: [] });
    expect((await h.ok(TRACK, { events: [{ ...ev, properties: { b: 1, a: 2 } }] })).track).toMatchObject({ accepted: 1 });
    expect((await h.ok(TRACK, { events: [{ ...ev, properties: { a: 2, b: 1 } }] })).track).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await h.sql(`select properties from events where tenant_id = $1 and event_id = 'ev-sun-1'`, [h.tenantId])).toEqual([{ properties: { a: 2, b: 1 } }]);
  });
});
