/**
 * The contract: every example of design/tag-dsl.md parses, checks, compiles and, run on Postgres,
 * gives what its comment says.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, testDatabase, type TestDatabase } from '../support/db.js';
import { compileDefinitions, compileExpression, emptyCatalog, type Catalog, type CompiledDefinition } from '../../dsl/index.js';
import { emptyDataset, loadDataset, materialise, materialiseAudience, runQuery, type Dataset, type Plain } from './support/dataset.js';

const AS_OF = '2026-06-18T12:00:00Z';
const ago = (days: number, seconds = 0) => new Date(Date.parse(AS_OF) - days * 86_400_000 - seconds * 1000).toISOString();

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});

function definitions(source: string, catalog: Catalog): CompiledDefinition[] {
  const r = compileDefinitions(source, catalog, { scope: 'all' });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.definitions;
}

function register(catalog: Catalog, d: CompiledDefinition): void {
  if (d.kind === 'tag') catalog.tags.set(d.name, { type: d.valueType, batchOnly: d.batchOnly, dependencies: d.dependencies });
  else catalog.audiences.add(d.name);
}

async function values(tenant: string, source: string, catalog: Catalog = emptyCatalog()): Promise<Map<number, Plain>> {
  const r = compileExpression(source, catalog, { scope: 'all' });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return runQuery(db, tenant, r.query, r.valueType, { asOf: AS_OF });
}

describe('statements', () => {
  const source = `
tag high_value: boolean
  label "高价值客户"
  category "消费属性/价值"
  = sum(orders.amount where status in ["paid", "completed"] within 365 days) >= 5000

tag lifecycle: enum("new", "normal", "member", "super", "churned")
  label "生命周期"
  = case
      when count(orders) = 0 then "new"
      when days_since(last(orders.created_at)) > 180 then "churned"
      when tag.high_value then "super"
      when level >= 1 then "member"
      else "normal"
    end

audience churn_recall
  label "流失召回"
  = tag.lifecycle = "churned" and phone is not null
`;
  let tenant: string;
  beforeAll(async () => {
    tenant = await createTestTenant(db);
    const d: Dataset = emptyDataset();
    const order = (order_id: number, member_id: number, channel: string, status: string, amount_cents: number, created_at: string) =>
      d.orders.push({ order_id, member_id, channel, status, amount_cents, created_at });
    d.members.push({ member_id: 1, level: 2, phone: '13800000001' }, { member_id: 2 }, { member_id: 3, phone: '13800000003' },
      { member_id: 4, level: 1 }, { member_id: 5 }, { member_id: 6 }, { member_id: 7 }, { member_id: 8 }, { member_id: 9 });
    order(101, 1, 'tmall', 'paid', 300000, ago(48));
    order(102, 1, 'jd', 'completed', 250000, ago(109));
    order(301, 3, 'taobao', 'paid', 20000, ago(260));
    order(401, 4, 'tmall', 'refunded', 600000, ago(17));
    order(501, 5, 'pdd', 'paid', 10000, ago(8));
    order(601, 6, 'tmall', 'paid', 900000, ago(-13));
    order(701, 7, 'jd', 'paid', 5000, ago(400));
    order(801, 8, 'tmall', 'paid', 500000, ago(365));
    order(802, 8, 'tmall', 'paid', 100, ago(365, -1));
    order(901, 9, 'tmall', 'paid', 500000, ago(0));
    await loadDataset(db, tenant, d);
  });

  it('parse, check and compile; refreshed in dependency order they mean what the comments say', async () => {
    const catalog = emptyCatalog();
    const [highValue, lifecycle, churnRecall] = definitions(source, catalog);
    expect([highValue.name, lifecycle.name, churnRecall.name]).toEqual(['high_value', 'lifecycle', 'churn_recall']);
    expect(highValue.statement).toMatchObject({ label: { value: '高价值客户' }, category: { value: '消费属性/价值' } });
    expect(lifecycle.dependencies).toEqual(['collection:orders', 'field:level', 'tag:high_value']);
    expect(churnRecall.dependencies).toEqual(['field:phone', 'tag:lifecycle']);

    expect(Object.fromEntries(await runQuery(db, tenant, highValue.query, highValue.valueType, { asOf: AS_OF }))).toEqual({
      1: true, 2: false, 3: false, 4: false, 5: false, 6: false, 7: false, 8: false, 9: true,
    });
    await materialise(db, tenant, 'high_value', highValue.query, AS_OF);
    register(catalog, highValue);
    const lc = definitions(source.split('audience')[0], catalog)[1];
    expect(Object.fromEntries(await runQuery(db, tenant, lc.query, lc.valueType, { asOf: AS_OF }))).toEqual({
      1: 'super', 2: 'new', 3: 'churned', 4: 'member', 5: 'normal', 6: 'new', 7: 'churned', 8: 'churned', 9: 'super',
    });
    await materialise(db, tenant, 'lifecycle', lc.query, AS_OF);
    register(catalog, lc);
    const audience = definitions(`audience churn_recall\n  label "流失召回"\n  = tag.lifecycle = "churned" and phone is not null`, catalog)[0];
    expect(Object.fromEntries(await runQuery(db, tenant, audience.query, audience.valueType, { asOf: AS_OF }))).toEqual({
      1: false, 2: false, 3: true, 4: false, 5: false, 6: false, 7: false, 8: false, 9: false,
    });
    await materialiseAudience(db, tenant, 'churn_recall', audience.query, AS_OF);
    register(catalog, audience);
    expect(Object.fromEntries(await values(tenant, 'audience.churn_recall', catalog))).toMatchObject({ 3: true, 7: false });
  });
});

describe('aggregates over a member\'s related rows', () => {
  let tenant: string;
  beforeAll(async () => {
    tenant = await createTestTenant(db);
    const d = emptyDataset();
    d.members.push({ member_id: 1 }, { member_id: 2 }, { member_id: 3 }, { member_id: 4 }, { member_id: 10 }, { member_id: 11 });
    d.orders.push(
      { order_id: 101, member_id: 1, channel: 'tmall', status: 'paid', amount_cents: 300000, created_at: ago(48), paid_at: ago(48, -300) },
      { order_id: 102, member_id: 1, channel: 'jd', status: 'completed', amount_cents: 250000, created_at: ago(109) },
      { order_id: 301, member_id: 3, channel: 'taobao', status: 'paid', amount_cents: 20000, created_at: ago(260) },
      { order_id: 401, member_id: 4, channel: 'tmall', status: 'refunded', amount_cents: 600000, created_at: ago(17) },
      { order_id: 1001, member_id: 10, channel: 'tmall', status: 'paid', amount_cents: 100, created_at: ago(30) },
      { order_id: 1002, member_id: 10, channel: 'tmall', status: 'paid', amount_cents: 100, created_at: ago(30, -1) },
      { order_id: 1003, member_id: 10, channel: 'tmall', status: 'paid', amount_cents: 100, created_at: ago(0, -1) },
      ...['jd', 'tmall', 'tmall', 'jd'].map((channel, i) => ({ order_id: 1101 + i, member_id: 11, channel, status: 'paid', amount_cents: 100, created_at: ago(i + 1) })),
    );
    d.items.push(
      { order_id: 101, line_no: 1, member_id: 1, sku: 'a', category: 'fruit', quantity: 2, price_cents: 1000 },
      { order_id: 101, line_no: 2, member_id: 1, sku: 'b', category: 'fruit', quantity: 1, price_cents: 1000 },
      { order_id: 101, line_no: 3, member_id: 1, sku: 'c', category: 'electronics', quantity: 1, price_cents: 280000 },
      { order_id: 102, line_no: 1, member_id: 1, sku: 'a', category: 'fruit', quantity: 3, price_cents: 1000 },
      { order_id: 401, line_no: 1, member_id: 4, sku: 'a', category: 'fruit', quantity: 5, price_cents: 1000 },
    );
    d.events.push(
      { id: 1, member_id: 1, name: 'view_product', occurred_at: ago(1), properties: { category: 'fruit', price: 12.5 } },
      { id: 2, member_id: 1, name: 'view_product', occurred_at: ago(6), properties: { category: 'electronics', price: 99 } },
      { id: 3, member_id: 1, name: 'view_product', occurred_at: ago(8), properties: { category: 'fruit', price: 'expensive' } },
      { id: 4, member_id: 1, name: 'login', occurred_at: ago(2) },
      { id: 5, member_id: 1, name: 'login', occurred_at: ago(20) },
      { id: 6, member_id: 1, name: 'register', occurred_at: ago(300) },
      { id: 7, member_id: 1, name: 'add to cart', occurred_at: ago(3) },
      { id: 8, member_id: 1, name: 'login', occurred_at: ago(-1) },
    );
    await loadDataset(db, tenant, d);
  });

  const cases: [string, Record<number, Plain>][] = [
    ['count(orders)', { 1: 2, 2: 0 }],
    ['count(orders where channel = "tmall" within 30 days)', { 4: 1, 1: 0, 10: 1, 2: 0 }],
    ['sum(orders.amount where status = "paid")', { 1: 3000, 2: 0, 4: 0 }],
    ['avg(orders.amount within 90 days)', { 1: 3000, 2: null, 3: null }],
    ['min(orders.paid_at)', { 1: Date.parse(ago(48, -300)), 2: null, 3: null }],
    ['max(orders.amount)', { 1: 3000, 2: null }],
    ['first(orders.created_at)', { 1: Date.parse(ago(109)), 2: null }],
    ['last(orders.created_at)', { 1: Date.parse(ago(48)), 10: Date.parse(ago(30, -1)), 2: null }],
    ['count_distinct(items.category within 365 days)', { 1: 2, 4: 1, 2: 0 }],
    ['most_frequent(orders.channel)', { 11: 'jd', 1: 'jd', 3: 'taobao', 2: null }],
    ['count(items where category = "fruit")', { 1: 3, 4: 1, 2: 0 }],
    ['sum(items.quantity where category = "fruit" and status != "refunded")', { 1: 6, 4: 0, 2: 0 }],
    ['count(events.view_product within 7 days)', { 1: 2, 2: 0 }],
    ['count(events["add to cart"])', { 1: 1 }],
    ['count(events where name in ["login", "register"])', { 1: 3, 2: 0 }],
    ['count(events.view_product where properties.category = "fruit" within 30 days)', { 1: 2 }],
    ['last(events.login.occurred_at)', { 1: Date.parse(ago(2)), 2: null }],
    ['max(events.view_product.properties.price)', { 1: 99, 2: null }],
  ];
  for (const [source, expected] of cases) {
    it(source, async () => {
      expect(Object.fromEntries(await values(tenant, source))).toMatchObject(expected);
    });
  }

  it('min(orders.paid_at) / max(orders.amount) divides a time by a number: a check error', () => {
    const r = compileExpression('min(orders.paid_at) / max(orders.amount)', emptyCatalog(), { scope: 'all' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatchObject({ code: 'TYPE_MISMATCH', line: 1, column: 21 });
  });
});

describe('population functions: RFM', () => {
  // member: [days since last order, orders within 365 days, amount within 365 days]
  const members: [number, number, number][] = [[1, 10, 1000], [2, 9, 900], [3, 8, 800], [4, 7, 100], [5, 1, 600],
    [6, 2, 500], [7, 3, 700], [8, 4, 200], [9, 5, 400], [10, 5, 300]];
  let tenant: string;
  beforeAll(async () => {
    tenant = await createTestTenant(db);
    const d = emptyDataset();
    let id = 1;
    members.forEach(([days, count, amount], i) => {
      d.members.push({ member_id: i + 1 });
      for (let k = 0; k < count; k++) {
        d.orders.push({ order_id: id++, member_id: i + 1, channel: 'app', status: 'paid', amount_cents: (k === 0 ? amount - (count - 1) : 1) * 100, created_at: ago(days + k * 10) });
      }
    });
    await loadDataset(db, tenant, d);
  });

  it('scores 1..5 by rank with ties scoring the same; rfm_segment reads the materialised scores', async () => {
    const catalog = emptyCatalog();
    const source = `
tag rfm_r: number = quintile(days_since(last(orders.created_at)) desc)   -- recent buyers score 5
tag rfm_f: number = quintile(count(orders within 365 days))
tag rfm_m: number = quintile(sum(orders.amount within 365 days))`;
    const scores: Record<string, number[]> = { rfm_r: [5, 5, 4, 4, 3, 3, 2, 2, 1, 1], rfm_f: [5, 5, 4, 4, 1, 1, 2, 2, 3, 3], rfm_m: [5, 5, 4, 1, 3, 3, 4, 1, 2, 2] };
    for (const d of definitions(source, catalog)) {
      expect(d.batchOnly).toBe(true);
      const got = await runQuery(db, tenant, d.query, d.valueType, { asOf: AS_OF });
      expect([...got.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v), d.name).toEqual(scores[d.name]);
      await materialise(db, tenant, d.name, d.query, AS_OF);
      register(catalog, d);
    }
    const [segment] = definitions(`
tag rfm_segment: enum("champion", "loyal", "at_risk", "hibernating", "other")
  = case
      when tag.rfm_r >= 4 and tag.rfm_f >= 4 and tag.rfm_m >= 4 then "champion"
      when tag.rfm_f >= 4 then "loyal"
      when tag.rfm_r <= 2 and tag.rfm_m >= 4 then "at_risk"
      when tag.rfm_r <= 2 and tag.rfm_f <= 2 then "hibernating"
      else "other"
    end`, catalog);
    expect(segment.batchOnly).toBe(true);
    expect(segment.dependencies).toEqual(['tag:rfm_f', 'tag:rfm_m', 'tag:rfm_r']);
    const got = await runQuery(db, tenant, segment.query, segment.valueType, { asOf: AS_OF });
    expect([...got.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)).toEqual(
      ['champion', 'champion', 'champion', 'loyal', 'other', 'other', 'at_risk', 'hibernating', 'other', 'other']);
  });
});

describe('meaning', () => {
  it('two-valued logic: `not (last(orders.created_at) < date("2026-01-01"))` holds for a member with no orders', async () => {
    const tenant = await createTestTenant(db);
    const d = emptyDataset();
    d.members.push({ member_id: 1 }, { member_id: 2 }, { member_id: 3 });
    d.orders.push({ order_id: 1, member_id: 2, channel: 'app', status: 'paid', amount_cents: 1, created_at: '2025-12-31T00:00:00Z' },
      { order_id: 2, member_id: 3, channel: 'app', status: 'paid', amount_cents: 1, created_at: '2026-01-02T00:00:00Z' });
    await loadDataset(db, tenant, d);
    expect(Object.fromEntries(await values(tenant, 'not (last(orders.created_at) < date("2026-01-01"))'))).toEqual({ 1: true, 2: false, 3: true });
    expect(Object.fromEntries(await values(tenant, 'last(orders.created_at) < date("2026-01-01")'))).toEqual({ 1: false, 2: true, 3: false });
  });

  const catalog: Catalog = { tags: new Map([['lifecycle', { type: { kind: 'enum', values: ['new', 'churned'] }, batchOnly: false }],
    ['a', { type: { kind: 'number' }, batchOnly: false, dependencies: ['tag:b'] }]]), audiences: new Set() };
  const errors: [string, string, Partial<{ line: number; column: number; length: number; suggestion: string }>][] = [
    ['level = "3"', 'TYPE_MISMATCH', { line: 1, column: 7, length: 1 }],
    ['gendr = "M"', 'UNKNOWN_FIELD', { line: 1, column: 1, length: 5, suggestion: 'gender' }],
    ['tag.lifecycle > 3', 'TYPE_MISMATCH', { column: 15 }],
    ['tag.lifecycle = "churn"', 'ENUM_VALUE_UNKNOWN', { column: 17, length: 7, suggestion: 'churned' }],
    ['tag b: number = tag.a', 'CYCLE', { column: 17, length: 5 }],
    ['tag x: enum("a", "b") = case when level > 1 then "a" else "c" end', 'ENUM_VALUE_UNKNOWN', { column: 59, length: 3 }],
  ];
  for (const [source, code, at] of errors) {
    it(`${source}: ${code}`, () => {
      const r = compileExpression(source, catalog, { scope: 'all' });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.errors[0]).toMatchObject({ code, ...at });
    });
  }

  it('a cycle between two tags of one source is an error on each', () => {
    const r = compileDefinitions('tag a: number = tag.b\ntag b: number = tag.a', emptyCatalog(), { scope: 'all' });
    expect(!r.ok && r.errors.map((e) => [e.code, e.line, e.message])).toEqual([
      ['CYCLE', 1, 'tag a depends on itself: tag a → tag b → tag a'],
      ['CYCLE', 2, 'tag b depends on itself: tag b → tag a → tag b'],
    ]);
  });
});
