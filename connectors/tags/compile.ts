/**
 * The one door from the materialisation code into dsl/: checking a definition's source and
 * compiling a stored definition for a scope. Everything else in connectors/tags, audiences and
 * refresh works with the plain shapes below.
 */
import { bindQuery as bindDsl, compileDefinition, parseDefinitions, type Catalog } from '../../dsl/index.js';
import { typeToString, type ValueType } from '../../dsl/catalog.js';
import type { DslError } from '../../dsl/errors.js';

/** A parameterised query in node-postgres's shape. */
export interface CompiledQuery {
  text: string;
  values: readonly unknown[];
}

/** Which members a compiled query evaluates: all of the tenant's, or those in $3. */
export type Scope = 'all' | 'members';

/** A checked tag or audience statement. */
export interface CheckedDefinition {
  kind: 'tag' | 'audience';
  name: string;
  /** The result type as written in the language (`boolean`, `enum("a", "b")`). */
  valueType: string;
  label: string | null;
  category: string | null;
  description: string | null;
  /** 'field:phone', 'collection:orders', 'tag:x', 'audience:y' */
  dependencies: string[];
  batchOnly: boolean;
  /** The set-based query (scope 'all'). */
  query: CompiledQuery;
}

export type CheckResult = { ok: true; definition: CheckedDefinition } | { ok: false; errors: DslError[] };

function typeText(t: ValueType | string): string {
  return typeof t === 'string' ? t : typeToString(t);
}

function pos(message: string): DslError {
  return { code: 'INVALID_DEFINITION', message, line: 1, column: 1, length: 0 };
}

/**
 * Parses and checks `source`, which must hold exactly one statement of `kind`. Returns the
 * positioned errors of the first failing stage, or the definition's metadata.
 */
export function checkDefinition(source: string, kind: 'tag' | 'audience', catalog: Catalog): CheckResult {
  const parsed = parseDefinitions(source);
  if (parsed.errors.length > 0) return { ok: false, errors: [...parsed.errors] };
  if (parsed.statements.length !== 1) {
    return { ok: false, errors: [pos(`expected exactly one ${kind} statement, found ${parsed.statements.length}`)] };
  }
  const statement = parsed.statements[0];
  const isTag = statement.kind === 'TagStatement';
  if ((kind === 'tag') !== isTag) {
    const s = statement.name.span;
    return { ok: false, errors: [{ code: 'INVALID_DEFINITION', message: `expected a ${kind} statement, found ${isTag ? 'a tag' : 'an audience'}`,
      line: s.line, column: s.column, length: s.length }] };
  }
  const compiled = compileDefinition(statement, catalog, { scope: 'all' });
  if (!compiled.ok) return { ok: false, errors: [...compiled.errors] };
  return {
    ok: true,
    definition: {
      kind,
      name: statement.name.text,
      valueType: isTag ? typeText(compiled.valueType) : 'boolean',
      label: statement.label?.value ?? null,
      category: statement.kind === 'TagStatement' ? statement.category?.value ?? null : null,
      description: statement.description?.value ?? null,
      dependencies: [...compiled.dependencies].sort(),
      batchOnly: compiled.batchOnly,
      query: compiled.query,
    },
  };
}

/**
 * Compiles a stored (already checked) definition for `scope`. Throws when it no longer compiles
 * against today's catalog (a dependency was removed or changed type): the caller reports the
 * definition as failed.
 */
export function compileStored(source: string, catalog: Catalog, scope: Scope): CompiledQuery {
  const parsed = parseDefinitions(source);
  if (parsed.errors.length > 0 || parsed.statements.length !== 1) {
    throw new Error(`stored definition no longer parses: ${parsed.errors.map((e) => e.message).join('; ')}`);
  }
  const compiled = compileDefinition(parsed.statements[0], catalog, { scope });
  if (!compiled.ok) throw new Error(`stored definition no longer compiles: ${compiled.errors.map((e) => e.message).join('; ')}`);
  return compiled.query;
}

/**
 * The parameter array of a compiled query: $1 tenant, $2 asOf, $3 member ids (scope 'members'),
 * then the literals. `values` holds placeholders in the leading positions (dsl/ convention).
 */
export function bindQuery(query: CompiledQuery, scope: Scope, tenantId: string, asOf: Date, memberIds?: readonly string[]): unknown[] {
  const fixed = scope === 'members' ? 3 : 2;
  if (query.values.length < fixed) throw new Error(`a ${scope} query needs ${fixed} leading parameters`);
  return [...bindDsl(query, { tenantId, asOf, memberIds: scope === 'members' ? memberIds ?? [] : undefined }).values];
}

/** The number of parameters a query uses: a wrapping statement's own parameters start after it. */
export function parameterCount(query: CompiledQuery): number {
  return query.values.length;
}
