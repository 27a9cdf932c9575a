/** The meaning of the language on Postgres: windows, time zones, nulls, population ranks, materialised values, plans. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, testDatabase, type TestDatabase } from '../support/db.js';
import { withTenant } from '../../connectors/store/pool.js';
import { bindQuery, compileExpression, compileFilter, emptyCatalog, type Catalog } from '../../dsl/index.js';
import { emptyDataset, loadDataset, runFilter, runQuery, type Dataset, type Plain } from './support/dataset.js';

const AS_OF = '2026-06-18T12:00:00Z';
const at = (ms: number) => new Date(ms).toISOString();
const asOfMs = Date.parse(AS_OF);
const H = 3_600_000;

const catalog: Catalog = {
  tags: new Map([['n', { type: { kind: 'number' }, batchOnly: false }], ['d', { type: { kind: 'date' }, batchOnly: false }],
    ['b', { type: { kind: 'boolean' }, batchOnly: false }]]),
  audiences: new Set(),
};

let db: TestDatabase;
let tenant: string;

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  const d: Dataset = emptyDataset();
  d.members.push(
    { member_id: 1, city: 'Beijing', married: true, level: 2, attributes: { score: 10 }, registered_at: '2026-06-17T17:00:00Z', birthday: '2000-06-19' },
    { member_id: 2, city: null, married: null, level: 0, attributes: { score: 20 }, birthday: '2004-02-29' },
    { member_id: 3, city: 'Shanghai', married: false, level: 1, attributes: { score: 20 }, birthday: '2000-06-18' },
    { member_id: 4, attributes: { score: 'high' } },
    { member_id: 5, attributes: { score: 30 } },
  );
  // member 1: per window unit, an order on the excluded lower bound, one a second inside, one at asOf, one a second after asOf
  const windows: [string, number][] = [['tmall', 12 * H], ['jd', 3 * 24 * H], ['pdd', 14 * 24 * H], ['app', Date.parse(AS_OF) - Date.parse('2026-05-18T12:00:00Z')],
    ['web', Date.parse(AS_OF) - Date.parse('2025-06-18T12:00:00Z')]];
  let id = 1;
  for (const [channel, span] of windows) {
    for (const t of [asOfMs - span, asOfMs - span + 1000, asOfMs, asOfMs + 1000]) {
      d.orders.push({ order_id: id++, member_id: 1, channel, status: 'paid', amount_cents: 100, created_at: at(t) });
    }
  }
  d.orders.push(
    { order_id: 100, member_id: 2, channel: 'pos', status: 'paid', amount_cents: 500, created_at: '2026-06-01T00:00:00Z', paid_at: null },
    { order_id: 101, member_id: 2, channel: 'pos', status: 'paid', amount_cents: 700, created_at: '2026-06-01T00:00:00Z', paid_at: '2026-06-02T00:00:00Z' },
    { order_id: 102, member_id: 2, channel: 'pos', status: 'paid', amount_cents: 900, created_at: '2026-06-20T00:00:00Z' },
  );
  d.items.push({ order_id: 102, line_no: 1, member_id: 2, sku: 'x', category: 'fruit', quantity: 1, price_cents: 100 },
    { order_id: 101, line_no: 1, member_id: 2, sku: 'x', category: 'fruit', quantity: 2, price_cents: 100 });
  d.events.push({ id: 1, member_id: 2, name: 'login', occurred_at: at(asOfMs + 1000) }, { id: 2, member_id: 2, name: 'login', occurred_at: at(asOfMs) });
  d.tagValues.push({ tag_name: 'n', member_id: 1, value: 12 }, { tag_name: 'n', member_id: 2, value: '12' },
    { tag_name: 'd', member_id: 1, value: '2026-01-01' }, { tag_name: 'b', member_id: 1, value: true }, { tag_name: 'b', member_id: 2, value: 'yes' });
  await loadDataset(db, tenant, d);
});

async function values(source: string, opts: { timeZone?: string; asOf?: string; scope?: 'all' | 'members'; memberIds?: number[] } = {}): Promise<Record<number, Plain>> {
  const r = compileExpression(source, catalog, { scope: opts.scope ?? 'all', timeZone: opts.timeZone });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return Object.fromEntries(await runQuery(db, tenant, r.query, r.valueType, { asOf: opts.asOf ?? AS_OF, memberIds: opts.memberIds }));
}

describe('windows', () => {
  it('`within N unit` keeps (asOf - N, asOf]: the lower bound out, asOf in, later rows never', async () => {
    for (const [channel, window] of [['tmall', '12 hours'], ['tmall', '12h'], ['jd', '3 days'], ['jd', '3d'], ['pdd', '2 weeks'], ['app', '1 month'], ['web', '1 year']]) {
      expect((await values(`count(orders where channel = "${channel}" within ${window})`))[1], `${channel} ${window}`).toBe(2);
    }
    expect((await values('count(orders)'))[1]).toBe(15);
  });

  it('items and events after asOf never count either', async () => {
    expect(await values('count(items)')).toMatchObject({ 2: 1 });
    expect(await values('count(events.login)')).toMatchObject({ 2: 1 });
    expect(await values('sum(orders.amount)')).toMatchObject({ 2: 12 });
  });

  it('months are calendar months in the time zone (end of month clamps)', async () => {
    const asOf = '2026-03-30T18:00:00Z';
    const t = await createTestTenant(db);
    const d = emptyDataset();
    d.members.push({ member_id: 1 });
    d.orders.push({ order_id: 1, member_id: 1, channel: 'app', status: 'paid', amount_cents: 1, created_at: '2026-02-28T00:00:00Z' });
    await loadDataset(db, t, d);
    for (const [timeZone, expected] of [['UTC', 0], ['Asia/Shanghai', 1]] as const) {
      const r = compileExpression('count(orders within 1 month)', catalog, { scope: 'all', timeZone });
      expect(r.ok && (await runQuery(db, t, r.query, r.valueType, { asOf }))?.get(1), timeZone).toBe(expected);
    }
    expect(await values('now() - 1 month')).toMatchObject({ 1: Date.parse('2026-05-18T12:00:00Z') });
    expect(await values('date("2026-01-31") + 1 month')).toMatchObject({ 1: '2026-02-28' });
    expect(await values('days_since(timestamp("2026-06-17T12:00:01Z"))')).toMatchObject({ 1: 0 });
    expect(await values('days_since(date("2026-06-17"))')).toMatchObject({ 1: 1 });
  });
});

describe('time zone', () => {
  it('dates, written times, age and birthdays are read in the time zone of the compile', async () => {
    const asOf = '2026-06-18T17:00:00Z';
    const utc = { asOf };
    const cn = { asOf, timeZone: 'Asia/Shanghai' };
    expect((await values('registered_at < date("2026-06-18")', utc))[1]).toBe(true);
    expect((await values('registered_at < date("2026-06-18")', cn))[1]).toBe(false);
    expect((await values('timestamp("2026-06-18T00:00")', cn))[1]).toBe(Date.parse('2026-06-17T16:00:00Z'));
    expect((await values('timestamp("2026-06-18T00:00+00:00")', cn))[1]).toBe(Date.parse('2026-06-18T00:00:00Z'));
    expect([(await values('age', utc))[1], (await values('age', cn))[1]]).toEqual([25, 26]);
    expect([(await values('days_until_birthday', utc))[1], (await values('days_until_birthday', cn))[1]]).toEqual([1, 0]);
  });

  it('days_until_birthday: 0 on the day, 29 February on 28 February in other years', async () => {
    expect(await values('days_until_birthday')).toMatchObject({ 3: 0, 1: 1, 4: null });
    expect((await values('days_until_birthday', { asOf: '2026-02-27T12:00:00Z' }))[2]).toBe(1);
    expect((await values('age', { asOf: '2026-02-28T12:00:00Z' }))[2]).toBe(21);
  });
});

describe('nulls: two-valued logic', () => {
  it('a comparison with a null side is false, and `not` makes it true', async () => {
    expect(await values('city = "Beijing"')).toMatchObject({ 1: true, 2: false });
    expect(await values('city != "Beijing"')).toMatchObject({ 1: false, 2: false, 3: true });
    expect(await values('not (city = "Beijing")')).toMatchObject({ 1: false, 2: true });
    expect(await values('city not in ["Beijing"]')).toMatchObject({ 1: false, 2: true, 3: true });
    expect(await values('city contains "ei"')).toMatchObject({ 1: true, 2: false });
    expect(await values('not (city starts with "S")')).toMatchObject({ 2: true, 3: false });
    expect(await values('married')).toMatchObject({ 1: true, 2: null, 3: false });
    expect(await values('not married')).toMatchObject({ 1: false, 2: true, 3: true });
    expect(await values('married = false')).toMatchObject({ 2: false, 3: true });
    expect(await values('tag.n between 1 and 20')).toMatchObject({ 1: true, 2: false });
    expect(await values('tag.n not between 1 and 5')).toMatchObject({ 1: true, 2: true });
  });

  it('arithmetic with null is null; division by zero is null; case without else is null; coalesce picks the first value', async () => {
    expect(await values('level + attributes.missing')).toMatchObject({ 1: null });
    expect(await values('level / 0')).toMatchObject({ 1: null });
    expect(await values('level / 4')).toMatchObject({ 1: 0.5 });
    expect(await values('case when city = "Beijing" then 1 end')).toMatchObject({ 1: 1, 2: null });
    expect(await values('coalesce(city, "unknown")')).toMatchObject({ 1: 'Beijing', 2: 'unknown' });
  });

  it('empty aggregates: count, count_distinct and sum are 0, the others null', async () => {
    expect(await values('count(events) + count_distinct(items.category) + sum(items.quantity)')).toMatchObject({ 3: 0 });
    for (const f of ['avg(orders.amount)', 'min(orders.amount)', 'max(orders.created_at)', 'first(orders.amount)', 'last(orders.amount)', 'most_frequent(orders.channel)']) {
      expect((await values(f))[3], f).toBeNull();
    }
  });

  it('first and last read the earliest and latest row with a value, ties by id', async () => {
    expect(await values('first(orders.amount)')).toMatchObject({ 2: 5 });
    expect(await values('last(orders.amount)')).toMatchObject({ 2: 7 });
    expect(await values('first(orders.paid_at)')).toMatchObject({ 2: Date.parse('2026-06-02T00:00:00Z') });
  });
});

describe('population functions', () => {
  it('quintile: 1 + floor(5 × S / N) over every member, equal values equal scores, null scores 1', async () => {
    expect(await values('quintile(attributes.score)')).toEqual({ 1: 1, 2: 2, 3: 2, 4: 1, 5: 4 });
    expect(await values('quintile(attributes.score asc)')).toEqual({ 1: 1, 2: 2, 3: 2, 4: 1, 5: 4 });
    expect(await values('quintile(attributes.score desc)')).toEqual({ 1: 4, 2: 2, 3: 2, 4: 1, 5: 1 });
  });

  it('member-scoped, a quintile still ranks against every member', async () => {
    expect(await values('quintile(attributes.score desc)', { scope: 'members', memberIds: [1, 5, 99] })).toEqual({ 1: 4, 5: 1 });
  });
});

describe('materialised values', () => {
  it('tag.NAME reads tag_values as the tag\'s type; a stored value of another JSON type reads as null', async () => {
    expect(await values('tag.n')).toMatchObject({ 1: 12, 2: null, 3: null });
    expect(await values('tag.d')).toMatchObject({ 1: '2026-01-01', 2: null });
    expect(await values('tag.b')).toMatchObject({ 1: true, 2: null });
    expect(await values('not tag.b')).toMatchObject({ 1: false, 2: true });
  });

  it('compileFilter returns the members for whom a condition holds', async () => {
    const r = compileFilter('tag.n > 10 or city = "Shanghai"', catalog, { scope: 'all' });
    expect(r.ok && await runFilter(db, tenant, r.query, AS_OF)).toEqual([1, 3]);
  });
});

describe('plans', () => {
  it('a definition with five order aggregates reads orders once', async () => {
    const r = compileExpression('count(orders) > 1 and sum(orders.amount where status = "paid") > 10 and max(orders.amount within 30 days) > 1'
      + ' and avg(orders.discount) >= 0 and last(orders.created_at) > now() - 1 year', emptyCatalog(), { scope: 'all' });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const q = bindQuery(r.query, { tenantId: tenant, asOf: AS_OF });
    const plan = await withTenant(db.app, tenant, async (c) => (await c.query(`explain (format json) ${q.text}`, [...q.values])).rows[0]['QUERY PLAN']);
    const relations: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (typeof node['Relation Name'] === 'string') relations.push(node['Relation Name']);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk(plan[0].Plan);
    expect(relations.filter((n) => n === 'orders')).toHaveLength(1);
    expect(relations.filter((n) => n === 'members')).toHaveLength(1);
  });
});
