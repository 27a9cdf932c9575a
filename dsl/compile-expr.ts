import type * as A from './ast.js';
import { COLLECTIONS, type CollectionName } from './catalog.js';
import type { AggregateSource, CallInfo } from './check-call.js';
import type { Analysis } from './check-expr.js';
import { isStringish, type CheckType } from './check-types.js';
import { rowColumn, rowOrder, timeColumn, type Sources } from './compile-scan.js';
import type { SqlWriter } from './sql.js';

const NON_NULL_MEMBER_FIELDS = new Set(['id', 'gender', 'registered_at', 'level', 'points']);
const NON_NULL_ROW_FIELDS: Record<CollectionName, Set<string>> = {
  orders: new Set(['id', 'channel', 'channel_order_id', 'status', 'amount', 'discount', 'created_at']),
  items: new Set(['sku', 'product_name', 'category', 'quantity', 'price', 'channel', 'status', 'created_at']),
  events: new Set(['name', 'occurred_at']),
};
const MEMBER_COLUMN: Record<string, string> = { id: 'member_id', id_card: 'id_card_sha256' };
const COMPARISON_SQL: Record<A.ComparisonOp, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/**
 * Expression → SQL text. Two-valued logic: every condition compiles to SQL that is never null
 * (a comparison with a null side is `coalesce(..., false)`), so `not` turns "unknown" into true.
 * Values reach the text only through the writer's `param`.
 */
export class ExprCompiler {
  constructor(private readonly w: SqlWriter, private readonly analysis: Analysis, private readonly sources: Sources) {}

  private type(e: A.Expr): CheckType {
    return this.analysis.types.get(e) ?? { kind: 'error' };
  }

  /** The SQL of a condition: never null. */
  condition(e: A.Expr, row?: CollectionName): string {
    const sql = this.expr(e, row);
    return this.nullable(e) ? `coalesce(${sql}, false)` : sql;
  }

  /** Whether the SQL of `e` may be null. */
  nullable(e: A.Expr): boolean {
    switch (e.kind) {
      case 'NumberLiteral': case 'StringLiteral': case 'BooleanLiteral': case 'DurationLiteral':
      case 'Not': case 'Logical': case 'Comparison': case 'InList': case 'Between': case 'IsNull': case 'StringTest':
        return false;
      case 'Negate':
        return this.nullable(e.operand);
      case 'Arithmetic':
        return this.nullable(e.first) || e.rest.some((r) => r.op === '/' || this.nullable(r.operand));
      case 'Reference': {
        const r = this.analysis.refs.get(e);
        return !(r?.kind === 'audience' || (r?.kind === 'member' && NON_NULL_MEMBER_FIELDS.has(r.field))
          || (r?.kind === 'row' && NON_NULL_ROW_FIELDS[r.collection].has(r.field)));
      }
      case 'Case':
        return !e.otherwise || e.branches.some((b) => this.nullable(b.then)) || this.nullable(e.otherwise);
      case 'Call': {
        const c = this.analysis.calls.get(e);
        if (!c) return true;
        if (c.kind === 'aggregate') return !['count', 'count_distinct', 'sum'].includes(c.fn);
        if (c.kind === 'coalesce') return e.args.every((a) => this.nullable(a.value));
        return c.kind === 'days_since';
      }
    }
  }

  /** The SQL of `e`; `row` is the collection whose row a `where` condition tests. */
  expr(e: A.Expr, row?: CollectionName): string {
    const w = this.w;
    switch (e.kind) {
      case 'NumberLiteral': return w.param(e.text, 'numeric');
      case 'StringLiteral': return w.param(e.value, 'text');
      case 'BooleanLiteral': return w.param(e.value, 'boolean');
      case 'DurationLiteral': return this.interval(e);
      case 'Reference': return this.reference(e);
      case 'Negate': return `(- ${this.expr(e.operand, row)})`;
      case 'Not': return `(not ${this.condition(e.operand, row)})`;
      case 'Logical': return `(${e.operands.map((o) => this.condition(o, row)).join(` ${e.op} `)})`;
      case 'Arithmetic': return this.arithmetic(e, row);
      case 'Comparison': {
        const sql = `${this.operand(e.left, e.right, row)} ${COMPARISON_SQL[e.op]} ${this.operand(e.right, e.left, row)}`;
        return this.nullable(e.left) || this.nullable(e.right) ? `coalesce(${sql}, false)` : sql;
      }
      case 'InList': {
        const items = e.items.map((i) => this.operand(i, e.operand, row));
        const sql = `${this.operand(e.operand, e.items[0], row)} in (${items.join(', ')})`;
        const safe = this.nullable(e.operand) || e.items.some((i) => this.nullable(i)) ? `coalesce(${sql}, false)` : sql;
        return e.negated ? `(not ${safe})` : safe;
      }
      case 'Between': {
        const sql = `coalesce(${this.operand(e.operand, e.low, row)} between ${this.operand(e.low, e.operand, row)} and ${this.operand(e.high, e.operand, row)}, false)`;
        return e.negated ? `(not ${sql})` : sql;
      }
      case 'IsNull': return `(${this.expr(e.operand, row)} is ${e.negated ? 'not ' : ''}null)`;
      case 'StringTest': {
        const [s, p] = [this.expr(e.operand, row), this.expr(e.pattern, row)];
        // strpos and starts_with compare literally: no LIKE wildcards to escape
        return `coalesce(${e.op === 'contains' ? `strpos(${s}, ${p}) > 0` : `starts_with(${s}, ${p})`}, false)`;
      }
      case 'Case': {
        const target = this.type(e);
        const branches = e.branches.map((b) => `when ${this.condition(b.when, row)} then ${this.coerce(b.then, target, row)}`);
        const otherwise = e.otherwise ? ` else ${this.coerce(e.otherwise, target, row)}` : '';
        return `(case ${branches.join(' ')}${otherwise} end)`;
      }
      case 'Call': return this.call(e, row);
    }
  }

  /** `e` as a timestamp when it is a date compared with or joined to a timestamp. */
  private operand(e: A.Expr, partner: A.Expr, row?: CollectionName): string {
    return this.coerce(e, this.type(partner).kind === 'timestamp' ? this.type(partner) : this.type(e), row);
  }

  /** The SQL of `e`, turned from a date into a timestamp (midnight in the time zone) when `target` is a timestamp. */
  coerce(e: A.Expr, target: CheckType, row?: CollectionName): string {
    const sql = this.expr(e, row);
    return this.type(e).kind === 'date' && target.kind === 'timestamp' ? `(${sql}::timestamp at time zone ${this.w.timeZone()})` : sql;
  }

  private interval(d: A.DurationLiteral): string {
    const unit = { hours: "interval '1 hour'", days: "interval '24 hours'", weeks: "interval '168 hours'", months: "interval '1 month'", years: "interval '12 months'" }[d.unit];
    return `${this.w.param(d.amount, 'int')} * ${unit}`;
  }

  /** `time op duration`: hours, days and weeks are exact hours; months and years are calendar steps in the time zone. */
  shift(time: string, timeKind: 'date' | 'timestamp', op: '+' | '-', d: A.DurationLiteral): string {
    if (timeKind === 'date') return `(${time} ${op} ${this.interval(d)})::date`;
    if (d.unit !== 'months' && d.unit !== 'years') return `(${time} ${op} ${this.interval(d)})`;
    const zone = this.w.timeZone();
    return `((${time} at time zone ${zone}) ${op} ${this.interval(d)}) at time zone ${zone}`;
  }

  private arithmetic(e: A.Arithmetic, row?: CollectionName): string {
    const first = this.type(e.first);
    if (first.kind === 'date' || first.kind === 'timestamp') {
      let sql = this.expr(e.first, row);
      for (const r of e.rest) sql = this.shift(sql, first.kind, r.op as '+' | '-', r.operand as A.DurationLiteral);
      return sql;
    }
    // division by zero gives null rather than an error
    const parts = e.rest.map((r) => (r.op === '/' ? ` / nullif(${this.expr(r.operand, row)}, 0)` : ` ${r.op} ${this.expr(r.operand, row)}`));
    return `(${this.expr(e.first, row)}${parts.join('')})`;
  }

  private reference(e: A.Reference): string {
    const r = this.analysis.refs.get(e)!;
    const w = this.w;
    switch (r.kind) {
      case 'member': return this.memberField(r.field);
      case 'attribute': return this.json(`${w.column('members', 'm', 'attributes')} -> ${w.param(r.key, 'text')}`, this.type(e));
      case 'property': return this.json(`${w.column('events', 'e', 'properties')} -> ${w.param(r.key, 'text')}`, this.type(e));
      case 'row': return rowColumn(w, r.collection, r.field);
      case 'audience': {
        const am = (c: string) => w.column('audience_members', 'am', c);
        return `exists (select 1 from ${w.table('audience_members')} am where ${am('tenant_id')} = m.tenant_id and ${am('member_id')} = m.member_id`
          + ` and ${am('audience_name')} = ${w.param(r.name, 'text')})`;
      }
      case 'tag': {
        const value = w.column('tag_values', this.sources.tag(r.name), 'value');
        return this.json(value, r.type);
      }
    }
  }

  /** A jsonb value read as `type`: a JSON value of another type reads as null; with no type, any scalar as text. */
  private json(value: string, type: CheckType): string {
    switch (type.kind) {
      case 'number': return `(case when jsonb_typeof(${value}) = 'number' then (${value})::numeric end)`;
      case 'boolean': return `(case when jsonb_typeof(${value}) = 'boolean' then (${value})::boolean end)`;
      case 'date': return `(case when ${value} #>> '{}' ~ '^\\d{4}-\\d{2}-\\d{2}$' then (${value} #>> '{}')::date end)`;
      case 'timestamp': return `(case when ${value} #>> '{}' ~ '^\\d{4}-\\d{2}-\\d{2}' then (${value} #>> '{}')::timestamptz end)`;
      case 'unknown': return `(${value} #>> '{}')`;
      default: return `(case when jsonb_typeof(${value}) = 'string' then ${value} #>> '{}' end)`;
    }
  }

  private memberField(field: string): string {
    const w = this.w;
    const col = (c: string) => w.column('members', 'm', c);
    if (field !== 'age' && field !== 'days_until_birthday') return col(MEMBER_COLUMN[field] ?? field);
    const today = `(${w.asOf} at time zone ${w.timeZone()})::date`;
    const b = col('birthday');
    if (field === 'age') return `extract(year from age(${today}, ${b}))`;
    // the birthday in a given year; 29 February falls on 28 February in other years
    const years = `extract(year from ${today})::int - extract(year from ${b})::int`;
    const next = (extra: string) => `(${b} + make_interval(years => ${years}${extra}))::date`;
    return `(case when ${next('')} >= ${today} then ${next('')} - ${today} else ${next(' + 1')} - ${today} end)`;
  }

  private call(e: A.Call, row?: CollectionName): string {
    const c = this.analysis.calls.get(e)!;
    const w = this.w;
    switch (c.kind) {
      case 'now': return w.asOf;
      case 'date': return w.param(c.literal, 'date');
      case 'timestamp': return c.hasOffset ? w.param(c.literal, 'timestamptz') : `(${w.param(c.literal, 'timestamp')} at time zone ${w.timeZone()})`;
      case 'days_since': return `floor(extract(epoch from (${w.asOf} - ${this.coerce(e.args[0].value, { kind: 'timestamp' }, row)})) / 86400)`;
      case 'coalesce': return `coalesce(${e.args.map((a) => this.coerce(a.value, this.type(e), row)).join(', ')})`;
      case 'quintile': {
        const v = this.expr(e.args[0].value, row);
        // S = members with a strictly smaller (desc: greater) value = rank - 1; N = every member
        return `(case when ${v} is null then 1 else 1 + (5 * (rank() over (order by ${v} ${c.descending ? 'desc' : 'asc'} nulls last) - 1)) / count(*) over () end)`;
      }
      case 'aggregate': return this.aggregate(c);
    }
  }

  private aggregate(c: Extract<CallInfo, { kind: 'aggregate' }>): string {
    const w = this.w;
    const { collection } = c.source;
    const filters: string[] = [];
    let eventName: string | undefined;
    if (c.source.eventName !== undefined) {
      eventName = w.param(c.source.eventName, 'text');
      filters.push(`${w.column('events', 'e', 'name')} = ${eventName}`);
    }
    let lower: string | undefined;
    if (c.within) {
      lower = this.shift(w.asOf, 'timestamp', '-', c.within);
      filters.push(`${timeColumn(w, collection)} > ${lower}`);
    }
    if (c.where) filters.push(this.condition(c.where, collection));
    const value = this.sourceValue(c.source, c.valueType);
    let sql: string;
    switch (c.fn) {
      case 'count': sql = `count(${value ?? '*'})`; break;
      case 'count_distinct': sql = `count(distinct ${value})`; break;
      case 'first': case 'last':
        if (c.source.field === COLLECTIONS.get(collection)!.timeField) {
          sql = `${c.fn === 'first' ? 'min' : 'max'}(${value})`;
          break;
        }
        filters.push(`${value} is not null`);
        sql = `(array_agg(${value} order by ${rowOrder(w, collection, c.fn === 'last')})${filterClause(filters)})[1]`;
        return this.sources.aggregate(collection, sql, lower, eventName);
      case 'most_frequent':
        filters.push(`${value} is not null`);
        // ties go to the first value in sort order: mode() keeps the first of equally frequent runs
        sql = `mode() within group (order by ${value}${textual(c.valueType) ? ' collate "C"' : ''})`;
        break;
      default: sql = `${c.fn}(${value})`;
    }
    const column = this.sources.aggregate(collection, `${sql}${filterClause(filters)}`, lower, eventName);
    return c.fn === 'count' || c.fn === 'count_distinct' || c.fn === 'sum' ? `coalesce(${column}, 0)` : column;
  }

  private sourceValue(s: AggregateSource, type: CheckType | undefined): string | undefined {
    if (s.field) return rowColumn(this.w, s.collection, s.field);
    if (s.property !== undefined) return this.json(`${this.w.column('events', 'e', 'properties')} -> ${this.w.param(s.property, 'text')}`, type ?? { kind: 'unknown' });
    return undefined;
  }
}

function textual(t: CheckType | undefined): boolean {
  return t === undefined || isStringish(t) || t.kind === 'unknown';
}

function filterClause(filters: string[]): string {
  return filters.length > 0 ? ` filter (where ${filters.join(' and ')})` : '';
}
