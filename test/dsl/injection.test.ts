/**
 * No injection: hostile strings pushed through every literal position compile to exactly the SQL
 * text a harmless string gives (they only ever travel as bind parameters) and come back from
 * Postgres as data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTenant, testDatabase, type TestDatabase } from '../support/db.js';
import { compileDefinitions, compileExpression, emptyCatalog, parseDefinitions } from '../../dsl/index.js';
import { emptyDataset, loadDataset, runQuery } from './support/dataset.js';

const AS_OF = '2026-06-18T12:00:00Z';
const HOSTILE = [
  "'", "''", "'; drop table members; --", "x' or '1'='1", "\\", "\\'", '"', '\\"', '$$', '$1', '$tag$ select 1 $tag$', '\\u0000', '\\x00',
  "E'\\n'", '%_', '*/ /*', '--', ';', 'a\nb', '\u202e\u200b\ufeff', '高价值 🎯', ')) or true --', 'null', '\r\n',
];

/** A payload written as a string literal of the language. */
const lit = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** Each position a literal can take; `$` is replaced by the literal. */
const POSITIONS: string[] = [
  'city = $', 'city in ["a", $]', 'name contains $', 'phone starts with $', 'coalesce(city, $)', 'case when level > 0 then $ else city end',
  'attributes[$] = 1', 'count(events[$])', 'count(events where properties[$] = "v")', 'count(orders where store_id = $)',
  'count(items where category in [$])', 'most_frequent(orders.store_id where store_id != $)', 'count(events.view_product.properties[$])',
];

let db: TestDatabase;
let tenant: string;

describe('hostile strings in every literal position', () => {
  beforeAll(async () => {
    db = await testDatabase();
    tenant = await createTestTenant(db);
    const d = emptyDataset();
    HOSTILE.forEach((h, i) => {
      const id = i + 1;
      d.members.push({ member_id: id, city: h, name: `<${h}>`, phone: `${h}!`, level: 0, attributes: { [h]: 1 } });
      d.orders.push({ order_id: id, member_id: id, channel: 'app', status: 'paid', amount_cents: 1, created_at: '2026-06-01T00:00:00Z', store_id: h });
      d.items.push({ order_id: id, line_no: 1, member_id: id, sku: 's', category: h, quantity: 1, price_cents: 1 });
      d.events.push({ id, member_id: id, name: h, occurred_at: '2026-06-01T00:00:00Z', properties: { [h]: 'v' } },
        { id: 1000 + id, member_id: id, name: 'view_product', occurred_at: '2026-06-01T00:00:00Z', properties: { [h]: 'v' } });
    });
    await loadDataset(db, tenant, d);
  });

  for (const position of POSITIONS) {
    it(position, async () => {
      const harmless = compileExpression(position.replace('$', () => lit('harmless')), emptyCatalog(), { scope: 'all' });
      if (!harmless.ok) throw new Error(JSON.stringify(harmless.errors));
      const slot = harmless.query.values.indexOf('harmless');
      for (const [i, h] of HOSTILE.entries()) {
        const r = compileExpression(position.replace('$', () => lit(h)), emptyCatalog(), { scope: 'all' });
        if (!r.ok) throw new Error(`${JSON.stringify(h)}: ${JSON.stringify(r.errors)}`);
        expect(r.query.text, JSON.stringify(h)).toBe(harmless.query.text);
        expect(r.query.values[slot], JSON.stringify(h)).toBe(h);
        const got = await runQuery(db, tenant, r.query, r.valueType, { asOf: AS_OF });
        const mine = got.get(i + 1);
        if (position.startsWith('most_frequent')) expect(mine, JSON.stringify(h)).toBeNull();
        else if (position.startsWith('coalesce') || position.startsWith('case')) expect(mine, JSON.stringify(h)).toBe(h);
        else expect(mine === true || (typeof mine === 'number' && mine >= 1), `${JSON.stringify(h)} → ${JSON.stringify(mine)}`).toBe(true);
      }
      expect((await db.admin.query('select count(*)::int as n from members where tenant_id = $1', [tenant])).rows[0].n).toBe(HOSTILE.length);
    });
  }

  it('in definitions: enum values, labels, categories and descriptions never reach SQL text', async () => {
    for (const h of HOSTILE) {
      const source = `tag t: enum(${lit(h)}, "other") label ${lit(h)} category ${lit(h)} description ${lit(h)}\n  = case when city = ${lit(h)} then ${lit(h)} else "other" end`;
      const r = compileDefinitions(source, emptyCatalog(), { scope: 'all' });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      const [d] = r.definitions;
      expect(d.statement).toMatchObject({ label: { value: h }, category: { value: h }, description: { value: h } });
      expect(d.valueType).toEqual({ kind: 'enum', values: [h, 'other'] });
      const values = await runQuery(db, tenant, d.query, d.valueType, { asOf: AS_OF });
      expect(values.get(HOSTILE.indexOf(h) + 1)).toBe(h);
    }
  });

  it('NUL cannot reach Postgres: every position rejects it with STRING_CONTAINS_NUL', () => {
    for (const position of POSITIONS) {
      for (const h of ['\u0000', 'a\u0000b', "'\u0000; drop table members; --"]) {
        const r = compileExpression(position.replace('$', () => lit(h)), emptyCatalog(), { scope: 'all' });
        expect(r.ok ? [] : r.errors.map((e) => e.code), position).toEqual(['STRING_CONTAINS_NUL']);
      }
    }
    const r = compileDefinitions('tag t: enum("a\u0000") label "b\u0000" = "a\u0000"', emptyCatalog(), { scope: 'all' });
    expect(r.ok ? [] : r.errors.map((e) => [e.code, e.column])).toEqual([['STRING_CONTAINS_NUL', 13], ['STRING_CONTAINS_NUL', 25], ['STRING_CONTAINS_NUL', 32]]);
    expect(parseDefinitions('tag t: string = "\u0000"').errors).toEqual([]);
  });

  it('dates, times and names cannot carry text into SQL', () => {
    for (const h of HOSTILE) {
      expect(compileExpression(`birthday = date(${lit(h)})`, emptyCatalog(), { scope: 'all' })).toMatchObject({ ok: false, errors: [{ code: 'INVALID_DATE' }] });
      expect(compileExpression(`now() > timestamp(${lit(`2026-06-18${h}`)})`, emptyCatalog(), { scope: 'all' })).toMatchObject({ ok: false, errors: [{ code: 'INVALID_TIMESTAMP' }] });
    }
    expect(compileExpression('tag."x; drop table members" = 1', emptyCatalog(), { scope: 'all' })).toMatchObject({ ok: false, errors: [{ code: 'UNEXPECTED_TOKEN' }] });
  });
});
