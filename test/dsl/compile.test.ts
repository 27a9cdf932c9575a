/** The compiled SQL text and parameters of small definitions (golden, reviewed), and the API's contract. */
import { describe, expect, it } from 'vitest';
import {
  bindQuery, checkDsl, compileDefinition, compileDefinitions, compileExpression, compileFilter, emptyCatalog, parseDefinitions, validateDsl, type Catalog,
} from '../../dsl/index.js';

const catalog: Catalog = { tags: new Map([['high_value', { type: { kind: 'boolean' }, batchOnly: false }]]), audiences: new Set(['vip']) };

function compiled(source: string, scope: 'all' | 'members' = 'all', filter = false) {
  const r = (filter ? compileFilter : compileExpression)(source, catalog, { scope });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
}

describe('golden SQL', () => {
  it('a member field', () => {
    const r = compiled('level >= 1');
    expect(r.query.text).toBe(`select m.member_id, (m.level >= $3::numeric)::boolean as value
from members m
where m.tenant_id = $1::uuid and $2::timestamptz is not null`);
    expect(r.query.values).toEqual([null, null, '1']);
    expect(r).toMatchObject({ valueType: { kind: 'boolean' }, dependencies: ['field:level'], batchOnly: false });
  });

  it('high_value: one grouped scan, window and status as FILTER, rows after asOf never read', () => {
    const [d] = parseDefinitions(`tag high_value: boolean
  = sum(orders.amount where status in ["paid", "completed"] within 365 days) >= 5000`).statements;
    const r = compileDefinition(d, emptyCatalog(), { scope: 'all' });
    expect(r.ok && r.query.text).toBe(`with so as materialized (select o.tenant_id, o.member_id, sum(o.amount) filter (where o.created_at > ($2::timestamptz - $3::int * interval '24 hours') and o.status in ($4::text, $5::text)) as a1
  from orders o
  where o.tenant_id = $1::uuid and o.created_at <= $2::timestamptz and o.created_at > ($2::timestamptz - $3::int * interval '24 hours')
  group by o.tenant_id, o.member_id)
select m.member_id, (coalesce(so.a1, 0) >= $6::numeric)::boolean as value
from members m
left join so on so.tenant_id = m.tenant_id and so.member_id = m.member_id
where m.tenant_id = $1::uuid`);
    expect(r.ok && r.query.values).toEqual([null, null, '365', 'paid', 'completed', '5000']);
  });

  it('member-scoped: $3 holds the member ids, in the scan and outside', () => {
    const r = compiled('count(orders where channel = "tmall" within 30 days)', 'members');
    expect(r.query.text).toBe(`with so as materialized (select o.tenant_id, o.member_id, count(*) filter (where o.created_at > ($2::timestamptz - $4::int * interval '24 hours') and o.channel = $5::text) as a1
  from orders o
  where o.tenant_id = $1::uuid and o.created_at <= $2::timestamptz and o.created_at > ($2::timestamptz - $4::int * interval '24 hours') and o.member_id = any($3::bigint[])
  group by o.tenant_id, o.member_id)
select m.member_id, (coalesce(so.a1, 0))::numeric as value
from members m
left join so on so.tenant_id = m.tenant_id and so.member_id = m.member_id
where m.tenant_id = $1::uuid and m.member_id = any($3::bigint[])`);
    expect(r.query.values).toEqual([null, null, null, '30', 'tmall']);
  });

  it('a filter over a materialised tag and an audience; names are parameters, not identifiers', () => {
    const r = compiled('tag.high_value and audience.vip or city = "上海"', 'all', true);
    expect(r.query.text).toBe(`select q.member_id from (select m.member_id, (((coalesce((case when jsonb_typeof(t1.value) = 'boolean' then (t1.value)::boolean end), false) and exists (select 1 from audience_members am where am.tenant_id = m.tenant_id and am.member_id = m.member_id and am.audience_name = $4::text)) or coalesce(m.city = $5::text, false)))::boolean as value
from members m
left join tag_values t1 on t1.tenant_id = m.tenant_id and t1.member_id = m.member_id and t1.tag_name = $3::text
where m.tenant_id = $1::uuid and $2::timestamptz is not null) q where q.value`);
    expect(r.query.values).toEqual([null, null, 'high_value', 'vip', '上海']);
  });

  it('a population function, member-scoped: ranks every member, then keeps the requested ones', () => {
    const r = compiled('quintile(count(orders))', 'members');
    expect(r.query.text).toBe(`select q.member_id, q.value from (with so as materialized (select o.tenant_id, o.member_id, count(*) as a1
  from orders o
  where o.tenant_id = $1::uuid and o.created_at <= $2::timestamptz
  group by o.tenant_id, o.member_id)
select m.member_id, ((case when coalesce(so.a1, 0) is null then 1 else 1 + (5 * (rank() over (order by coalesce(so.a1, 0) asc nulls last) - 1)) / count(*) over () end))::numeric as value
from members m
left join so on so.tenant_id = m.tenant_id and so.member_id = m.member_id
where m.tenant_id = $1::uuid) q
where q.member_id = any($3::bigint[])`);
    expect(r).toMatchObject({ batchOnly: true, query: { values: [null, null, null] } });
  });

  it('calendar computations use the time zone option, as a parameter', () => {
    const r = compileExpression('age >= 18', catalog, { scope: 'all', timeZone: 'Asia/Shanghai' });
    expect(r.ok && r.query.text).toBe(`select m.member_id, (coalesce(extract(year from age(($2::timestamptz at time zone $3::text)::date, m.birthday)) >= $4::numeric, false))::boolean as value
from members m
where m.tenant_id = $1::uuid`);
    expect(r.ok && r.query.values).toEqual([null, null, 'Asia/Shanghai', '18']);
  });

  it('five aggregates over orders share one scan', () => {
    const r = compiled('count(orders) + sum(orders.amount) + max(orders.amount within 7d) + count(orders where channel = "jd") + avg(orders.discount)');
    expect(r.query.text.match(/from orders o/g)).toHaveLength(1);
    expect(r.query.text.match(/ as a\d/g)).toEqual([' as a1', ' as a2', ' as a3', ' as a4', ' as a5']);
  });
});

describe('the API', () => {
  it('freezes queries; bindQuery fills the tenant, asOf and member ids without touching the text', () => {
    const r = compiled('count(orders within 1d) > 0', 'members');
    expect(Object.isFrozen(r.query) && Object.isFrozen(r.query.values)).toBe(true);
    const bound = bindQuery(r.query, { tenantId: 't', asOf: new Date('2026-06-18T12:00:00Z'), memberIds: [1, '2', 3n] });
    expect(bound).toEqual({ text: r.query.text, values: ['t', '2026-06-18T12:00:00.000Z', ['1', '2', '3'], '1', '0'] });
    expect(bindQuery(compiled('level > 1').query, { tenantId: 't', asOf: 'x' }).values).toEqual(['t', 'x', '1']);
  });

  it('never throws: bad input, bad options and wrong argument types come back as errors', () => {
    expect(compileExpression('level > 1', catalog, { scope: 'all', timeZone: "UTC'; drop table members; --" })).toEqual({ ok: false, errors: [{
      code: 'INVALID_TIME_ZONE', message: '"UTC\'; drop table members; --" is not a time zone name such as "Asia/Shanghai"', line: 1, column: 1, length: 0 }] });
    expect(compileExpression('level > 1', catalog, { scope: 'all', timeZone: 'Mars/Olympus' }).ok).toBe(false);
    const wrong = [validateDsl(null as unknown as string, catalog), compileExpression(42 as unknown as string, catalog, { scope: 'all' }),
      compileDefinition({} as never, catalog, { scope: 'all' }), compileFilter('tag.x', null as unknown as Catalog, { scope: 'all' })];
    for (const r of wrong) expect(r).toMatchObject({ ok: false, errors: [{ code: 'INTERNAL_ERROR' }] });
  });

  it('compileExpression takes one definition too; compileFilter wants a condition', () => {
    expect(compileExpression('tag a: number = level', catalog, { scope: 'all' })).toMatchObject({ ok: true, valueType: { kind: 'number' } });
    expect(compileExpression('tag a: number = 1\ntag b: number = 2', catalog, { scope: 'all' })).toMatchObject({ ok: false, errors: [{ code: 'EXTRA_INPUT' }] });
    expect(compileFilter('level', catalog, { scope: 'all' })).toMatchObject({ ok: false, errors: [{ code: 'TYPE_MISMATCH', message: 'expected a condition (boolean) but this is number' }] });
    expect(compileFilter('audience x = level > 1', catalog, { scope: 'all' })).toMatchObject({ ok: true });
  });

  it('validateDsl serves the GraphQL DslValidation', () => {
    expect(validateDsl('tag a: enum("x", "y") = case when tag.high_value then "x" else "y" end', catalog)).toMatchObject({
      ok: true, errors: [], type: 'enum("x", "y")', dependencies: ['tag:high_value'], batchOnly: false });
    expect(validateDsl('levl > 1', catalog)).toEqual({ ok: false, type: null, dependencies: [], sql: null, batchOnly: false,
      errors: [{ code: 'UNKNOWN_FIELD', message: 'unknown field `levl`; did you mean `level`?', line: 1, column: 1, length: 4, suggestion: 'level' }] });
  });

  it('checkDsl checks without compiling', () => {
    expect(checkDsl('tag a: number = level', catalog)).toEqual({ ok: true, errors: [], type: 'number', dependencies: ['field:level'], sql: null, batchOnly: false });
    expect(checkDsl('quintile(levl)', catalog)).toMatchObject({ ok: false, errors: [{ code: 'UNKNOWN_FIELD', suggestion: 'level' }] });
  });

  it('compileDefinitions compiles a whole source, each definition with its name and kind', () => {
    const r = compileDefinitions('tag a: number = 1\naudience b = tag.a > 0', emptyCatalog(), { scope: 'members' });
    expect(r.ok && r.definitions.map((d) => [d.kind, d.name, d.dependencies])).toEqual([['tag', 'a', []], ['audience', 'b', ['tag:a']]]);
  });
});
