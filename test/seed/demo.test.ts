import { describe, it, expect, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { seedDemo, hashToken, newTokenSecret, DEMO_TENANT } from '../../connectors/seed/index.js';

let db: TestDatabase;
let demo: Awaited<ReturnType<typeof seedDemo>>;

beforeAll(async () => {
  db = await testDatabase();
  demo = await seedDemo(db.admin, { members: 300, now: new Date('2025-03-01T00:00:00Z') });
});

describe('seedDemo', () => {
  it('creates the "demo" tenant with an admin consumer and returns its admin token once', async () => {
    expect(demo.adminToken).toMatch(/^cdp_[A-Za-z0-9_-]{43}$/);
    const rows = await db.admin.query(`select t.name, c.name as consumer, k.secret_sha256, k.prefix, k.scopes, k.status
      from tokens k join consumers c using (tenant_id, consumer_id) join tenants t using (tenant_id) where k.tenant_id = $1`, [demo.tenantId]);
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0];
    expect(row).toMatchObject({ name: DEMO_TENANT, consumer: 'admin', prefix: demo.adminToken.slice(0, 12), scopes: ['admin'], status: 'active' });
    expect(Buffer.compare(row.secret_sha256, createHash('sha256').update(demo.adminToken).digest())).toBe(0);
  });

  it('stores the hash only: the secret is in no column of tokens or token_lookup', async () => {
    const found = await db.admin.query(`select (select count(*) from tokens t where t::text like '%' || $1 || '%')
      + (select count(*) from token_lookup l where l::text like '%' || $1 || '%') as n`, [demo.adminToken.slice(4)]);
    expect(Number(found.rows[0].n)).toBe(0);
    const auth = await db.admin.query('select tenant_name, scopes from cdp_authenticate($1)', [hashToken(demo.adminToken)]);
    expect(auth.rows).toEqual([{ tenant_name: DEMO_TENANT, scopes: ['admin'] }]);
  });

  it('loads members with 6 orders and 20 events each on average', () => {
    expect(demo.summary.tenantId).toBe(demo.tenantId);
    expect(demo.summary.members).toBe(300);
    expect(demo.summary.orders / 300).toBeGreaterThan(5);
    expect(demo.summary.orders / 300).toBeLessThan(7);
    expect(demo.summary.events / 300).toBeGreaterThan(17);
    expect(demo.summary.events / 300).toBeLessThan(23);
  });

  it('has the scripted members connectors/seed/README.md documents, with the same phones every time', async () => {
    const r = await db.admin.query<{ name: string; phone: string; channels: string[]; orders: number }>(`
      select m.name, m.phone, array(select distinct channel from orders o where o.tenant_id = m.tenant_id
               and o.member_id = m.member_id order by 1) as channels,
             (select count(*)::int from orders o where o.tenant_id = m.tenant_id and o.member_id = m.member_id) as orders
        from members m where m.tenant_id = $1 order by m.member_id limit 5`, [demo.tenantId]);
    expect(r.rows).toEqual([
      { name: '张伟', phone: '13862206779', channels: ['jd', 'pos', 'tmall', 'wechat_mp'], orders: 24 },
      { name: '李娜', phone: '13983492556', channels: ['douyin', 'tmall'], orders: 15 },
      { name: '王芳', phone: '18695769647', channels: ['app', 'pdd', 'wechat_mp'], orders: 12 },
      { name: '刘洋', phone: '13550672440', channels: ['jd'], orders: 8 },
      { name: '陈静', phone: '17721944220', channels: ['douyin'], orders: 1 },
    ]);
  });

  it('refuses a second demo tenant and leaves the first untouched', async () => {
    await expect(seedDemo(db.admin, { members: 10 })).rejects.toThrow('tenant "demo" already exists');
    const n = await db.admin.query('select count(*)::int as n from members where tenant_id = $1', [demo.tenantId]);
    expect(n.rows[0].n).toBe(300);
  });
});

describe('token secrets', () => {
  it('are cdp_ + 43 base64url characters, hashed with SHA-256, prefixed by their first 12 characters', () => {
    const a = newTokenSecret();
    const b = newTokenSecret();
    expect(a.token).not.toBe(b.token);
    expect(a.prefix).toBe(a.token.slice(0, 12));
    expect(a.sha256.equals(createHash('sha256').update(a.token).digest())).toBe(true);
    expect(Buffer.from(a.token.slice(4), 'base64url')).toHaveLength(32);
  });
});
