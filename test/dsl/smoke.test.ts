import { beforeAll, expect, it } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { compileExpression, emptyCatalog } from '../../dsl/index.js';
import { emptyDataset, loadDataset, runQuery } from './support/dataset.js';

let db: TestDatabase;
let tenant: string;
beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  const d = emptyDataset();
  d.members.push({ member_id: 1, birthday: '2000-02-29', attributes: { a: 1 } }, { member_id: 2 });
  d.orders.push({ order_id: 1, member_id: 1, channel: 'tmall', status: 'paid', amount_cents: 12345, created_at: '2026-06-01T00:00:00Z' });
  d.items.push({ order_id: 1, line_no: 1, member_id: 1, sku: 's', category: 'fruit', quantity: 2, price_cents: 100 });
  d.events.push({ id: 1, member_id: 1, name: 'view_product', occurred_at: '2026-06-10T00:00:00Z', properties: { price: 12, category: 'fruit' } });
  await loadDataset(db, tenant, d);
});

const cases = [
  'sum(orders.amount where status in ["paid", "completed"] within 365 days) >= 5000',
  'count(events.view_product where properties.category = "fruit" within 30 days)',
  'max(events.view_product.properties.price)',
  'quintile(days_since(last(orders.created_at)) desc)',
  'most_frequent(orders.channel)',
  'first(orders.amount)',
  'age', 'days_until_birthday',
  'sum(items.quantity where category = "fruit" and status != "refunded")',
  'now() - 6 months', 'birthday + 1 month', 'attributes.a + 1', 'coalesce(birthday, registered_at)',
  'count(orders within 2 months) + count(events within 1 year)',
  'timestamp("2026-06-18T20:00") > now()',
];
for (const src of cases) {
  it(src, async () => {
    const r = compileExpression(src, emptyCatalog(), { scope: 'all' });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const rows = await runQuery(db, tenant, r.query, r.valueType, { asOf: '2026-06-18T12:00:00Z' });
    console.log(src, [...rows]);
    expect(rows.size).toBe(2);
  });
}
