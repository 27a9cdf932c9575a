import { describe, it, expect, beforeAll } from 'vitest';
import { ingestHarness, IMPORT_MEMBERS, IMPORT_ORDERS, TRACK, order, type IngestHarness } from './harness.js';

let h: IngestHarness;
const idOf = async (kind: string, value: string) =>
  (await h.sql('select member_id from identities where tenant_id = $1 and kind = $2 and value = $3', [h.tenantId, kind, value]))[0]?.member_id;

const MERGE = `mutation ($s: ID!, $m: ID!) { mergeMembers(survivorId: $s, mergedId: $m) { id name phone } }`;
const UNMERGE = `mutation ($m: ID!) { unmergeMembers(mergedId: $m) { id name identities { kind value } } }`;

beforeAll(async () => {
  h = await ingestHarness();
});

describe('forward merge', () => {
  let older: string;
  let younger: string;

  it('merges the two members a record links; the older survives and everything of the other moves', async () => {
    await h.ok(IMPORT_MEMBERS, { members: [
      { identities: [{ kind: 'EXTERNAL_ID', value: 'crm-1' }], name: '张三', registeredAt: '2020-01-01T00:00:00Z' },
      { identities: [], phone: '13700000001', name: '张三(天猫)', city: '杭州', points: 50, registeredAt: '2022-05-01T00:00:00Z' },
    ] });
    older = await idOf('EXTERNAL_ID', 'crm-1');
    younger = await idOf('PHONE', '13700000001');
    await h.ok(IMPORT_ORDERS, { orders: [order('M-1', '13700000001')] });
    await h.ok(TRACK, { events: [{ eventId: 'ev-m-1', name: 'login', occurredAt: '2026-03-01T08:00:00Z', identities: [{ kind: 'PHONE', value: '13700000001' }] }] });
    await h.sql(`insert into audiences (tenant_id, name, current_version, last_seq, size) values ($1, 'vip', 1, 5, 1), ($1, 'both', 1, 0, 2)`, [h.tenantId]);
    await h.sql(`insert into audience_members (tenant_id, audience_name, member_id) values ($1, 'vip', $2), ($1, 'both', $2), ($1, 'both', $3)`, [h.tenantId, younger, older]);
    await h.sql(`insert into tag_values (tenant_id, tag_name, member_id, value) values ($1, 'spend', $2, '199.5')`, [h.tenantId, younger]);

    const r = await h.ok(IMPORT_ORDERS, { orders: [order('M-2', '13700000001', { identities: [{ kind: 'EXTERNAL_ID', value: 'crm-1' }, { kind: 'PHONE', value: '13700000001' }] })] });
    expect(r.importOrders).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [] });

    expect(await h.sql('select member_id from members where tenant_id = $1 and member_id = any($2)', [h.tenantId, [older, younger]])).toEqual([{ member_id: older }]);
    expect(await idOf('PHONE', '13700000001')).toBe(older);
    const orders = await h.sql(`select channel_order_id, member_id from orders where tenant_id = $1 and channel_order_id like 'M-%' order by 1`, [h.tenantId]);
    expect(orders).toEqual([{ channel_order_id: 'M-1', member_id: older }, { channel_order_id: 'M-2', member_id: older }]);
    expect(await h.sql(`select member_id from order_items where tenant_id = $1 and member_id = $2`, [h.tenantId, younger])).toEqual([]);
    expect(await h.sql(`select member_id from events where tenant_id = $1 and event_id = 'ev-m-1'`, [h.tenantId])).toEqual([{ member_id: older }]);
    expect(await h.sql(`select member_id from tag_values where tenant_id = $1 and tag_name = 'spend'`, [h.tenantId])).toEqual([{ member_id: older }]);
    expect(await h.sql(`select audience_name, member_id from audience_members where tenant_id = $1 order by 1`, [h.tenantId]))
      .toEqual([{ audience_name: 'both', member_id: older }, { audience_name: 'vip', member_id: older }]);
    expect(await h.sql(`select audience_name, seq::int, member_id, kind from audience_changes where tenant_id = $1 order by 1`, [h.tenantId])).toEqual([
      { audience_name: 'both', seq: 1, member_id: younger, kind: 'MERGED' },
      { audience_name: 'vip', seq: 6, member_id: younger, kind: 'MERGED' },
    ]);
    expect(await h.sql(`select name, last_seq::int, size::int from audiences where tenant_id = $1 order by 1`, [h.tenantId]))
      .toEqual([{ name: 'both', last_seq: 1, size: 1 }, { name: 'vip', last_seq: 6, size: 1 }]);
    const [log] = await h.sql(`select survivor_id, merged_id, moved, merged_row->>'city' as city from merge_log where tenant_id = $1`, [h.tenantId]);
    expect(log).toMatchObject({ survivor_id: older, merged_id: younger, city: '杭州' });
    expect(log.moved.identities).toEqual([['PHONE', '13700000001']]);
    expect(log.moved.orders).toHaveLength(1);
    expect(log.moved.events).toHaveLength(1);

    // the survivor keeps its own fields and gains what it lacked
    const view = await h.ok(`query ($id: ID!) { member(id: $id) { id name phone city points } }`, { id: younger });
    expect(view.member).toEqual({ id: older, name: '张三', phone: '13700000001', city: '杭州', points: 50 });
    expect(await h.sql('select 1 from dirty_members where tenant_id = $1 and member_id = $2', [h.tenantId, older])).toHaveLength(1);
  });

  it('mergeMembers merges by hand and re-points earlier aliases at the final survivor (no chains)', async () => {
    await h.ok(IMPORT_MEMBERS, { members: [{ identities: [{ kind: 'EXTERNAL_ID', value: 'crm-0' }], name: '老会员', registeredAt: '2019-01-01T00:00:00Z' }] });
    const oldest = await idOf('EXTERNAL_ID', 'crm-0');
    const r = await h.ok(MERGE, { s: oldest, m: older });
    expect(r.mergeMembers).toMatchObject({ id: oldest, name: '老会员', phone: '13700000001' });
    expect(await h.sql(`select alias_id, member_id from member_aliases where tenant_id = $1 order by alias_id`, [h.tenantId]))
      .toEqual([{ alias_id: younger, member_id: oldest }, { alias_id: older, member_id: oldest }].sort((a, b) => Number(a.alias_id) - Number(b.alias_id)));
    for (const id of [younger, older]) expect((await h.ok(`query ($id: ID!) { member(id: $id) { id } }`, { id })).member).toEqual({ id: oldest });
  });

  it('unmergeMembers restores the member and moves back exactly what moved; later rows stay with the survivor', async () => {
    const oldest = await idOf('EXTERNAL_ID', 'crm-0');
    await h.ok(IMPORT_ORDERS, { orders: [order('M-3', '13700000001')] });
    const r = await h.ok(UNMERGE, { m: older });
    expect(r.unmergeMembers.id).toBe(older);
    expect(r.unmergeMembers.name).toBe('张三');
    expect(r.unmergeMembers.identities).toEqual([{ kind: 'EXTERNAL_ID', value: 'crm-1' }, { kind: 'PHONE', value: '13700000001' }]);
    const orders = await h.sql(`select channel_order_id, member_id from orders where tenant_id = $1 and channel_order_id like 'M-%' order by 1`, [h.tenantId]);
    expect(orders).toEqual([
      { channel_order_id: 'M-1', member_id: older }, { channel_order_id: 'M-2', member_id: older }, { channel_order_id: 'M-3', member_id: oldest },
    ]);
    // the alias of the member it had absorbed points at it again; its own alias is gone
    expect(await h.sql(`select alias_id, member_id from member_aliases where tenant_id = $1`, [h.tenantId])).toEqual([{ alias_id: younger, member_id: older }]);
    expect((await h.ok(`query ($id: ID!) { member(id: $id) { id } }`, { id: older })).member).toEqual({ id: older });
    expect(await h.sql(`select audience_name from audience_members where tenant_id = $1 and member_id = $2 order by 1`, [h.tenantId, older]))
      .toEqual([{ audience_name: 'both' }, { audience_name: 'vip' }]);
    const again = await h.gw.graphql(UNMERGE, { m: older }, h.token);
    expect(again.body.errors?.[0]).toMatchObject({ message: `member ${older} has no merge to undo`, extensions: { code: 'NOT_FOUND' } });
  });

  it('unmerges a member whose survivor was merged again: its rows come back from the final holder', async () => {
    await h.ok(IMPORT_MEMBERS, { members: [
      { identities: [{ kind: 'EXTERNAL_ID', value: 'chain-z' }], registeredAt: '2018-01-01T00:00:00Z' },
      { identities: [{ kind: 'EXTERNAL_ID', value: 'chain-y' }], registeredAt: '2019-01-01T00:00:00Z' },
      { identities: [{ kind: 'EXTERNAL_ID', value: 'chain-x' }], phone: '13700000099', registeredAt: '2021-01-01T00:00:00Z' },
    ] });
    const [z, y, x] = [await idOf('EXTERNAL_ID', 'chain-z'), await idOf('EXTERNAL_ID', 'chain-y'), await idOf('EXTERNAL_ID', 'chain-x')];
    await h.ok(IMPORT_ORDERS, { orders: [order('CH-1', '13700000099')] });
    await h.ok(MERGE, { s: y, m: x });
    await h.ok(MERGE, { s: z, m: y });
    expect(await h.sql(`select member_id from orders where tenant_id = $1 and channel_order_id = 'CH-1'`, [h.tenantId])).toEqual([{ member_id: z }]);
    await h.ok(UNMERGE, { m: x });
    expect(await h.sql(`select member_id from orders where tenant_id = $1 and channel_order_id = 'CH-1'`, [h.tenantId])).toEqual([{ member_id: x }]);
    expect(await idOf('PHONE', '13700000099')).toBe(x);
    expect(await idOf('EXTERNAL_ID', 'chain-y')).toBe(z);
    expect((await h.ok(`query ($id: ID!) { member(id: $id) { id } }`, { id: y })).member).toEqual({ id: z });
  });

  it('reports NOT_FOUND for an unknown member and BAD_USER_INPUT for one member twice', async () => {
    const unknown = await h.gw.graphql(MERGE, { s: older, m: '987654321' }, h.token);
    expect(unknown.body.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND', argument: 'mergedId' } });
    const same = await h.gw.graphql(MERGE, { s: older, m: younger }, h.token);
    expect(same.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('strong and weak identities', () => {
  it('never merges through a weak identity: the record goes to the strong match, the weak one stays put', async () => {
    await h.ok(IMPORT_MEMBERS, { members: [
      { identities: [{ kind: 'WECHAT_OPENID', value: 'o-shared' }], phone: '13600000001' },
      { identities: [], phone: '13600000002' },
    ] });
    const x = await idOf('PHONE', '13600000001');
    const y = await idOf('PHONE', '13600000002');
    await h.ok(IMPORT_ORDERS, { orders: [order('W-1', '13600000002', { identities: [{ kind: 'PHONE', value: '13600000002' }, { kind: 'WECHAT_OPENID', value: 'o-shared' }] })] });
    expect(await h.sql(`select member_id from orders where tenant_id = $1 and channel_order_id = 'W-1'`, [h.tenantId])).toEqual([{ member_id: y }]);
    expect(await idOf('WECHAT_OPENID', 'o-shared')).toBe(x);
    expect(await h.sql(`select count(*)::int as n from members where tenant_id = $1 and member_id = any($2)`, [h.tenantId, [x, y]])).toEqual([{ n: 2 }]);
  });

  it('holds anonymous events and weak-only orders, and attaches them when a later record links the identity', async () => {
    const ev = (id: string) => ({ eventId: id, name: 'view_product', channel: 'WEB', occurredAt: '2026-03-02T09:00:00Z',
      identities: [{ kind: 'ANONYMOUS_ID', value: 'anon-7' }], properties: { sku: 'SKU-9' } });
    expect((await h.ok(TRACK, { events: [ev('ev-a-1'), ev('ev-a-2')] })).track).toEqual({ accepted: 0, duplicates: 0, held: 2, rejected: [] });
    expect((await h.ok(TRACK, { events: [ev('ev-a-1')] })).track).toEqual({ accepted: 0, duplicates: 1, held: 0, rejected: [] });
    const ouid = [{ kind: 'TAOBAO_OUID', value: 'ouid-7' }];
    expect((await h.ok(IMPORT_ORDERS, { orders: [order('H-1', null, { identities: ouid })] })).importOrders.held).toBe(1);
    expect(await h.sql(`select 1 from events where tenant_id = $1 and event_id like 'ev-a-%'`, [h.tenantId])).toEqual([]);

    // one identify links the anonymous id; one order with a phone links the Taobao id
    const m = await h.ok(IMPORT_MEMBERS, { members: [{ identities: [{ kind: 'APP_USER_ID', value: 'u-7' }, { kind: 'ANONYMOUS_ID', value: 'anon-7' }, ...ouid] }] });
    expect(m.importMembers).toEqual({ accepted: 1, duplicates: 0, held: 0, rejected: [] });
    const member = await idOf('APP_USER_ID', 'u-7');
    expect(await h.sql(`select event_id, member_id from events where tenant_id = $1 and event_id like 'ev-a-%' order by 1`, [h.tenantId]))
      .toEqual([{ event_id: 'ev-a-1', member_id: member }, { event_id: 'ev-a-2', member_id: member }]);
    expect(await h.sql(`select member_id from orders where tenant_id = $1 and channel_order_id = 'H-1'`, [h.tenantId])).toEqual([{ member_id: member }]);
    const held = await h.sql(`select record_kind, attached_member_id from held_records where tenant_id = $1 order by held_id`, [h.tenantId]);
    expect(held).toEqual([
      { record_kind: 'event', attached_member_id: member }, { record_kind: 'event', attached_member_id: member },
      { record_kind: 'order', attached_member_id: member },
    ]);
  });
});
