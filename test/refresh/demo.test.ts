import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { seedDemo } from '../../connectors/seed/index.js';
import { installDemoDefinitions } from '../../connectors/tags/demo-definitions.js';

let db: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  db = await testDatabase();
  ({ tenantId } = await seedDemo(db.admin, { members: 400, tenantName: 'demo-small' }));
});

describe('demo definitions', () => {
  it('defines, publishes and materialises the tag-dsl.md examples and churn_recall', async () => {
    const job = await installDemoDefinitions(db, tenantId);
    expect(job).toMatchObject({ target: 'all', state: 'succeeded', error: null, processed: 7 * 400, total: 7 * 400 });
    const tags = await db.admin.query(
      `select d.name, d.status, d.batch_only, count(v.member_id)::int as n from tag_definitions d
         left join tag_values v on v.tenant_id = d.tenant_id and v.tag_name = d.name
        where d.tenant_id = $1 group by d.name, d.status, d.batch_only order by d.name`, [tenantId]);
    expect(tags.rows).toEqual([
      { name: 'high_value', status: 'published', batch_only: false, n: 400 },
      { name: 'lifecycle', status: 'published', batch_only: false, n: 400 },
      { name: 'rfm_f', status: 'published', batch_only: true, n: 400 },
      { name: 'rfm_m', status: 'published', batch_only: true, n: 400 },
      { name: 'rfm_r', status: 'published', batch_only: true, n: 400 },
      { name: 'rfm_segment', status: 'published', batch_only: true, n: 400 },
    ]);
    const rfm = await db.admin.query(`select distinct value from tag_values where tenant_id = $1 and tag_name = 'rfm_m' order by 1`, [tenantId]);
    expect(rfm.rows.map((r) => r.value)).toEqual([1, 2, 3, 4, 5]);
    const audience = await db.admin.query(`select status, size::int from audiences where tenant_id = $1 and name = 'churn_recall'`, [tenantId]);
    expect(audience.rows[0].status).toBe('published');
    expect(audience.rows[0].size).toBeGreaterThan(0);
  });

  it('installing again changes nothing and refreshes to the same values', async () => {
    const before = await db.admin.query(`select count(*)::int as n from tag_versions where tenant_id = $1`, [tenantId]);
    const job = await installDemoDefinitions(db, tenantId);
    expect(job.state).toBe('succeeded');
    const after = await db.admin.query(`select count(*)::int as n from tag_versions where tenant_id = $1`, [tenantId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const changes = await db.admin.query(`select count(*)::int as n from audience_changes where tenant_id = $1 and kind = 'EXITED'`, [tenantId]);
    expect(changes.rows[0].n).toBe(0);
  });
});
