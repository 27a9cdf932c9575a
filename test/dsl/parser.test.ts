import { describe, expect, it } from 'vitest';
import { emptyCatalog, formatDslError, parseDefinitions, parseExpression, validateDsl } from '../../dsl/index.js';
import { DslParser } from '../../dsl/parser.js';
import { sexpr } from './support/print.js';

function tree(source: string): string {
  const r = parseExpression(source);
  if (!r.expr) throw new Error(JSON.stringify(r.errors));
  return sexpr(r.expr);
}

describe('grammar', () => {
  it('passes Chevrotain\'s own grammar validation (ambiguities, left recursion)', () => {
    // Chevrotain 13 validates with Object.groupBy (Node 22); installed here for this check only
    const o = Object as unknown as { groupBy?: unknown };
    o.groupBy ??= <T>(items: T[], key: (x: T) => string) => {
      const groups: Record<string, T[]> = Object.create(null);
      for (const x of items) (groups[key(x)] ??= []).push(x);
      return groups;
    };
    const p = new DslParser({ validate: true }) as unknown as { definitionErrors: unknown[] };
    expect(p.definitionErrors).toEqual([]);
  });
});

describe('precedence and structure', () => {
  const cases: [string, string][] = [
    ['not a = 1 and b or c', '(or (and (not (= a 1)) b) c)'],
    ['a or b and not not c', '(or a (and b (not (not c))))'],
    ['1 + 2 * 3 - 4 / 5', '(1 + (2 * 3) - (4 / 5))'],
    ['-x * 2', '((- x) * 2)'],
    ['x between 1 and 2 and y', '(and (between x 1 2) y)'],
    ['x not between 1 + 1 and 5', '(not-between x (1 + 1) 5)'],
    ['city not in ["a", "b"] or city is not null', '(or (not-in city ["a" "b"]) (is-not-null city))'],
    ['phone starts with "138" and name contains "李"', '(and (starts_with phone "138") (contains name "李"))'],
    ['case when a then 1 when b then 2 else 3 end', '(case [a 1] [b 2] else 3)'],
    ['count(orders where channel = "tmall" within 30 days)', '(count orders where (= channel "tmall") within 30days)'],
    ['sum(orders.amount within 2w where status = "paid")', '(sum orders.amount within 2weeks where (= status "paid"))'],
    ['quintile(days_since(last(orders.created_at)) desc)', '(quintile (days_since (last orders.created_at)) desc)'],
    ['count(events["add to cart"].properties.x)', '(count events["add to cart"].properties.x)'],
    ['tag.high_value AND Audience.x', '(and tag.high_value audience.x)'],
    ['COUNT(orders) = 0 -- a comment', '(= (count orders) 0)'],
    ['now() - 12h > date("2026-06-18")', '(> ((now ) - 12hours) (date "2026-06-18"))'],
    ['6 months', '6months'],
    ['"a \\"b\\" \\\\ c"', '"a \\"b\\" \\\\ c"'],
    ['coalesce(a, b, 1)', '(coalesce a, b, 1)'],
  ];
  for (const [source, expected] of cases) it(source, () => expect(tree(source)).toBe(expected));

  it('reads definitions with clauses in any order, comments, several statements and every type', () => {
    const { statements, errors } = parseDefinitions(`
-- lifecycle tags
tag a: enum("x", "y") category "c/d" label "标签" = "x"
TAG b: Boolean description "d" = true
audience c label "人群" description "d" = tag.b
tag d: timestamp = now()
tag e: date = date("2026-01-01")
tag f: string = city
tag g: number = 1`);
    expect(errors).toEqual([]);
    expect(statements.map((s) => [s.kind, s.name.text, s.kind === 'TagStatement' ? s.valueType.kind : '-', s.label?.value ?? null])).toEqual([
      ['TagStatement', 'a', 'enum', '标签'], ['TagStatement', 'b', 'boolean', null], ['AudienceStatement', 'c', '-', '人群'],
      ['TagStatement', 'd', 'timestamp', null], ['TagStatement', 'e', 'date', null], ['TagStatement', 'f', 'string', null], ['TagStatement', 'g', 'number', null]]);
    expect(statements[0]).toMatchObject({ category: { value: 'c/d' }, valueType: { values: [{ value: 'x' }, { value: 'y' }] }, name: { span: { line: 3, column: 5, length: 1 } } });
  });

  it('keeps spans: line, column and length of every node', () => {
    const { statements } = parseDefinitions('tag a: number =\n  count(orders)\n    + 1');
    expect(statements[0].body.span).toEqual({ offset: 18, length: 21, line: 2, column: 3 });
  });
});

describe('syntax errors', () => {
  const errorsOf = (source: string) => validateDsl(source, emptyCatalog()).errors;

  it('are positioned, with what was expected', () => {
    expect(errorsOf('level > 1 level')).toEqual([{ code: 'EXTRA_INPUT', message: 'expected the end of the expression but found `level`',
      line: 1, column: 11, length: 5, expected: ['end of input'] }]);
    expect(errorsOf('case when level > 1 then 2')).toEqual([{ code: 'UNEXPECTED_END', message: 'expected `end` but found the end of input',
      line: 1, column: 27, length: 0, expected: ['end'] }]);
    expect(errorsOf('tag a: number = 1 )')[0]).toMatchObject({ code: 'EXTRA_INPUT', column: 19, message: 'expected a definition (`tag` or `audience`) but found `)`' });
    expect(errorsOf('a in []')[0]).toMatchObject({ code: 'UNEXPECTED_TOKEN', column: 7, message: 'expected an expression but found `]`' });
  });

  it('suggest the keyword that was probably meant', () => {
    expect(errorsOf('tag x: nmber = 1')).toEqual([{ code: 'UNEXPECTED_TOKEN', message: 'expected a type but found `nmber`; did you mean `number`?',
      line: 1, column: 8, length: 5, expected: ['boolean', 'number', 'string', 'date', 'timestamp', 'enum'], suggestion: 'number' }]);
    expect(errorsOf('tag x: number lable "x" = 1')[0]).toMatchObject({ column: 15, suggestion: 'label', expected: ['label', 'category', 'description', '='] });
  });

  it('several mistakes give several errors (recovery), each on its line', () => {
    const errors = errorsOf('tag a: number = 1 +\ntag b: boolean = level >\naudience c = phone is not');
    expect(errors.map((e) => [e.code, e.line, e.column, e.message])).toEqual([
      ['UNEXPECTED_TOKEN', 2, 1, 'expected an expression but found `tag`'],
      ['UNEXPECTED_TOKEN', 3, 1, 'expected an expression but found `audience`'],
      ['UNEXPECTED_END', 3, 26, 'expected `null` but found the end of input'],
    ]);
    expect(parseDefinitions('tag a: number = (1 + 2\ntag b: number = 3').statements.map((s) => s.name.text)).toEqual(['b']);
  });

  it('structural mistakes', () => {
    expect(errorsOf('tag x: number label "a" label "b" = 1')).toEqual([{ code: 'DUPLICATE_CLAUSE', message: '`label` is given twice', line: 1, column: 25, length: 5 }]);
    expect(errorsOf('audience x category "c" = true')[0]).toMatchObject({ code: 'UNEXPECTED_TOKEN', column: 12, message: 'an audience has no `category`; it may have label and description' });
    expect(errorsOf('tag x: enum("a", "a") = "a"')).toEqual([{ code: 'DUPLICATE_ENUM_VALUE', message: '"a" is listed twice', line: 1, column: 18, length: 3 }]);
    expect(errorsOf('  -- nothing')).toEqual([{ code: 'EMPTY_SOURCE', message: 'there is nothing to check: write a definition or an expression', line: 1, column: 13, length: 0 }]);
    expect(parseDefinitions('')).toEqual({ statements: [], errors: [] });
  });

  it('print with the source line and a caret', () => {
    const source = 'tag x: number =\n  count(orders) +* 2';
    const [error] = errorsOf(source);
    expect(formatDslError(source, error)).toBe([
      'UNEXPECTED_TOKEN: expected an expression but found `*`',
      ' --> line 2, column 18',
      '  |',
      '2 |   count(orders) +* 2',
      '  |                  ^',
      '  = expected -, number literal, duration, string literal, true, false, (, case, tag, audience, name',
    ].join('\n'));
    expect(formatDslError('', { code: 'EMPTY_SOURCE', message: 'm', line: 1, column: 1, length: 0 })).toBe('EMPTY_SOURCE: m\n --> line 1, column 1\n  |\n1 | \n  | ^');
  });
});
