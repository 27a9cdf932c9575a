/**
 * Grammar-aware generators of valid expressions by type, with fast-check, over the member fields,
 * collections and the test catalog below. Division is left out: Postgres's exact numeric division
 * and the evaluator's floating point disagree in the last digits, which comparisons amplify.
 */
import fc from 'fast-check';
import type { Catalog } from '../../../dsl/index.js';

/** The catalog the generated expressions refer to. */
export function testCatalog(): Catalog {
  return {
    tags: new Map([
      ['tv_num', { type: { kind: 'number' }, batchOnly: false }],
      ['tv_bool', { type: { kind: 'boolean' }, batchOnly: false }],
      ['tv_enum', { type: { kind: 'enum', values: ['a', 'b', 'c'] }, batchOnly: false }],
      ['tv_date', { type: { kind: 'date' }, batchOnly: false }],
    ]),
    audiences: new Set(['aud_a']),
  };
}

type Arb = fc.Arbitrary<string>;

const pick = (...xs: string[]): Arb => fc.constantFrom(...xs);
const int = (min: number, max: number): Arb => fc.integer({ min, max }).map(String);
const units = pick('hours', 'days', 'weeks', 'months', 'years', 'd', 'h', 'w');

const duration: Arb = fc.tuple(fc.integer({ min: 1, max: 40 }), units).map(([n, u]) => (u.length === 1 ? `${n}${u}` : `${n} ${u}`));
const within: Arb = fc.option(duration.map((d) => ` within ${d}`), { nil: '' });

const numLiteral: Arb = fc.oneof(int(0, 100), fc.tuple(int(0, 60), pick('5', '25', '99')).map(([a, b]) => `${a}.${b}`));
const strLiteral: Arb = pick('"Beijing"', '"Shanghai"', '"Li"', '"138"', '"a"', '"x"', '"tmall"', '"fruit"', '""');
const date: Arb = pick('date("2025-02-28")', 'date("2026-01-01")', 'date("2026-06-18")', 'timestamp("2026-06-01T08:30:00Z")', 'timestamp("2026-05-20T00:00")');

const orderWhere: Arb = fc.oneof(
  pick('channel = "tmall"', 'channel in ["jd", "app"]', 'status in ["paid", "completed"]', 'status != "refunded"'),
  fc.tuple(pick('>', '>=', '<', '='), numLiteral).map(([op, n]) => `amount ${op} ${n}`),
  pick('paid_at is null', 'paid_at is not null', 'created_at > now() - 30 days', 'not (channel = "pos")', 'store_id starts with "s1"'),
);
const itemWhere: Arb = pick('category = "fruit"', 'category in ["fruit", "toys"]', 'quantity >= 2', 'status != "refunded" and category = "toys"', 'price > 10', 'channel = "jd"');
const eventWhere: Arb = pick('properties.category = "fruit"', 'channel = "app"', 'name in ["login", "register"]', 'properties.price > 20', 'properties.flag = true', 'not (properties.category contains "u")');

function where(w: Arb): Arb {
  return fc.option(w.map((c) => ` where ${c}`), { nil: '' });
}

const orderSource = fc.tuple(where(orderWhere), within).map(([w, t]) => `${w}${t}`);
const itemSource = fc.tuple(where(itemWhere), within).map(([w, t]) => `${w}${t}`);
const eventSource = fc.tuple(where(eventWhere), within).map(([w, t]) => `${w}${t}`);

const numAggregate: Arb = fc.oneof(
  orderSource.map((s) => `count(orders${s})`),
  fc.tuple(pick('sum', 'avg', 'min', 'max', 'first', 'last'), pick('amount', 'discount'), orderSource).map(([f, x, s]) => `${f}(orders.${x}${s})`),
  fc.tuple(pick('sum', 'max', 'count', 'first'), pick('quantity', 'price'), itemSource).map(([f, x, s]) => `${f}(items.${x}${s})`),
  itemSource.map((s) => `count_distinct(items.category${s})`),
  fc.tuple(pick('view_product', 'login', '["add to cart"]'), eventSource).map(([n, s]) => `count(events${n.startsWith('[') ? n : `.${n}`}${s})`),
  eventSource.map((s) => `count(events${s})`),
  fc.tuple(pick('max', 'min', 'sum', 'avg'), eventSource).map(([f, s]) => `${f}(events.view_product.properties.price${s})`),
  pick('most_frequent(orders.amount)', 'first(events.view_product.properties.price) + 0'),
);
const timeAggregate: Arb = fc.oneof(
  fc.tuple(pick('first', 'last', 'min', 'max'), pick('created_at', 'paid_at'), orderSource).map(([f, x, s]) => `${f}(orders.${x}${s})`),
  fc.tuple(pick('first', 'last'), pick('login', 'view_product')).map(([f, n]) => `${f}(events.${n}.occurred_at)`),
  itemSource.map((s) => `max(items.created_at${s})`),
);
const strAggregate: Arb = fc.oneof(
  itemSource.map((s) => `most_frequent(items.category${s})`),
  pick('first(orders.store_id)', 'last(events.view_product.properties.category)', 'most_frequent(events.channel)'),
);

/** Enum-typed expressions with two of their values. */
const ENUM_TESTS: [string, string, string][] = [['gender', '"M"', '"F"'], ['tag.tv_enum', '"b"', '"c"'], ['registered_channel', '"tmall"', '"jd"'],
  ['most_frequent(orders.channel within 90 days)', '"tmall"', '"jd"'], ['case when married then gender else "X" end', '"X"', '"F"']];

export interface Generators {
  num: Arb;
  bool: Arb;
  str: Arb;
  time: Arb;
  any: Arb;
}

/** Typed expression generators; `population` allows quintile() at the top of a number. */
export function generators(maxDepth = 3): Generators {
  const cache = new Map<string, Arb>();
  const at = (kind: string, depth: number, make: () => Arb): Arb => {
    const key = `${kind}${depth}`;
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key)!;
  };
  const num = (d: number, pop = true): Arb => at(`num${pop}`, d, () => {
    const leaves = [numLiteral, pick('level', 'points', 'age', 'days_until_birthday', 'attributes.score', 'tag.tv_num', 'id'), numAggregate];
    if (d <= 0) return fc.oneof(...leaves);
    return fc.oneof({ depthSize: 'small' }, ...leaves,
      time(d - 1).map((t) => `days_since(${t})`),
      fc.tuple(num(d - 1, pop), pick('+', '-', '*'), num(d - 1, pop)).map(([a, op, b]) => `(${a} ${op} ${b})`),
      num(d - 1, pop).map((a) => `(- ${a})`),
      fc.tuple(num(d - 1, pop), num(d - 1, pop)).map(([a, b]) => `coalesce(${a}, ${b})`),
      fc.tuple(bool(d - 1), num(d - 1, pop), fc.option(num(d - 1, pop))).map(([c, a, b]) => `case when ${c} then ${a}${b === null ? '' : ` else ${b}`} end`),
      ...(pop ? [fc.tuple(num(d - 1, false), pick('', ' desc', ' asc')).map(([a, dir]) => `quintile(${a}${dir})`)] : []),
    );
  });
  const str = (d: number): Arb => at('str', d, () => {
    const leaves = [strLiteral, pick('city', 'province', 'name', 'phone', 'attributes.src'), strAggregate];
    if (d <= 0) return fc.oneof(...leaves);
    return fc.oneof(...leaves,
      fc.tuple(str(d - 1), str(d - 1)).map(([a, b]) => `coalesce(${a}, ${b})`),
      fc.tuple(bool(d - 1), str(d - 1), str(d - 1)).map(([c, a, b]) => `case when ${c} then ${a} else ${b} end`));
  });
  const time = (d: number): Arb => at('time', d, () => {
    const leaves = [date, pick('now()', 'registered_at', 'birthday', 'tag.tv_date'), timeAggregate];
    if (d <= 0) return fc.oneof(...leaves);
    return fc.oneof(...leaves,
      fc.tuple(time(d - 1), pick('+', '-'), duration).map(([t, op, u]) => `(${t} ${op} ${u})`),
      fc.tuple(time(d - 1), time(d - 1)).map(([a, b]) => `coalesce(${a}, ${b})`));
  });
  const bool = (d: number): Arb => at('bool', d, () => {
    const leaves = [pick('true', 'false', 'married', 'has_children', 'tag.tv_bool', 'audience.aud_a', 'attributes.flag', 'id_card is null', 'phone is not null')];
    if (d <= 0) return fc.oneof(...leaves);
    const cmp = pick('=', '!=', '<', '<=', '>', '>=');
    return fc.oneof({ depthSize: 'small' }, ...leaves,
      fc.tuple(num(d - 1), cmp, num(d - 1)).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(time(d - 1), cmp, time(d - 1)).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(str(d - 1), pick('=', '!='), str(d - 1)).map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(fc.constantFrom(...ENUM_TESTS), pick('=', '!=', 'in', 'not in'))
        .map(([[f, v, w], op]) => (op.includes('in') ? `${f} ${op} [${v}, ${w}]` : `${f} ${op} ${v}`)),
      fc.tuple(num(d - 1), pick('in', 'not in'), fc.array(numLiteral, { minLength: 1, maxLength: 3 })).map(([a, op, xs]) => `${a} ${op} [${xs.join(', ')}]`),
      fc.tuple(str(d - 1), pick('in', 'not in'), fc.array(strLiteral, { minLength: 1, maxLength: 3 })).map(([a, op, xs]) => `${a} ${op} [${xs.join(', ')}]`),
      fc.tuple(num(d - 1), pick('between', 'not between'), numLiteral, numLiteral).map(([a, op, l, h]) => `${a} ${op} ${l} and ${h}`),
      fc.tuple(fc.oneof(num(d - 1), str(d - 1), time(d - 1)), pick('is null', 'is not null')).map(([a, op]) => `${a} ${op}`),
      fc.tuple(str(d - 1), pick('contains', 'starts with'), strLiteral).map(([a, op, p]) => `${a} ${op} ${p}`),
      fc.tuple(bool(d - 1), pick('and', 'or'), bool(d - 1)).map(([a, op, b]) => `(${a} ${op} ${b})`),
      bool(d - 1).map((a) => `not ${a}`),
      fc.tuple(bool(d - 1), bool(d - 1), bool(d - 1)).map(([c, a, b]) => `case when ${c} then ${a} else ${b} end`),
      fc.tuple(bool(d - 1), bool(d - 1)).map(([a, b]) => `coalesce(${a}, ${b})`),
    );
  });
  return { num: num(maxDepth), bool: bool(maxDepth), str: str(maxDepth), time: time(maxDepth), any: fc.oneof(num(maxDepth), bool(maxDepth), str(maxDepth), time(maxDepth)) };
}

/** Whole definitions: a tag of a fitting type or an audience. */
export function statements(g: Generators): Arb {
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((n) => !['and', 'or', 'not', 'in', 'is', 'end', 'tag', 'case', 'when', 'then', 'else', 'null', 'true', 'false', 'where', 'within', 'desc', 'asc', 'with', 'starts', 'between', 'contains', 'audience'].includes(n));
  const clauses = fc.array(fc.tuple(pick('label', 'category', 'description'), pick('"高价值"', '"a \\"quoted\\" label"', '"x"')), { maxLength: 3 })
    .map((cs) => [...new Map(cs).entries()].map(([k, v]) => `\n  ${k} ${v}`).join(''));
  return fc.oneof(
    fc.tuple(name, clauses, g.num).map(([n, c, e]) => `tag ${n}: number${c}\n  = ${e}`),
    fc.tuple(name, clauses, g.bool).map(([n, c, e]) => `tag ${n}: boolean${c} = ${e}`),
    fc.tuple(name, clauses, g.str).map(([n, c, e]) => `tag ${n}: string${c} = ${e}`),
    fc.tuple(name, clauses, g.time).map(([n, c, e]) => `tag ${n}: timestamp${c} = ${e}`),
    fc.tuple(name, g.bool).map(([n, e]) => `audience ${n} label "人群" = ${e}`),
    fc.tuple(name, g.bool).map(([n, e]) => `tag ${n}: enum("yes", "no") = case when ${e} then "yes" else "no" end -- comment`),
  );
}
