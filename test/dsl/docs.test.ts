/** docs/dsl.md stays true (its examples check, it lists every error code), and dsl/ stays a leaf. */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckErrorCode, CompileErrorCode, LexErrorCode, ParseErrorCode, validateDsl, type Catalog } from '../../dsl/index.js';

const doc = readFileSync(new URL('../../docs/dsl.md', import.meta.url), 'utf8');

const catalog: Catalog = {
  tags: new Map([
    ['high_value', { type: { kind: 'boolean' }, batchOnly: false }],
    ['lifecycle', { type: { kind: 'enum', values: ['new', 'normal', 'member', 'super', 'churned'] }, batchOnly: false }],
    ['rfm_r', { type: { kind: 'number' }, batchOnly: true }], ['rfm_f', { type: { kind: 'number' }, batchOnly: true }], ['rfm_m', { type: { kind: 'number' }, batchOnly: true }],
  ]),
  audiences: new Set(['churn_recall']),
};

describe('docs/dsl.md', () => {
  const examples = [...doc.matchAll(/```dsl\n([\s\S]*?)```/g)].map((m) => m[1]);

  it('has examples, and every one of them checks and compiles', () => {
    expect(examples.length).toBeGreaterThan(10);
    for (const source of examples) expect(validateDsl(source, catalog).errors, source).toEqual([]);
  });

  it('lists every error code, and no code the library does not have', () => {
    const listed = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    const codes = [...Object.values(LexErrorCode), ...Object.values(ParseErrorCode), ...Object.values(CheckErrorCode), ...Object.values(CompileErrorCode)].sort();
    expect(listed).toEqual(codes);
  });

  it('gives examples that raise the codes they stand for', () => {
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| \w+ \| [^|]* \| `([^`]+)`/gm)].map((m) => [m[1], m[2].replace(/\\u0000/g, '\u0000')]);
    const standalone = rows.filter(([, example]) => !/^(\(\(\(\(|enum\(|within|"a\\nb"|Mars)/.test(example));
    expect(standalone.length).toBeGreaterThan(25);
    for (const [code, example] of standalone) expect(validateDsl(example, catalog).errors[0]?.code, example).toBe(code);
  });
});

describe('dsl/', () => {
  it('is a leaf: it imports neither pg nor graphql, nor any other folder of the project', () => {
    const dir = new URL('../../dsl/', import.meta.url);
    const imports = readdirSync(dir).filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(new URL(f, dir), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]));
    expect(imports.length).toBeGreaterThan(20);
    expect([...new Set(imports.filter((i) => !i.startsWith('./')))]).toEqual(['chevrotain']);
  });
});
