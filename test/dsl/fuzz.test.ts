/**
 * The front end (lexer, parser, checker) never throws, never hangs and always answers with
 * well-formed errors, for 100,000 inputs: grammar-generated definitions and expressions, the same
 * randomly mutated, token soup and random text. What checks is compiled too (no database needed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckErrorCode, CompileErrorCode, LexErrorCode, ParseErrorCode, checkDsl, validateDsl, type DslError } from '../../dsl/index.js';
import { generators, statements, testCatalog } from './support/generate.js';

const RUNS = 100_000;
const CODES = new Set<string>([...Object.values(LexErrorCode), ...Object.values(ParseErrorCode), ...Object.values(CheckErrorCode), ...Object.values(CompileErrorCode)]);
const TOKENS = ['tag', 'audience', 'and', 'or', 'not', '(', ')', '[', ']', ',', '.', '=', '!=', '<', '>=', '+', '-', '*', '/', 'case', 'when', 'then',
  'else', 'end', 'where', 'within', '30 days', '7d', 'count(', 'sum(orders.amount', 'orders', 'items', 'events', 'quintile(', 'desc', '"x"', '"', '\\',
  '12', '3.5', '99999999999999999999', 'in', 'between', 'is', 'null', 'contains', 'starts with', 'label', 'enum(', ':', '--', '\n', 'tag.', 'audience.',
  'attributes.', 'properties.', 'level', 'city', '上海', '\u0000', '\ud800', '$1', "'", '((((', 'not not', 'date("2026-02-30")', 'now()'];

type Input = { kind: 'valid' | 'mutated' | 'soup' | 'text'; source: string };

interface Mutation { at: number; op: number; token: string; len: number }

function mutate(source: string, mutations: Mutation[]): string {
  let s = source;
  for (const { at, op, token, len } of mutations) {
    const i = at % (s.length + 1);
    switch (op) {
      case 0: s = s.slice(0, i) + token + s.slice(i); break;
      case 1: s = s.slice(0, i) + s.slice(i + len); break;
      case 2: s = s.slice(0, i) + token + s.slice(i + len); break;
      case 3: s = s.slice(0, i) + s.slice(i, i + len).repeat(3) + s.slice(i); break;
      case 4: s = s.slice(0, i); break;
      default: s = s.slice(0, i) + String.fromCharCode(len * 7 + at % 120) + s.slice(i);
    }
  }
  return s;
}

function wellFormed(source: string, e: DslError): string | undefined {
  const lines = source.split(/\r\n|\r|\n/);
  if (!CODES.has(e.code)) return `unknown code ${e.code}`;
  if (e.code === CompileErrorCode.INTERNAL_ERROR) return `internal error: ${e.message}`;
  if (typeof e.message !== 'string' || e.message.length === 0) return 'empty message';
  if (!Number.isInteger(e.line) || e.line < 1 || e.line > lines.length) return `line ${e.line} outside 1..${lines.length}`;
  if (!Number.isInteger(e.column) || e.column < 1 || e.column > lines[e.line - 1].length + 1) return `column ${e.column} outside line ${e.line}`;
  if (!Number.isInteger(e.length) || e.length < 0) return `length ${e.length}`;
  return undefined;
}

describe('fuzzing the front end', () => {
  it(`${RUNS.toLocaleString('en')} generated and mutated inputs: no throw, no hang, well-formed errors`, () => {
    const g = generators(3);
    const pool = fc.sample(fc.oneof(statements(g), g.any), { numRuns: 1_500, seed: 99 });
    const catalog = testCatalog();
    const mutation = fc.record({ at: fc.nat(), op: fc.nat(5), token: fc.constantFrom(...TOKENS), len: fc.integer({ min: 1, max: 12 }) });
    const input: fc.Arbitrary<Input> = fc.oneof(
      { weight: 1, arbitrary: fc.nat(pool.length - 1).map((i) => ({ kind: 'valid' as const, source: pool[i] })) },
      { weight: 7, arbitrary: fc.tuple(fc.nat(pool.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }))
        .map(([i, ms]) => ({ kind: 'mutated' as const, source: mutate(pool[i], ms) })) },
      { weight: 1, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((ts) => ({ kind: 'soup' as const, source: ts.join(' ') })) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((source) => ({ kind: 'text' as const, source })) },
    );
    const seen = { valid: 0, mutated: 0, soup: 0, text: 0, failing: 0, runs: 0 };
    let slowest = 0;
    fc.assert(fc.property(input, ({ kind, source }) => {
      const started = performance.now();
      const checked = checkDsl(source, catalog);
      const r = checked.ok ? validateDsl(source, catalog) : checked;
      slowest = Math.max(slowest, performance.now() - started);
      seen[kind]++;
      seen.runs++;
      if (!r.ok) seen.failing++;
      if (kind === 'valid' && !r.ok) throw new Error(`generated source rejected: ${source}\n${JSON.stringify(r.errors)}`);
      if (r.ok !== (r.errors.length === 0) || (r.ok && (r.sql === null) !== (r.type === null))) throw new Error(`inconsistent result for ${JSON.stringify(source)}`);
      for (const e of r.errors) {
        const problem = wellFormed(source, e);
        if (problem) throw new Error(`${problem} for ${JSON.stringify(source)}: ${JSON.stringify(e)}`);
      }
    }), { numRuns: RUNS, seed: 20260618 });
    expect(seen.runs).toBe(RUNS);
    expect(seen.failing).toBeGreaterThan(RUNS / 2);
    expect(Math.min(seen.valid, seen.soup, seen.text)).toBeGreaterThan(RUNS / 20);
    expect(slowest).toBeLessThan(2_000);
  }, 600_000);
});
