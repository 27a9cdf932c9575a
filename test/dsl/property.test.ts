/**
 * Random valid expressions from the grammar over random data: the compiled SQL run by Postgres and
 * the reference evaluator agree on every member, and the member-scoped query agrees with the
 * set-based one.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, testDatabase, type TestDatabase } from '../support/db.js';
import { compileExpression, parseExpression, type ValueType } from '../../dsl/index.js';
import { checkExpression } from '../../dsl/check.js';
import { loadDataset, runQuery, type Dataset, type Plain } from './support/dataset.js';
import { evaluate } from './support/evaluator.js';
import { generators, testCatalog } from './support/generate.js';
import { prng, randomDataset } from './support/random-data.js';

const AS_OF = '2026-06-18T12:00:00Z';
const MEMBERS = 300;
const EXPRESSIONS = 300;

let db: TestDatabase;
let tenant: string;
let data: Dataset;
const catalog = testCatalog();
const tagTypes = new Map([...catalog.tags].map(([k, v]) => [k, v.type]));

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  data = randomDataset(20260618, MEMBERS, AS_OF);
  await loadDataset(db, tenant, data);
});

function same(a: Plain, b: Plain): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

function differences(expected: Map<number, Plain>, got: Map<number, Plain>): string[] {
  const out: string[] = [];
  for (const [id, v] of expected) if (!got.has(id) || !same(v, got.get(id)!)) out.push(`member ${id}: evaluator ${JSON.stringify(v)}, SQL ${JSON.stringify(got.get(id))}`);
  if (got.size !== expected.size) out.push(`SQL returned ${got.size} rows for ${expected.size} members`);
  return out;
}

async function agree(source: string, scoped = true): Promise<void> {
  const compiled = compileExpression(source, catalog, { scope: 'all' });
  expect(compiled.ok, `${source}: ${JSON.stringify(!compiled.ok && compiled.errors)}`).toBe(true);
  if (!compiled.ok) return;
  const expr = parseExpression(source).expr!;
  const { checked } = checkExpression(expr, catalog);
  const expected = evaluate(expr, data, { asOf: AS_OF, tagTypes, types: checked!.analysis.types, resultType: compiled.valueType });
  const got = await runQuery(db, tenant, compiled.query, compiled.valueType as ValueType, { asOf: AS_OF });
  expect(differences(expected, got).slice(0, 5), source).toEqual([]);
  if (scoped) await agreeScoped(source, got);
}

async function agreeScoped(source: string, got: Map<number, Plain>): Promise<void> {
  const ids = [3, 17, 42, 99, 150, 151, 299, 1000];
  const scoped = compileExpression(source, catalog, { scope: 'members' });
  if (!scoped.ok) throw new Error('member-scoped compile failed');
  const part = await runQuery(db, tenant, scoped.query, scoped.valueType, { asOf: AS_OF, memberIds: ids });
  expect([...part.keys()].sort((a, b) => a - b), source).toEqual([3, 17, 42, 99, 150, 151, 299]);
  for (const [id, v] of part) expect(same(v, got.get(id)!), `${source}: member ${id} scoped ${JSON.stringify(v)} vs all ${JSON.stringify(got.get(id))}`).toBe(true);
}

describe('compiled SQL and the reference evaluator agree', () => {
  it(`on ${EXPRESSIONS} random expressions over ${MEMBERS} random members`, async () => {
    const g = generators(3);
    const sources = fc.sample(fc.oneof(g.bool, g.num, g.str, g.time), { numRuns: EXPRESSIONS, seed: 7 });
    for (const [i, source] of sources.entries()) await agree(source, i % 2 === 0);
  }, 120_000);

  it('on hand-picked edge cases', async () => {
    for (const source of [
      'quintile(sum(orders.amount within 365 days))', 'quintile(last(orders.created_at) desc)', 'quintile(attributes.score)',
      'most_frequent(items.category)', 'first(orders.paid_at)', 'last(orders.store_id)', 'count(orders within 1 years) - count(orders within 12 months)',
      'now() - 1 month', 'birthday + 1 year', 'age', 'days_until_birthday', 'attributes.score > 50', 'not attributes.flag', 'attributes.src = "ad"',
      'count(events.view_product where properties.flag)', 'sum(events.view_product.properties.price within 4 weeks)', 'count_distinct(events.name)',
      'count(events.properties.category)', 'tag.tv_date < date("2026-01-01")', 'tag.tv_enum in ["a", "c"]', 'married = has_children',
      'case when level > 2 then "vip" when audience.aud_a then "a" end', 'id_card is not null and not (phone starts with "1389")',
    ]) await agree(source);
  });
});

describe('the random data', () => {
  it('is reproducible from its seed', () => {
    expect(randomDataset(1, 5, AS_OF)).toEqual(randomDataset(1, 5, AS_OF));
    expect(prng(1)()).not.toBe(prng(2)());
  });
});
