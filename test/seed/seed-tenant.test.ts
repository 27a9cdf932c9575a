import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { seedTenant, type SeedSummary } from '../../connectors/seed/index.js';
import { CATEGORIES } from '../../connectors/seed/catalog.js';
import { CHANNELS } from '../../connectors/seed/channels.js';
import { fingerprints } from './fingerprint.js';

const NOW = new Date('2025-06-15T00:00:00Z');
// activity ends at 00:00 China time on the reference day
const HISTORY_END = '2025-06-14T16:00:00Z';
const MEMBERS = 1000;
// a member's rows do not depend on how many members follow: smaller tenants compare with a's first members
const FEW = 400;

let db: TestDatabase;
let a: SeedSummary;
let b: SeedSummary;
let other: SeedSummary;
let shifted: SeedSummary;
const phases = new Set<string>();

beforeAll(async () => {
  db = await testDatabase();
  a = await seedTenant(db.admin, { tenantName: 'a', members: MEMBERS, seed: 7, now: NOW, onProgress: (_d, _t, phase) => phases.add(phase) });
  b = await seedTenant(db.admin, { tenantName: 'b', members: FEW, seed: 7, now: NOW });
  other = await seedTenant(db.admin, { tenantName: 'other', members: FEW, seed: 8, now: NOW, ordersPerMember: 6, eventsPerMember: 20 });
  shifted = await seedTenant(db.admin, { tenantName: 'shifted', members: FEW, seed: 7, now: new Date(NOW.getTime() + 86_400_000) });
});

const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  Number((await db.admin.query<{ n: string }>(sql, params)).rows[0].n);

describe('seedTenant', () => {
  it('reports what it wrote, phase by phase', async () => {
    expect(a.members).toBe(MEMBERS);
    for (const [table, n] of [['members', a.members], ['identities', a.identities], ['orders', a.orders],
      ['order_items', a.items], ['events', a.events]] as const) {
      expect(await count(`select count(*) as n from ${table} where tenant_id = $1`, [a.tenantId])).toBe(n);
    }
    expect([...phases].sort()).toEqual(['analyze', 'events', 'identities', 'members', 'orders']);
    expect(a.seconds).toBeGreaterThan(0);
  });

  it('gives the same data for the same seed, apart from tenant and id offsets', async () => {
    const [fa, fb, fo] = await Promise.all([fingerprints(db.admin, a.tenantId, { members: FEW }),
      fingerprints(db.admin, b.tenantId), fingerprints(db.admin, other.tenantId)]);
    expect(fb).toEqual(fa);
    expect(b.tenantId).not.toBe(a.tenantId);
    for (const table of Object.keys(fa) as Array<keyof typeof fa>) expect(fo[table]).not.toBe(fa[table]);
  });

  it('depends on `now` only by shifting every timestamp by whole days', async () => {
    expect(await fingerprints(db.admin, shifted.tenantId, { shiftDays: 1, withDates: false }))
      .toEqual(await fingerprints(db.admin, a.tenantId, { withDates: false, members: FEW }));
  });

  it('has about 10 orders, 1.8 items per order and 30 events per member by default; 6 and 20 when asked', () => {
    expect(a.orders / a.members).toBeGreaterThan(9);
    expect(a.orders / a.members).toBeLessThan(11);
    expect(a.items / a.orders).toBeGreaterThan(1.6);
    expect(a.items / a.orders).toBeLessThan(2.0);
    expect(a.events / a.members).toBeGreaterThan(27);
    expect(a.events / a.members).toBeLessThan(33);
    expect(other.orders / other.members).toBeGreaterThan(5);
    expect(other.orders / other.members).toBeLessThan(7);
    expect(other.events / other.members).toBeGreaterThan(17);
    expect(other.events / other.members).toBeLessThan(23);
  });

  it('covers every channel, status, category, event name and identity kind', async () => {
    const values = async (sql: string): Promise<string[]> =>
      (await db.admin.query<{ v: string }>(sql, [a.tenantId])).rows.map((r) => r.v).sort();
    expect(await values('select distinct registered_channel as v from members where tenant_id = $1')).toEqual([...CHANNELS].sort());
    expect(await values('select distinct channel as v from orders where tenant_id = $1')).toEqual([...CHANNELS].sort());
    expect(await values('select distinct status as v from orders where tenant_id = $1'))
      .toEqual(['cancelled', 'completed', 'created', 'paid', 'refunded', 'shipped']);
    expect(await values('select distinct category as v from order_items where tenant_id = $1')).toEqual([...CATEGORIES].sort());
    expect(await values('select distinct name as v from events where tenant_id = $1'))
      .toEqual(['add_to_cart', 'click_coupon', 'favorite', 'login', 'register', 'search', 'share', 'view_product']);
    expect(await values('select distinct kind as v from identities where tenant_id = $1')).toEqual(['APP_USER_ID', 'DOUYIN_OPENID',
      'EMAIL', 'EXTERNAL_ID', 'JD_PIN', 'PDD_UID', 'PHONE', 'POS_CARD', 'TAOBAO_OUID', 'WECHAT_OPENID', 'WECHAT_UNIONID']);
    expect(await values(`select distinct gender as v from members where tenant_id = $1`)).toEqual(['F', 'M', 'U']);
    const multi = await count(`select count(*) as n from (select member_id from orders where tenant_id = $1
      group by member_id having count(distinct channel) >= 2) x`, [a.tenantId]);
    expect(multi).toBeGreaterThan(100);
  });

  it('keeps phones unique, 11 digits, and mirrored by a PHONE identity', async () => {
    const phones = await db.admin.query<{ total: string; distinct_: string; bad: string; missing: string }>(`
      select count(phone) as total, count(distinct phone) as distinct_, count(*) filter (where phone !~ '^1[3-9][0-9]{9}$') as bad,
             count(*) filter (where phone is null) as missing
        from members where tenant_id = $1`, [a.tenantId]);
    const r = phones.rows[0];
    expect(r.total).toBe(r.distinct_);
    expect(Number(r.bad)).toBe(0);
    expect(Number(r.missing)).toBeGreaterThan(0);
    expect(Number(r.missing)).toBeLessThan(MEMBERS * 0.1);
    expect(await count(`select count(*) as n from members m full join (select * from identities where tenant_id = $1 and kind = 'PHONE') i
        on i.member_id = m.member_id and i.value = m.phone
      where (m.tenant_id = $1 or m.tenant_id is null) and (m.phone is not null) <> (i.value is not null)`, [a.tenantId])).toBe(0);
  });

  it('makes every order amount the sum of its items minus the discount, with paid_at exactly when paid', async () => {
    expect(await count(`select count(*) as n from orders o
        left join (select order_id, sum(price * quantity) as s, count(*) as lines from order_items where tenant_id = $1 group by order_id) i
          using (order_id)
       where o.tenant_id = $1 and (i.s is null or o.amount <> i.s - o.discount or o.amount <= 0 or i.lines > 4)`, [a.tenantId])).toBe(0);
    expect(await count(`select count(*) as n from orders where tenant_id = $1
       and (paid_at is not null) <> (status in ('paid', 'shipped', 'completed', 'refunded'))`, [a.tenantId])).toBe(0);
    expect(await count(`select count(*) as n from orders where tenant_id = $1 and discount > 0`, [a.tenantId])).toBeGreaterThan(a.orders * 0.2);
  });

  it('places orders and events after registration, within the 18 months before `now`', async () => {
    for (const [table, column] of [['orders', 'created_at'], ['events', 'occurred_at']] as const) {
      const r = await db.admin.query<{ early: string; late: string; before_reg: string }>(`
        select count(*) filter (where x.${column} < $2::timestamptz - interval '549 days') as early,
               count(*) filter (where x.${column} >= $2::timestamptz) as late,
               count(*) filter (where x.${column} < m.registered_at) as before_reg
          from ${table} x join members m on m.tenant_id = x.tenant_id and m.member_id = x.member_id
         where x.tenant_id = $1`, [a.tenantId, HISTORY_END]);
      expect(r.rows[0]).toEqual({ early: '0', late: '0', before_reg: '0' });
    }
  });

  it('puts the tenant id on every row and links every row to a member of that tenant', async () => {
    for (const table of ['identities', 'orders', 'order_items', 'events']) {
      expect(await count(`select count(*) as n from ${table} x where x.tenant_id = $1
        and not exists (select 1 from members m where m.tenant_id = x.tenant_id and m.member_id = x.member_id)`, [a.tenantId])).toBe(0);
    }
    expect(await count(`select count(*) as n from order_items i where i.tenant_id = $1 and not exists
      (select 1 from orders o where o.tenant_id = i.tenant_id and o.order_id = i.order_id and o.member_id = i.member_id)`, [a.tenantId])).toBe(0);
    // ids come from reserved, contiguous blocks
    const ids = await db.admin.query(`select max(member_id) - min(member_id) + 1 as members from members where tenant_id = $1`, [a.tenantId]);
    expect(Number(ids.rows[0].members)).toBe(MEMBERS);
    const next = await db.admin.query(`select nextval(pg_get_serial_sequence('orders', 'order_id')) as n`);
    expect(Number(next.rows[0].n)).toBeGreaterThan(await count('select max(order_id) as n from orders'));
  });

  it('scripts the first members: omni-channel VIP, churned, new', async () => {
    const first = await count('select min(member_id) as n from members where tenant_id = $1', [a.tenantId]);
    const channels = await db.admin.query<{ channel: string }>(
      'select distinct channel from orders where tenant_id = $1 and member_id = $2 order by 1', [a.tenantId, first]);
    expect(channels.rows.map((r) => r.channel)).toEqual(['jd', 'pos', 'tmall', 'wechat_mp']);
    const vip = await db.admin.query('select name, level from members where tenant_id = $1 and member_id = $2', [a.tenantId, first]);
    expect(vip.rows[0]).toEqual({ name: '张伟', level: 5 });
    const churned = await db.admin.query(`select max(created_at) < $3::timestamptz - interval '299 days' as ok
      from orders where tenant_id = $1 and member_id = $2`, [a.tenantId, first + 3, HISTORY_END]);
    expect(churned.rows[0].ok).toBe(true);
    const fresh = await db.admin.query(`select name, registered_at > $3::timestamptz - interval '4 days' as recent
      from members where tenant_id = $1 and member_id = $2`, [a.tenantId, first + 4, HISTORY_END]);
    expect(fresh.rows[0]).toEqual({ name: '陈静', recent: true });
  });

  it('refuses an existing tenant name and bad options without writing anything', async () => {
    await expect(seedTenant(db.admin, { tenantName: 'a', members: 10, seed: 1 })).rejects.toThrow('tenant "a" already exists');
    await expect(seedTenant(db.admin, { tenantName: 'zero', members: 0, seed: 1 })).rejects.toThrow(RangeError);
    await expect(seedTenant(db.admin, { tenantName: 'neg', members: 5, seed: -1 })).rejects.toThrow(/seed/);
    expect(await count(`select count(*) as n from tenants where name in ('zero', 'neg')`)).toBe(0);
  });
});
