import { describe, expect, it } from 'vitest';
import { compileDefinitions, emptyCatalog, validateDsl, type Catalog } from '../../dsl/index.js';

const catalog: Catalog = {
  tags: new Map([
    ['high_value', { type: { kind: 'boolean' }, batchOnly: false, dependencies: ['collection:orders'] }],
    ['lifecycle', { type: { kind: 'enum', values: ['new', 'churned'] }, batchOnly: false, dependencies: ['tag:high_value'] }],
    ['rfm_r', { type: { kind: 'number' }, batchOnly: true }],
    ['uses_vip', { type: { kind: 'boolean' }, batchOnly: false, dependencies: ['audience:vip'] }],
  ]),
  audiences: new Set(['vip', 'churn_recall']),
  audienceDetails: new Map([['vip', { dependencies: ['tag:loop'] }], ['churn_recall', { batchOnly: true }]]),
};

/** The first error of `source`, as [code, message, column, length, suggestion]. */
function first(source: string, c: Catalog = catalog): [string, string, number, number, string | undefined] {
  const [e] = validateDsl(source, c).errors;
  if (!e) throw new Error(`no error for ${source}`);
  return [e.code, e.message, e.column, e.length, e.suggestion];
}

describe('names', () => {
  it('unknown fields, tags, audiences and functions, with did-you-mean', () => {
    expect(first('gendr = "M"')).toEqual(['UNKNOWN_FIELD', 'unknown field `gendr`; did you mean `gender`?', 1, 5, 'gender']);
    expect(first('tag.hgh_value')).toEqual(['UNKNOWN_TAG', 'unknown tag `hgh_value`; did you mean `high_value`?', 5, 9, 'high_value']);
    expect(first('audience.vpi')).toEqual(['UNKNOWN_AUDIENCE', 'unknown audience `vpi`; did you mean `vip`?', 10, 3, 'vip']);
    expect(first('cnt(orders) > 1')).toEqual(['UNKNOWN_FUNCTION', 'unknown function `cnt`; did you mean `count`?', 1, 3, 'count']);
    expect(first('sum(orders.amout)')).toEqual(['UNKNOWN_FIELD', 'orders have no field `amout`; did you mean `amount`?', 12, 5, 'amount']);
    expect(first('count(orders where chanel = "jd")')).toEqual(['UNKNOWN_FIELD', 'orders have no field `chanel`; did you mean `channel`?', 20, 6, 'channel']);
    expect(first('sum(ordres.amount)')).toEqual(['NOT_A_COLLECTION', 'sum() ranges over a collection: orders, items or events, e.g. sum(orders.amount); did you mean `orders`?', 5, 13, 'orders']);
    expect(first('zzz > 1')).toEqual(['UNKNOWN_FIELD', 'unknown field `zzz`', 1, 3, undefined]);
  });

  it('where a name may be used', () => {
    expect(first('amount > 100')[1]).toBe('unknown field `amount`: orders have it; use it in an aggregate, e.g. max(orders.amount)');
    expect(first('orders > 1')).toEqual(['COLLECTION_OUTSIDE_AGGREGATE', '`orders` is a collection: use it inside an aggregate, e.g. count(orders)', 1, 6, undefined]);
    expect(first('count(level)')[0]).toBe('NOT_A_COLLECTION');
    expect(first('count(orders where level > 1)')).toEqual(['NOT_ALLOWED_HERE', '`level` is not a field of orders: inside `where` only the fields of orders can be used', 20, 5, undefined]);
    expect(first('count(orders where tag.high_value)')[0]).toBe('NOT_ALLOWED_HERE');
    expect(first('count(orders where count(items) > 1)')[1]).toBe('count() cannot be used inside `where`, which tests one order at a time');
    expect(first('quintile(quintile(level))')[1]).toBe('quintile() cannot rank a quintile()');
    expect(first('id_card = "1"')).toEqual(['PRESENCE_ONLY_FIELD', '`id_card` is stored hashed: only `id_card is null` and `id_card is not null` can be asked', 1, 7, undefined]);
    expect(validateDsl('id_card is not null', catalog).ok).toBe(true);
  });

  it('paths', () => {
    expect(first('city.x = "a"')[0]).toBe('INVALID_PATH');
    expect(first('attributes = 1')[1]).toBe('write `attributes.key` or `attributes["key"]`');
    expect(first('tag.a.b')[1]).toBe('write `tag.NAME`');
    expect(first('max(events.properties)')[1]).toBe('write `events.properties.key` or `events.NAME.properties.key`');
    expect(first('max(orders.amount.x)')[1]).toBe('`amount` has no parts: write `orders.amount`');
    expect(validateDsl('count(events["add to cart"].properties["odd key"]) + count(events.name) + count(events.login.name)', catalog).ok).toBe(true);
  });
});

describe('types', () => {
  const mismatches: [string, string, number][] = [
    ['level = "3"', 'cannot compare number with string', 7],
    ['city > "a"', '`>` orders numbers, dates and times, not string values; use = != in contains or starts with', 6],
    ['level and true', 'expected a condition (boolean) but this is number', 1],
    ['city + 1', 'cannot apply `+` to string and number: `+ - * /` take numbers; a date or time takes `+` or `-` a duration (`now() - 30 days`)', 6],
    ['sum(orders.channel) > 1', `sum() adds numbers, not ${'enum("tmall", "taobao", "jd", "pdd", "vip", "douyin", "wechat_mp", "app", "web", "pos")'}`, 5],
    ['max(orders.store_id)', 'max() needs numbers, dates or times, not string; most_frequent() works on strings', 5],
    ['level contains "1"', '`contains` needs strings but this is number', 1],
    ['days_since(level)', 'days_since() needs a date or time but this is number', 12],
    ['case when married then 1 else "x" end', 'this is string but an earlier alternative is number', 31],
    ['30 days', 'a duration alone is not a value: use it in `within` or with a date (`now() - 30 days`)', 1],
    ['attributes.since > date("2026-01-01")', 'attributes and properties are read as numbers, strings or booleans, not as date', 1],
    ['quintile(city)', 'quintile() ranks numbers, dates or times, not string', 10],
    ['birthday - level', 'cannot apply `-` to date and number: `+ - * /` take numbers; a date or time takes `+` or `-` a duration (`now() - 30 days`)', 10],
  ];
  for (const [source, message, column] of mismatches) {
    it(source, () => expect(first(source).slice(0, 3)).toEqual(['TYPE_MISMATCH', message, column]));
  }

  it('enum values compared, listed or yielded must belong to the enum', () => {
    expect(first('channel_x = 1 or most_frequent(orders.channel) = "tmal"', emptyCatalog())[0]).toBe('UNKNOWN_FIELD');
    expect(first('most_frequent(orders.channel) = "tmal"')).toEqual(['ENUM_VALUE_UNKNOWN',
      '"tmal" is not one of "tmall", "taobao", "jd", "pdd", "vip", "douyin", "wechat_mp", "app", "web", "pos"; did you mean `tmall`?', 33, 6, 'tmall']);
    expect(first('gender in ["M", "male"]')[0]).toBe('ENUM_VALUE_UNKNOWN');
    expect(first('tag.lifecycle != coalesce(city, "x")')).toBeTruthy();
    expect(validateDsl('tag.lifecycle != coalesce(city, "x")', catalog).errors.map((e) => [e.code, e.column])).toEqual([['ENUM_VALUE_UNKNOWN', 33]]);
    expect(validateDsl('count(orders where status = "Paid")', catalog).errors[0]).toMatchObject({ code: 'ENUM_VALUE_UNKNOWN', suggestion: 'paid' });
  });

  it('a tag\'s value must fit its declared type', () => {
    expect(first('tag a: number = city')).toEqual(['TAG_TYPE_MISMATCH', 'tag `a` is declared number but its definition gives string', 17, 4, undefined]);
    expect(first('tag a: date = now()')[1]).toBe('tag `a` is declared date but its definition gives timestamp');
    expect(first('tag a: enum("tmall", "jd") = registered_channel')).toEqual(['TAG_TYPE_MISMATCH',
      'tag `a` may get "taobao", "pdd", "vip", "douyin", "wechat_mp", "app", "web", "pos", which its enum does not list', 30, 18, undefined]);
    expect(first('audience a = level')[1]).toBe('an audience is a condition, but this is number');
    expect(validateDsl('tag a: timestamp = birthday', catalog).ok).toBe(true);
    expect(validateDsl('tag a: string = most_frequent(orders.channel)', catalog).ok).toBe(true);
    expect(validateDsl('tag a: enum("x", "tmall", "jd") = case when level > 1 then "x" else most_frequent(orders.channel where channel in ["tmall", "jd"]) end', catalog).errors[0]?.code)
      .toBe('TAG_TYPE_MISMATCH');
  });

  it('types shown to users', () => {
    const type = (source: string) => validateDsl(source, catalog).type;
    expect([type('level + 1'), type('"a"'), type('gender'), type('tag.lifecycle'), type('now() - 3 months'), type('birthday + 2w'),
      type('coalesce(birthday, registered_at)'), type('attributes.x'), type('attributes.x + 1'), type('case when true then "a" else "b" end')])
      .toEqual(['number', 'string', 'enum("M", "F", "U")', 'enum("new", "churned")', 'timestamp', 'date', 'timestamp', 'string', 'number', 'string']);
  });
});

describe('calls and literals', () => {
  const cases: [string, string, string][] = [
    ['now(1)', 'ARGUMENT_COUNT', 'now() takes no arguments'],
    ['coalesce(level)', 'ARGUMENT_COUNT', 'coalesce() takes two or more arguments'],
    ['count(orders, items)', 'ARGUMENT_COUNT', 'count() takes one collection, e.g. count(orders)'],
    ['date(city)', 'INVALID_ARGUMENT', 'date() takes a string literal, e.g. date("2026-06-18")'],
    ['sum(orders) > 1', 'INVALID_ARGUMENT', 'sum() needs a field, e.g. sum(orders.created_at)'],
    ['coalesce(level where level > 1, 2)', 'MODIFIER_NOT_ALLOWED', '`where` is not allowed in coalesce(): only aggregates such as count() and sum() take it'],
    ['count(orders desc)', 'MODIFIER_NOT_ALLOWED', '`desc` is not allowed in count(): only quintile() ranks'],
    ['count(orders within 1d within 2d)', 'MODIFIER_NOT_ALLOWED', '`within` is given twice'],
    [`level > ${'9'.repeat(1001)}`, 'INVALID_NUMBER', 'a number may have at most 1000 digits'],
    ['count(orders within 0 days)', 'INVALID_DURATION', 'a duration is a whole number of days from 1 to 36500 (at most 100 years)'],
    ['count(orders within 1.5 days)', 'INVALID_DURATION', 'a duration is a whole number of days from 1 to 36500 (at most 100 years)'],
    ['now() - 101 years', 'INVALID_DURATION', 'a duration is a whole number of years from 1 to 100 (at most 100 years)'],
    ['birthday = date("2026-02-29")', 'INVALID_DATE', '"2026-02-29" is not a date: write YYYY-MM-DD, e.g. "2026-06-18"'],
    ['now() > timestamp("2026-06-18T24:00")', 'INVALID_TIMESTAMP', '"2026-06-18T24:00" is not a time: write YYYY-MM-DDTHH:MM[:SS][+08:00], e.g. "2026-06-18T20:00:00+08:00"'],
    ['city = "a\u0000b"', 'STRING_CONTAINS_NUL', 'a string may not contain the NUL character (U+0000)'],
    ['attributes["a\u0000"] = 1', 'STRING_CONTAINS_NUL', 'a string may not contain the NUL character (U+0000)'],
    ['count(events["x\u0000"])', 'STRING_CONTAINS_NUL', 'a string may not contain the NUL character (U+0000)'],
    ['tag a: boolean label "x\u0000" = true', 'STRING_CONTAINS_NUL', 'a string may not contain the NUL character (U+0000)'],
  ];
  for (const [source, code, message] of cases) it(`${source.slice(0, 60)}: ${code}`, () => expect(first(source).slice(0, 2)).toEqual([code, message]));

  it('accepts every written form of dates and times', () => {
    for (const t of ['2024-02-29', '2026-06-18T20:00', '2026-06-18 20:00:00', '2026-06-18T20:00:00.123456Z', '2026-06-18T20:00:00+08:00', '2026-06-18T20:00-0530']) {
      expect(validateDsl(`now() > timestamp("${t}")`, catalog).ok, t).toBe(true);
    }
    expect(validateDsl('birthday = date("2024-02-29")', catalog).ok).toBe(true);
  });
});

describe('definitions', () => {
  const errorsOf = (source: string, c: Catalog = catalog) => {
    const r = compileDefinitions(source, c, { scope: 'all' });
    return r.ok ? [] : r.errors.map((e) => [e.code, e.line, e.column, e.message]);
  };

  it('a name defined twice in one source', () => {
    expect(errorsOf('tag a: number = 1\ntag a: number = 2')).toEqual([['DUPLICATE_DEFINITION', 2, 5, 'tag `a` is defined twice in this source']]);
    expect(errorsOf('tag a: boolean = true\naudience a = true')).toEqual([]);
  });

  it('cycles: direct, through the catalog, through audiences', () => {
    expect(errorsOf('tag a: number = tag.a + 1')).toEqual([['CYCLE', 1, 17, 'tag a depends on itself: tag a → tag a']]);
    expect(errorsOf('tag high_value: boolean = tag.lifecycle = "new"')).toEqual([
      ['CYCLE', 1, 27, 'tag high_value depends on itself: tag high_value → tag lifecycle → tag high_value']]);
    expect(errorsOf('tag loop: boolean = tag.uses_vip')).toEqual([['CYCLE', 1, 21, 'tag loop depends on itself: tag loop → tag uses_vip → audience vip → tag loop']]);
    expect(errorsOf('audience x = audience.y\naudience y = audience.x').map((e) => e[0])).toEqual(['CYCLE', 'CYCLE']);
  });

  it('batch-only: a population function, directly or through tags and audiences', () => {
    const r = compileDefinitions(`tag r: number = quintile(count(orders))
tag s: boolean = tag.r >= 4
tag t: boolean = tag.high_value
tag u: boolean = tag.rfm_r > 3
audience v = tag.s
audience w = audience.churn_recall`, catalog, { scope: 'all' });
    expect(r.ok && r.definitions.map((d) => [d.name, d.batchOnly])).toEqual([['r', true], ['s', true], ['t', false], ['u', true], ['v', true], ['w', true]]);
  });

  it('dependencies: fields, collections (items read their orders), tags, audiences', () => {
    expect(validateDsl('count(items where category = "x") > 0 and attributes.vip and age > 3 and tag.high_value or audience.vip', catalog).dependencies)
      .toEqual(['audience:vip', 'collection:items', 'collection:orders', 'field:age', 'field:attributes', 'tag:high_value']);
    expect(validateDsl('tag a: number = 1\ntag b: number = tag.a + level', catalog)).toMatchObject({ ok: true, type: null, sql: null, dependencies: ['field:level', 'tag:a'] });
  });

  it('the checker reports every error of a source, in source order', () => {
    expect(validateDsl('tag a: number = gendr + 1\naudience b = levl > "x" and tag.nope', emptyCatalog()).errors.map((e) => [e.code, e.line, e.column]))
      .toEqual([['UNKNOWN_FIELD', 1, 17], ['UNKNOWN_FIELD', 2, 14], ['UNKNOWN_TAG', 2, 33]]);
  });
});
