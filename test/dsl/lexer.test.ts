import { describe, expect, it } from 'vitest';
import { MAX_NESTING, MAX_SOURCE_LENGTH, emptyCatalog, parseDefinitions, validateDsl } from '../../dsl/index.js';
import { lex } from '../../dsl/lexer.js';

const kinds = (source: string) => lex(source).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

describe('tokens', () => {
  it('keywords are case-insensitive, names are not, and a keyword never splits a name', () => {
    expect(kinds('AND Or not orders android Within')).toEqual(['And:AND', 'Or:Or', 'Not:not', 'Identifier:orders', 'Identifier:android', 'Within:Within']);
    expect(kinds('description desc dates date')).toEqual(['Description:description', 'Desc:desc', 'Identifier:dates', 'DateType:date']);
  });

  it('durations, numbers, strings, comments and operators', () => {
    expect(kinds('30d 12H 2w 30 days 3.5 <= >= != -- the rest is a comment')).toEqual([
      'ShortDuration:30d', 'ShortDuration:12H', 'ShortDuration:2w', 'NumberLiteral:30', 'DayUnit:days', 'NumberLiteral:3.5', 'LessEq:<=', 'GreaterEq:>=', 'NotEq:!=']);
    expect(kinds('"高价值 \\"vip\\" \\\\" 30dx')).toEqual(['StringLiteral:"高价值 \\"vip\\" \\\\"', 'NumberLiteral:30', 'Identifier:dx']);
    expect(kinds('a-1--b')).toEqual(['Identifier:a', 'Minus:-', 'NumberLiteral:1']);
  });
});

describe('lexical errors', () => {
  it('are positioned: unexpected characters, unterminated strings, unknown escapes', () => {
    expect(validateDsl('level > 1 #\n  and city = 上海', emptyCatalog()).errors).toEqual([
      { code: 'UNEXPECTED_CHARACTER', message: 'unexpected character "#"', line: 1, column: 11, length: 1 },
      { code: 'UNEXPECTED_CHARACTER', message: 'unexpected characters "上海"', line: 2, column: 14, length: 2 },
    ]);
    expect(validateDsl('tag a: string =\n  "abc', emptyCatalog()).errors).toEqual([
      { code: 'UNTERMINATED_STRING', message: 'this string has no closing `"`', line: 2, column: 3, length: 1 }]);
    expect(validateDsl('city = "a\\nb"', emptyCatalog()).errors).toEqual([
      { code: 'INVALID_ESCAPE', message: '`\\n` is not an escape; only `\\"` and `\\\\` are (write `\\\\` for a backslash)', line: 1, column: 10, length: 2 }]);
  });
});

describe('guards', () => {
  it(`a source over ${MAX_SOURCE_LENGTH} characters (here 1 MB) is refused before it is read`, () => {
    const started = performance.now();
    const r = validateDsl(`tag a: number = ${'1 + '.repeat(262_144)}1`, emptyCatalog());
    expect(r.errors).toEqual([{ code: 'SOURCE_TOO_LARGE', message: 'the source is 1048593 characters long; at most 65536 are accepted', line: 1, column: 1, length: 0 }]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('nesting 10,000 deep gets a clean error, whatever nests', () => {
    for (const deep of [`${'('.repeat(10_000)}1${')'.repeat(10_000)}`, `${'not '.repeat(10_000)}true`, `${'- '.repeat(10_000)}1`,
      `${'case when true then '.repeat(2_000)}1${' end'.repeat(2_000)}`, `a in ${'['.repeat(10_000)}`, `count(${'coalesce('.repeat(5_000)}`]) {
      const started = performance.now();
      const [error] = validateDsl(deep, emptyCatalog()).errors;
      expect(error, deep.slice(0, 30)).toMatchObject({ code: 'NESTING_TOO_DEEP', message: `expressions nest more than ${MAX_NESTING} levels deep here`, line: 1 });
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it(`nesting up to ${MAX_NESTING} levels is accepted`, () => {
    expect(validateDsl(`${'('.repeat(MAX_NESTING)}1${')'.repeat(MAX_NESTING)}`, emptyCatalog()).ok).toBe(true);
    expect(validateDsl(`${'('.repeat(MAX_NESTING + 1)}1${')'.repeat(MAX_NESTING + 1)}`, emptyCatalog()).errors[0]).toMatchObject({ code: 'NESTING_TOO_DEEP', column: MAX_NESTING + 1 });
  });

  it('long flat chains are wide, not deep: they compile without exhausting the stack', () => {
    const sum = `${'level + '.repeat(7_000)}1`;
    const r = validateDsl(sum, emptyCatalog());
    expect(r.ok).toBe(true);
    expect(r.sql).toContain('m.level + m.level');
    const [tag] = parseDefinitions(`tag a: boolean = ${'phone is null or '.repeat(1_000)}true`).statements;
    expect(tag.body).toMatchObject({ kind: 'Logical', op: 'or' });
    expect(tag.body.kind === 'Logical' && tag.body.operands).toHaveLength(1_001);
  });
});
