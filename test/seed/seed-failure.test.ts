import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { loadTenantData, seedTenant } from '../../connectors/seed/index.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});

const counts = async (tenantId: string) => (await db.admin.query(`select
    (select count(*)::int from members where tenant_id = $1) as members,
    (select count(*)::int from identities where tenant_id = $1) as identities,
    (select count(*)::int from orders where tenant_id = $1) as orders,
    (select count(*)::int from order_items where tenant_id = $1) as items,
    (select count(*)::int from events where tenant_id = $1) as events`, [tenantId])).rows[0];

describe('a seed that fails part-way', () => {
  it('removes the rows it wrote and keeps what the tenant had', async () => {
    const tenantId = await createTestTenant(db);
    await db.admin.query(`insert into members (tenant_id, name, phone) values ($1, '老客户', '13900000000')`, [tenantId]);
    // members, orders, items and events are committed when the identities pass starts: fail there
    const failing = loadTenantData(db.admin, tenantId, { members: 200, seed: 1, onProgress: (_d, _t, phase) => {
      if (phase === 'identities') throw new Error('disk full (simulated)');
    } });
    await expect(failing).rejects.toThrow('disk full (simulated)');
    expect(await counts(tenantId)).toEqual({ members: 1, identities: 0, orders: 0, items: 0, events: 0 });
  });

  it('removes the tenant seedTenant created', async () => {
    const failing = seedTenant(db.admin, { tenantName: 'doomed', members: 100, seed: 2, onProgress: (done, _t, phase) => {
      if (phase === 'orders' && done > 0) throw new Error('stop');
    } });
    await expect(failing).rejects.toThrow('stop');
    expect((await db.admin.query(`select count(*)::int as n from tenants where name = 'doomed'`)).rows[0].n).toBe(0);
    expect((await db.admin.query('select count(*)::int as n from orders')).rows[0].n).toBe(0);
  });
});
