/**
 * The tag and audience language: tokens → lexer → parser → AST → checker → compiler. Each entry
 * point stops at the first stage that reports errors and returns them as data; none throws.
 * Pure: no database, no GraphQL, no state between calls except the reused parser.
 */
import type * as A from './ast.js';
import { Audience, Dot, LBracket, Tag } from './tokens.js';
import { lex } from './lexer.js';
import { ParseErrorCode, parseTokens } from './parser.js';
import { toExpression, toStatements } from './to-ast.js';
import { typeToString, type Catalog, type ValueType } from './catalog.js';
import { CheckErrorCode, checkExpression, checkStatements, type CheckedStatement } from './check.js';
import { CompileErrorCode, TooManyParameters, checkOptions, compileChecked, filterQuery, type CompileOptions } from './compile.js';
import { LineIndex, endOfSource, errorAt, type DslError } from './errors.js';
import type { CompiledQuery } from './sql.js';

export type { Span, Statement, TagStatement, AudienceStatement, Expr } from './ast.js';
export type { ValueType, Catalog, TagInfo, AudienceInfo, FieldInfo, FieldType, CollectionName, CollectionInfo } from './catalog.js';
export { MEMBER_FIELDS, COLLECTIONS, CHANNELS, ORDER_STATUSES, GENDERS, emptyCatalog, typeToString, typeFromString } from './catalog.js';
export { formatDslError, type DslError } from './errors.js';
export { bindQuery, type CompiledQuery, type QueryParams } from './sql.js';
export { LexErrorCode, MAX_SOURCE_LENGTH, MAX_NESTING } from './lexer.js';
export { ParseErrorCode } from './parser.js';
export { CheckErrorCode } from './check.js';
export { CompileErrorCode, type CompileOptions } from './compile.js';

/** The result of a successful compile. */
export interface Compiled {
  ok: true;
  /** Frozen `{ text, values }`; `values` starts with placeholders for `$1` tenant, `$2` asOf (and `$3` member ids): see bindQuery. */
  query: CompiledQuery;
  valueType: ValueType;
  /** Sorted: `field:phone`, `collection:orders`, `tag:high_value`, `audience:x`. */
  dependencies: string[];
  /** Uses a population function (directly or through tags): refresh in full only. */
  batchOnly: boolean;
}

export type CompileResult = Compiled | { ok: false; errors: DslError[] };

/** One compiled definition of a source text. */
export interface CompiledDefinition extends Compiled {
  kind: 'tag' | 'audience';
  name: string;
  statement: A.Statement;
}

/** What `validateDsl` returns: the GraphQL `DslValidation` type. */
export interface DslValidation {
  ok: boolean;
  errors: DslError[];
  /** The type of the definition or expression (`number`, `enum("a", "b")`); null on errors or for several definitions. */
  type: string | null;
  dependencies: string[];
  /** The set-based SQL; null on errors or for several definitions. */
  sql: string | null;
  batchOnly: boolean;
}

/** The front end's result; on syntax errors, the definitions the parser did not have to repair. */
type Front = { kind: 'program'; statements: A.Statement[] } | { kind: 'expression'; expr: A.Expr } | { kind: 'errors'; errors: DslError[]; statements?: A.Statement[] };

function front(source: string, mode: 'auto' | 'program' | 'standalone', keepRepairedStatements = false): Front {
  const lexed = lex(source);
  if (lexed.errors.length > 0) return { kind: 'errors', errors: lexed.errors };
  const t = lexed.tokens;
  const program = mode === 'program' || (mode === 'auto' && t.length >= 1 && (t[0].tokenType === Tag || t[0].tokenType === Audience)
    && t[1]?.tokenType !== Dot && t[1]?.tokenType !== LBracket);
  if (t.length === 0 && mode !== 'program') {
    return { kind: 'errors', errors: [errorAt(endOfSource(source), ParseErrorCode.EMPTY_SOURCE, 'there is nothing to check: write a definition or an expression')] };
  }
  const parsed = parseTokens(source, t, program ? 'program' : 'standalone');
  const lines = new LineIndex(source);
  if (parsed.errors.length > 0 || !parsed.cst) {
    const statements = keepRepairedStatements && program && parsed.cst ? toStatements(parsed.cst, lines).statements : [];
    return { kind: 'errors', errors: parsed.errors, statements };
  }
  if (!program) {
    const expr = toExpression(parsed.cst, lines, false);
    return expr ? { kind: 'expression', expr } : { kind: 'errors', errors: [internal('the parser returned an incomplete expression')] };
  }
  const { statements, errors } = toStatements(parsed.cst, lines, false);
  return errors.length > 0 ? { kind: 'errors', errors } : { kind: 'program', statements };
}

function internal(detail: unknown): DslError {
  const message = detail instanceof Error ? detail.message : String(detail);
  return errorAt({ offset: 0, length: 0, line: 1, column: 1 }, CompileErrorCode.INTERNAL_ERROR, `internal error in the language library: ${message}`);
}

function guarded<T>(fn: () => T, onError: (e: DslError) => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TooManyParameters) {
      return onError(errorAt({ offset: 0, length: 0, line: 1, column: 1 }, CompileErrorCode.TOO_MANY_PARAMETERS, 'this source has more literals than one SQL statement can carry'));
    }
    return onError(internal(e));
  }
}

const failed = (e: DslError): { ok: false; errors: DslError[] } => ({ ok: false, errors: [e] });

/**
 * Parses a source text of definitions (`tag ...`, `audience ...`). With syntax errors, `statements`
 * holds the definitions that parsed cleanly; the ones the parser had to repair are left out.
 */
export function parseDefinitions(source: string): { statements: A.Statement[]; errors: DslError[] } {
  return guarded(() => {
    const f = front(source, 'program', true);
    return f.kind === 'program' ? { statements: f.statements, errors: [] } : { statements: f.kind === 'errors' ? f.statements ?? [] : [], errors: f.kind === 'errors' ? f.errors : [] };
  }, (e) => ({ statements: [], errors: [e] }));
}

/** Parses a bare expression. */
export function parseExpression(source: string): { expr?: A.Expr; errors: DslError[] } {
  return guarded(() => {
    const f = front(source, 'standalone');
    return f.kind === 'expression' ? { expr: f.expr, errors: [] } : { errors: f.kind === 'errors' ? f.errors : [] };
  }, (e) => ({ errors: [e] }));
}

function compiledStatement(c: CheckedStatement, options: CompileOptions): CompiledDefinition {
  const s = c.statement;
  const query = compileChecked(s.body, c.analysis, c.valueType, options, s.kind === 'AudienceStatement');
  return { ok: true, kind: s.kind === 'TagStatement' ? 'tag' : 'audience', name: s.name.text, statement: s, query, valueType: c.valueType, dependencies: c.dependencies, batchOnly: c.batchOnly };
}

function compileStatements(statements: A.Statement[], catalog: Catalog, options: CompileOptions): { ok: true; definitions: CompiledDefinition[] } | { ok: false; errors: DslError[] } {
  const { checked, errors } = checkStatements(statements, catalog);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, definitions: checked.map((c) => compiledStatement(c, options)) };
}

function compileExpr(expr: A.Expr, catalog: Catalog, options: CompileOptions, condition: boolean): CompileResult {
  const { checked, errors } = checkExpression(expr, catalog, { condition });
  if (!checked) return { ok: false, errors };
  const query = compileChecked(checked.expr, checked.analysis, checked.valueType, options, condition);
  return { ok: true, query, valueType: checked.valueType, dependencies: checked.dependencies, batchOnly: checked.batchOnly };
}

/**
 * Parses, checks and compiles every definition of a source text (statements may use each other).
 * Errors: lexer, parser, checker or option errors, from the first stage that has any.
 */
export function compileDefinitions(source: string, catalog: Catalog, options: CompileOptions): { ok: true; definitions: CompiledDefinition[] } | { ok: false; errors: DslError[] } {
  return guarded(() => {
    const optionError = checkOptions(options);
    if (optionError) return failed(optionError);
    const f = front(source, 'program');
    if (f.kind !== 'program') return { ok: false as const, errors: f.kind === 'errors' ? f.errors : [] };
    return compileStatements(f.statements, catalog, options);
  }, failed);
}

/** Checks and compiles one parsed definition (from parseDefinitions) against the catalog. */
export function compileDefinition(statement: A.Statement, catalog: Catalog, options: CompileOptions): CompileResult {
  return guarded((): CompileResult => {
    const optionError = checkOptions(options);
    if (optionError) return failed(optionError);
    const { checked, errors } = checkStatements([statement], catalog);
    if (errors.length > 0 || checked.length !== 1) return { ok: false, errors };
    const { kind: _kind, name: _name, statement: _statement, ...compiled } = compiledStatement(checked[0], options);
    return compiled;
  }, failed);
}

function compileSource(source: string, catalog: Catalog, options: CompileOptions, condition: boolean): CompileResult {
  const optionError = checkOptions(options);
  if (optionError) return failed(optionError);
  const f = front(source, 'auto');
  if (f.kind === 'errors') return { ok: false, errors: f.errors };
  if (f.kind === 'expression') return compileExpr(f.expr, catalog, options, condition);
  if (f.statements.length !== 1) return failed(errorAt(endOfSource(source), ParseErrorCode.EXTRA_INPUT, 'expected one definition or one expression'));
  const result = compileDefinition(f.statements[0], catalog, options);
  if (condition && result.ok && result.valueType.kind !== 'boolean') {
    return failed(errorAt(f.statements[0].body.span, CheckErrorCode.TYPE_MISMATCH, `expected a condition (boolean) but this is ${typeToString(result.valueType)}`));
  }
  return result;
}

/** Checks and compiles a bare expression (or a source holding exactly one definition). */
export function compileExpression(source: string, catalog: Catalog, options: CompileOptions): CompileResult {
  return guarded(() => compileSource(source, catalog, options, false), failed);
}

/**
 * Compiles a boolean expression (a `members(where:)` filter, an audience preview) into a query
 * returning the `member_id` of every member for whom it is true.
 */
export function compileFilter(source: string, catalog: Catalog, options: CompileOptions): CompileResult {
  return guarded((): CompileResult => {
    const result = compileSource(source, catalog, options, true);
    return result.ok ? { ...result, query: filterQuery(result.query) } : result;
  }, failed);
}

/**
 * Validates a source holding definitions or a bare expression, for the GraphQL `validateDsl`:
 * every error, the type, the dependencies and the set-based SQL. Never throws.
 */
export function validateDsl(source: string, catalog: Catalog, options: Partial<CompileOptions> = {}): DslValidation {
  const opts: CompileOptions = { scope: 'all', ...options };
  const invalid = (errors: DslError[]): DslValidation => ({ ok: false, errors, type: null, dependencies: [], sql: null, batchOnly: false });
  return guarded((): DslValidation => {
    const optionError = checkOptions(opts);
    if (optionError) return invalid([optionError]);
    const f = front(source, 'auto');
    if (f.kind === 'errors') return invalid(f.errors);
    if (f.kind === 'expression') {
      const r = compileExpr(f.expr, catalog, opts, false);
      return r.ok ? { ok: true, errors: [], type: typeToString(r.valueType), dependencies: r.dependencies, sql: r.query.text, batchOnly: r.batchOnly } : invalid(r.errors);
    }
    const r = compileStatements(f.statements, catalog, opts);
    if (!r.ok) return invalid(r.errors);
    const one = r.definitions.length === 1 ? r.definitions[0] : undefined;
    return {
      ok: true, errors: [], type: one ? typeToString(one.valueType) : null,
      dependencies: [...new Set(r.definitions.flatMap((d) => d.dependencies))].sort(),
      sql: one ? one.query.text : null, batchOnly: r.definitions.some((d) => d.batchOnly),
    };
  }, (e) => invalid([e]));
}

/**
 * Checks a source holding definitions or a bare expression without compiling it (for checking as
 * one types): the same errors, type, dependencies and batch-only marking as validateDsl, `sql` null.
 */
export function checkDsl(source: string, catalog: Catalog): DslValidation {
  const invalid = (errors: DslError[]): DslValidation => ({ ok: false, errors, type: null, dependencies: [], sql: null, batchOnly: false });
  return guarded((): DslValidation => {
    const f = front(source, 'auto');
    if (f.kind === 'errors') return invalid(f.errors);
    if (f.kind === 'expression') {
      const { checked, errors } = checkExpression(f.expr, catalog);
      return checked ? { ok: true, errors: [], type: typeToString(checked.valueType), dependencies: checked.dependencies, sql: null, batchOnly: checked.batchOnly } : invalid(errors);
    }
    const { checked, errors } = checkStatements(f.statements, catalog);
    if (errors.length > 0) return invalid(errors);
    return {
      ok: true, errors: [], type: checked.length === 1 ? typeToString(checked[0].valueType) : null,
      dependencies: [...new Set(checked.flatMap((c) => c.dependencies))].sort(), sql: null, batchOnly: checked.some((c) => c.batchOnly),
    };
  }, (e) => invalid([e]));
}
