import type * as A from './ast.js';
import type { Catalog, ValueType } from './catalog.js';
import { BOOLEAN, describe, fits, toValueType, type CheckType } from './check-types.js';
import { ExprChecker, literalOrigins, type Analysis, type Names } from './check-expr.js';
import { CheckErrorCode } from './check-codes.js';
import { errorAt, type DslError } from './errors.js';

export { CheckErrorCode };

/** A definition that passed the checker, with what the compiler and the refresher need. */
export interface CheckedStatement {
  statement: A.Statement;
  /** The declared type of a tag; boolean for an audience. */
  valueType: ValueType;
  analysis: Analysis;
  /** Sorted: `field:phone`, `collection:orders`, `tag:high_value`, `audience:x`. */
  dependencies: string[];
  batchOnly: boolean;
}

/** A bare expression that passed the checker. */
export interface CheckedExpression {
  expr: A.Expr;
  valueType: ValueType;
  analysis: Analysis;
  dependencies: string[];
  batchOnly: boolean;
}

type Key = `tag:${string}` | `audience:${string}`;

function keyOf(s: A.Statement): Key {
  return s.kind === 'TagStatement' ? `tag:${s.name.text}` : `audience:${s.name.text}`;
}

/** Dependencies as the catalog stores them, normalised to `tag:x` / `audience:x` (a bare name is a tag). */
function catalogEdges(catalog: Catalog, key: string): string[] {
  const [kind, name] = key.split(/:(.*)/s);
  const deps = kind === 'tag' ? catalog.tags.get(name)?.dependencies : catalog.audienceDetails?.get(name)?.dependencies;
  return (deps ?? []).map((d) => (d.includes(':') ? d : `tag:${d}`)).filter((d) => d.startsWith('tag:') || d.startsWith('audience:'));
}

function catalogBatchOnly(catalog: Catalog, key: string): boolean {
  const [kind, name] = key.split(/:(.*)/s);
  return kind === 'tag' ? catalog.tags.get(name)?.batchOnly === true : catalog.audienceDetails?.get(name)?.batchOnly === true;
}

/** The names `tag.` and `audience.` resolve against: the source's own definitions first, then the catalog. */
class CatalogNames implements Names {
  private readonly tags = new Map<string, ValueType>();
  private readonly audiences = new Set<string>();

  constructor(private readonly catalog: Catalog, local: A.Statement[] = []) {
    for (const s of local) {
      if (s.kind === 'TagStatement') this.tags.set(s.name.text, declaredType(s.valueType));
      else this.audiences.add(s.name.text);
    }
  }

  tagType(name: string): ValueType | undefined {
    return this.tags.get(name) ?? this.catalog.tags.get(name)?.type;
  }

  tagNames(): Iterable<string> {
    return new Set([...this.tags.keys(), ...this.catalog.tags.keys()]);
  }

  hasAudience(name: string): boolean {
    return this.audiences.has(name) || this.catalog.audiences.has(name);
  }

  audienceNames(): Iterable<string> {
    return new Set([...this.audiences, ...this.catalog.audiences]);
  }
}

/** The value type a type specification declares. */
export function declaredType(spec: A.TypeSpec): ValueType {
  return spec.kind === 'enum' ? { kind: 'enum', values: spec.values.map((v) => v.value) } : { kind: spec.kind };
}

/**
 * Checks definitions against the catalog and against each other (a source may define tags that
 * use each other): names, types, enum values, a tag's value against its declared type, duplicate
 * definitions, cycles through `tag.` / `audience.` references, and batch-only marking. Returns the
 * statements that passed and every error found.
 */
export function checkStatements(statements: A.Statement[], catalog: Catalog): { checked: CheckedStatement[]; errors: DslError[] } {
  const errors: DslError[] = [];
  const firsts: A.Statement[] = [];
  const seen = new Set<string>();
  for (const s of statements) {
    if (seen.has(keyOf(s))) {
      errors.push(errorAt(s.name.span, CheckErrorCode.DUPLICATE_DEFINITION, `${keyOf(s).replace(':', ' `')}\` is defined twice in this source`));
    } else {
      seen.add(keyOf(s));
      firsts.push(s);
    }
  }
  const names = new CatalogNames(catalog, firsts);
  const analysed = new Map<Key, { statement: A.Statement; analysis: Analysis; valueType: ValueType; errorCount: number }>();
  for (const s of firsts) {
    const before = errors.length;
    const c = new ExprChecker(names, errors);
    for (const text of [s.label, s.kind === 'TagStatement' ? s.category : undefined, s.description]) if (text) c.noNul(text.value, text.span);
    let valueType: ValueType = { kind: 'boolean' };
    if (s.kind === 'TagStatement') {
      valueType = declaredType(s.valueType);
      if (s.valueType.kind === 'enum') for (const v of s.valueType.values) c.noNul(v.value, v.span);
      tagFits(c, s, c.check(s.body, {}, valueType), valueType);
    } else if (c.check(s.body, {}, BOOLEAN).kind !== 'boolean' && errors.length === before) {
      c.report(s.body.span, CheckErrorCode.TYPE_MISMATCH, `an audience is a condition, but this is ${describe(c.analysis.types.get(s.body)!)}`);
    }
    analysed.set(keyOf(s), { statement: s, analysis: c.analysis, valueType, errorCount: errors.length - before });
  }

  const edges = (key: string): string[] => {
    const local = analysed.get(key as Key);
    return local ? local.analysis.references.map((r) => r.node) : catalogEdges(catalog, key);
  };
  for (const [key, { analysis }] of analysed) {
    const reported = new Set<string>();
    for (const ref of analysis.references) {
      const path = findPath(ref.node, key, edges);
      if (!path || reported.has(ref.node)) continue;
      reported.add(ref.node);
      analysed.get(key)!.errorCount++;
      errors.push(errorAt(ref.span, CheckErrorCode.CYCLE, `${fmt(key)} depends on itself: ${[key, ...path].map(fmt).join(' → ')}`));
    }
  }

  const batch = new Map<string, boolean>();
  for (const [key, a] of analysed) batch.set(key, a.analysis.usesPopulation);
  for (let changed = true; changed;) {
    changed = false;
    for (const [key, a] of analysed) {
      if (batch.get(key)) continue;
      if (a.analysis.references.some((r) => (analysed.has(r.node as Key) ? batch.get(r.node) : catalogBatchOnly(catalog, r.node)))) {
        batch.set(key, true);
        changed = true;
      }
    }
  }

  const checked: CheckedStatement[] = [];
  for (const [key, a] of analysed) {
    if (a.errorCount > 0) continue;
    checked.push({ statement: a.statement, valueType: a.valueType, analysis: a.analysis, dependencies: sorted(a.analysis.dependencies), batchOnly: batch.get(key)! });
  }
  errors.sort((x, y) => x.line - y.line || x.column - y.column);
  return { checked, errors };
}

/**
 * Checks a bare expression (a `members(where:)` filter, an audience preview, a validation of an
 * expression). With `condition`, it must be boolean.
 */
export function checkExpression(expr: A.Expr, catalog: Catalog, options: { condition?: boolean } = {}): { checked?: CheckedExpression; errors: DslError[] } {
  const errors: DslError[] = [];
  const c = new ExprChecker(new CatalogNames(catalog), errors);
  const t: CheckType = options.condition ? c.condition(expr, {}) : c.check(expr, {});
  if (t.kind === 'duration') c.report(expr.span, CheckErrorCode.TYPE_MISMATCH, 'a duration alone is not a value: use it in `within` or with a date (`now() - 30 days`)');
  if (errors.length > 0) return { errors };
  const batchOnly = c.analysis.usesPopulation || c.analysis.references.some((r) => catalogBatchOnly(catalog, r.node));
  return { checked: { expr, valueType: toValueType(t), analysis: c.analysis, dependencies: sorted(c.analysis.dependencies), batchOnly }, errors };
}

function tagFits(c: ExprChecker, s: A.TagStatement, t: CheckType, declared: ValueType): void {
  const name = `tag \`${s.name.text}\``;
  if (!fits(t, declared)) {
    c.report(s.body.span, CheckErrorCode.TAG_TYPE_MISMATCH, `${name} is declared ${describe(declared)} but its definition gives ${describe(t)}`);
    return;
  }
  if (declared.kind !== 'enum' || (t.kind !== 'enum' && t.kind !== 'literal')) return;
  c.enumValues(s.body, declared.values);
  const literals = new Set(literalOrigins(s.body).map((l) => l.value));
  const outside = t.values.filter((v) => !declared.values.includes(v) && !literals.has(v));
  if (outside.length > 0) {
    c.report(s.body.span, CheckErrorCode.TAG_TYPE_MISMATCH, `${name} may get ${outside.map((v) => `"${v}"`).join(', ')}, which its enum does not list`);
  }
}

/** A path of references from `from` to `to`, iteratively (catalog chains may be long). */
function findPath(from: string, to: string, edges: (key: string) => string[]): string[] | undefined {
  const parent = new Map<string, string | null>([[from, null]]);
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === to) {
      const path: string[] = [];
      for (let n: string | null = node; n !== null; n = parent.get(n)!) path.unshift(n);
      return path;
    }
    for (const next of edges(node)) {
      if (!parent.has(next)) {
        parent.set(next, node);
        stack.push(next);
      }
    }
  }
  return undefined;
}

function fmt(key: string): string {
  return key.replace(':', ' ');
}

function sorted(set: Set<string>): string[] {
  return [...set].sort();
}
