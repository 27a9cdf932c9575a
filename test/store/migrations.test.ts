import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { migrate } from '../../connectors/store/migrate.js';
import { withTenant } from '../../connectors/store/pool.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});

const TENANT_TABLES = ['tenants', 'consumers', 'tokens', 'members', 'identities', 'member_aliases', 'merge_log',
  'orders', 'order_items', 'events', 'held_records', 'tag_definitions', 'tag_versions', 'tag_values', 'audiences',
  'audience_versions', 'audience_members', 'audience_changes', 'refresh_jobs', 'dirty_members', 'usage_records',
  'audit_log'];

describe('migrations', () => {
  it('applied twice change nothing', async () => {
    const schemaBefore = await db.admin.query(`select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'public' order by 1, 2`);
    const again = await migrate(db.admin);
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBeGreaterThanOrEqual(2);
    const schemaAfter = await db.admin.query(`select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'public' order by 1, 2`);
    expect(schemaAfter.rows).toEqual(schemaBefore.rows);
  });

  it('from two processes at once, each migration is applied once', async () => {
    const results = await Promise.all([migrate(db.admin), migrate(db.admin), migrate(db.admin)]);
    for (const r of results) expect(r.applied).toEqual([]);
    const count = await db.admin.query('select version, count(*)::int as n from schema_migrations group by version');
    for (const row of count.rows) expect(row.n).toBe(1);
  });

  it('every tenant table has tenant_id and forced row-level security', async () => {
    const r = await db.admin.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; has_tenant: boolean }>(
      `select c.relname, c.relrowsecurity, c.relforcerowsecurity,
              exists (select 1 from information_schema.columns k where k.table_name = c.relname and k.column_name = 'tenant_id') as has_tenant
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and c.relname = any($1)`, [TENANT_TABLES]);
    expect(r.rows.map((x) => x.relname).sort()).toEqual([...TENANT_TABLES].sort());
    for (const row of r.rows) {
      expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true, has_tenant: true });
    }
  });

  it('the application role cannot bypass row-level security and owns nothing', async () => {
    const r = await db.admin.query(`select rolsuper, rolbypassrls from pg_roles where rolname = 'cdp_app'`);
    expect(r.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    const owned = await db.admin.query(`select count(*)::int as n from pg_class c join pg_roles r on r.oid = c.relowner
      where r.rolname = 'cdp_app'`);
    expect(owned.rows[0].n).toBe(0);
  });
});

describe('row-level security', () => {
  it('without the tenant setting, the application role sees no row of any tenant table', async () => {
    const a = await createTestTenant(db);
    const b = await createTestTenant(db);
    for (const t of [a, b]) {
      const m = await db.admin.query('insert into members (tenant_id, name, phone) values ($1, $2, $3) returning member_id',
        [t, 'x', '13800000000']);
      await db.admin.query(`insert into identities (tenant_id, kind, value, member_id) values ($1, 'PHONE', '13800000000', $2)`,
        [t, m.rows[0].member_id]);
      await db.admin.query(`insert into orders (tenant_id, member_id, channel, channel_order_id, status, amount, created_at)
        values ($1, $2, 'tmall', 'o1', 'paid', 10, now())`, [t, m.rows[0].member_id]);
    }
    const who = await db.app.query('select current_user');
    expect(who.rows[0].current_user).toBe('cdp_app');
    for (const table of TENANT_TABLES) {
      const r = await db.app.query(`select count(*)::int as n from ${table}`);
      expect(r.rows[0].n, table).toBe(0);
    }
    // and with it, exactly that tenant's rows
    const seen = await withTenant(db.app, a, async (c) => (await c.query('select distinct tenant_id from members')).rows);
    expect(seen).toEqual([{ tenant_id: a }]);
  });

  it('cannot write a row for another tenant', async () => {
    const a = await createTestTenant(db);
    const b = await createTestTenant(db);
    await expect(withTenant(db.app, a, (c) =>
      c.query(`insert into members (tenant_id, name) values ($1, 'intruder')`, [b]))).rejects.toThrow(/row-level security/);
    const r = await db.admin.query('select count(*)::int as n from members where tenant_id = $1', [b]);
    expect(r.rows[0].n).toBe(0);
  });

  it('cannot read the root token hash or the token index', async () => {
    await expect(db.app.query('select * from platform_settings')).rejects.toThrow(/permission denied/);
    await expect(db.app.query('select * from token_lookup')).rejects.toThrow(/permission denied/);
  });
});
