import type * as A from './ast.js';
import type { ValueType } from './catalog.js';
import type { Analysis } from './check-expr.js';
import { ExprCompiler } from './compile-expr.js';
import { Sources } from './compile-scan.js';
import { errorAt, type DslError } from './errors.js';
import { SqlWriter, type CompiledQuery } from './sql.js';

export type { CompiledQuery } from './sql.js';

/** Error codes of the compiler stage. */
export enum CompileErrorCode {
  INVALID_TIME_ZONE = 'INVALID_TIME_ZONE',
  TOO_MANY_PARAMETERS = 'TOO_MANY_PARAMETERS',
  /** A defect of this library, never the user's: the public API returns it instead of throwing. */
  INTERNAL_ERROR = 'INTERNAL_ERROR',
}

export interface CompileOptions {
  /**
   * `all`: one row per member of the tenant (refreshes, counts, previews). `members`: one row per
   * member id in `$3` (incremental refresh).
   */
  scope: 'all' | 'members';
  /** IANA zone for calendar computations (dates, ages, birthdays, month windows). Default `UTC`. */
  timeZone?: string;
}

/** Postgres accepts at most this many bind parameters in one statement. */
const MAX_PARAMETERS = 65_535;

const SQL_TYPES: Record<ValueType['kind'], string> = {
  boolean: 'boolean', number: 'numeric', string: 'text', enum: 'text', date: 'date', timestamp: 'timestamptz',
};

/** Canonical IANA zone names; other spellings Intl accepts (aliases) are checked one by one. */
const ZONES = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);

/** Checks compile options; an error if the time zone is not a zone name. */
export function checkOptions(options: CompileOptions): DslError | undefined {
  const zone = options.timeZone ?? 'UTC';
  let valid = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone);
  if (valid && !ZONES.has(zone)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      valid = false;
    }
  }
  return valid ? undefined : errorAt({ offset: 0, length: 0, line: 1, column: 1 }, CompileErrorCode.INVALID_TIME_ZONE, `"${zone}" is not a time zone name such as "Asia/Shanghai"`);
}

/**
 * Compiles a checked expression into one set-based query returning `(member_id bigint, value)`, one
 * row per member of the tenant or per requested member, members without a value included (null).
 * `condition` compiles it as an audience: never null. Parameters: `$1` tenant, `$2` asOf, `$3`
 * member ids (scope `members`), then literals. Throws only on a defect of this library.
 */
export function compileChecked(expr: A.Expr, analysis: Analysis, valueType: ValueType, options: CompileOptions, condition: boolean): CompiledQuery {
  const members = options.scope === 'members';
  // a population function ranks every member: compute for all, then keep the requested ones
  const population = analysis.usesPopulation;
  const w = new SqlWriter(members, options.timeZone ?? 'UTC');
  const sources = new Sources(w, members && !population);
  const c = new ExprCompiler(w, analysis, sources);
  const value = condition ? c.condition(expr) : c.coerce(expr, valueType);
  const scans = sources.scanDefinitions();
  const joins = sources.joins();
  const where = [`${w.column('members', 'm', 'tenant_id')} = ${w.tenant}`];
  if (members && !population) where.push(`${w.column('members', 'm', 'member_id')} = any(${w.members})`);
  if (!w.asOfUsed) where.push(`${w.asOf} is not null`);
  let text = [...(scans.length > 0 ? [`with ${scans.join(',\n')}`] : []),
    `select ${w.column('members', 'm', 'member_id')}, (${value})::${SQL_TYPES[valueType.kind]} as value`,
    `from ${w.table('members')} m`, ...joins, `where ${where.join(' and ')}`].join('\n');
  if (members && population) text = `select q.member_id, q.value from (${text}) q\nwhere q.member_id = any(${w.members})`;
  if (w.values.length > MAX_PARAMETERS) throw new TooManyParameters();
  return w.finish(text);
}

/** Raised when a (very long) source would need more bind parameters than Postgres takes. */
export class TooManyParameters extends Error {}

/** Wraps a boolean query into one that returns the `member_id` of the members for whom it is true. */
export function filterQuery(query: CompiledQuery): CompiledQuery {
  return Object.freeze({ text: `select q.member_id from (${query.text}) q where q.value`, values: query.values });
}
