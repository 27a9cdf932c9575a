import type * as A from './ast.js';
import { COLLECTIONS, type CollectionName } from './catalog.js';
import { DATE, ERROR, NUMBER, TIMESTAMP, describe, isOrdered, isTemporal, type CheckType } from './check-types.js';
import { CheckErrorCode } from './check-codes.js';
import type { Context, ExprChecker } from './check-expr.js';
import { didYouMean } from './suggest.js';

export type AggregateFn = 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max' | 'first' | 'last' | 'most_frequent';

/** What an aggregate ranges over: a collection, optionally one event name, and the field or property it reads. */
export interface AggregateSource {
  collection: CollectionName;
  eventName?: string;
  field?: string;
  property?: string;
}

/** What a call turned out to be. */
export type CallInfo =
  | { kind: 'aggregate'; fn: AggregateFn; source: AggregateSource; valueType?: CheckType; where?: A.Expr; within?: A.DurationLiteral }
  | { kind: 'quintile'; descending: boolean }
  | { kind: 'now' | 'days_since' | 'coalesce' }
  | { kind: 'date'; literal: string }
  | { kind: 'timestamp'; literal: string; hasOffset: boolean };

const AGGREGATES = new Set<string>(['count', 'count_distinct', 'sum', 'avg', 'min', 'max', 'first', 'last', 'most_frequent']);
/** Every function name of the language. */
export const FUNCTION_NAMES = [...AGGREGATES, 'now', 'date', 'timestamp', 'days_since', 'coalesce', 'quintile'];

/** Checks a call: arguments, modifiers, and the rules of each function. */
export function checkCall(c: ExprChecker, e: A.Call, ctx: Context, hint?: CheckType): CheckType {
  const fn = e.name.text;
  if (AGGREGATES.has(fn)) return aggregate(c, e, fn as AggregateFn, ctx, hint);
  if (!FUNCTION_NAMES.includes(fn)) {
    return c.report(e.name.span, CheckErrorCode.UNKNOWN_FUNCTION, `unknown function \`${fn}\``, didYouMean(fn, FUNCTION_NAMES));
  }
  const allowed = fn === 'quintile' ? ['desc', 'asc'] : [];
  if (!modifiersOk(c, e, allowed)) return ERROR;
  const expect = (n: number | 'many'): boolean => {
    const ok = n === 'many' ? e.args.length >= 2 : e.args.length === n;
    if (!ok) c.report(e.span, CheckErrorCode.ARGUMENT_COUNT, `${fn}() takes ${n === 'many' ? 'two or more arguments' : n === 0 ? 'no arguments' : 'one argument'}`);
    return ok;
  };
  switch (fn) {
    case 'now':
      if (!expect(0)) return ERROR;
      c.analysis.calls.set(e, { kind: 'now' });
      return TIMESTAMP;
    case 'date':
    case 'timestamp':
      return expect(1) ? literalTime(c, e, fn) : ERROR;
    case 'days_since': {
      if (!expect(1)) return ERROR;
      const t = c.check(e.args[0].value, ctx, TIMESTAMP);
      if (!isTemporal(t) && t.kind !== 'error') return c.report(e.args[0].span, CheckErrorCode.TYPE_MISMATCH, `days_since() needs a date or time but this is ${describe(t)}`);
      c.analysis.calls.set(e, { kind: 'days_since' });
      return NUMBER;
    }
    case 'coalesce':
      if (!expect('many')) return ERROR;
      c.analysis.calls.set(e, { kind: 'coalesce' });
      return c.alternatives(e.args.map((a) => a.value), ctx, hint);
    default:
      return quintile(c, e, ctx, expect(1));
  }
}

function modifiersOk(c: ExprChecker, e: A.Call, allowed: string[]): boolean {
  let ok = true;
  for (const a of e.args) {
    const seen = new Set<string>();
    for (const m of a.modifiers) {
      const group = m.kind === 'asc' ? 'desc' : m.kind;
      if (!allowed.includes(m.kind)) {
        ok = false;
        const where = m.kind === 'desc' || m.kind === 'asc' ? 'only quintile() ranks' : 'only aggregates such as count() and sum() take it';
        c.report(m.span, CheckErrorCode.MODIFIER_NOT_ALLOWED, `\`${m.kind}\` is not allowed in ${e.name.text}(): ${where}`);
      } else if (seen.has(group)) {
        ok = false;
        c.report(m.span, CheckErrorCode.MODIFIER_NOT_ALLOWED, `\`${m.kind}\` is given twice`);
      }
      seen.add(group);
    }
  }
  return ok;
}

function literalTime(c: ExprChecker, e: A.Call, fn: 'date' | 'timestamp'): CheckType {
  const arg = e.args[0].value;
  if (arg.kind !== 'StringLiteral') return c.report(arg.span, CheckErrorCode.INVALID_ARGUMENT, `${fn}() takes a string literal, e.g. ${fn === 'date' ? 'date("2026-06-18")' : 'timestamp("2026-06-18T20:00:00+08:00")'}`);
  c.check(arg, {});
  if (fn === 'date') {
    if (!validDate(arg.value)) return c.report(arg.span, CheckErrorCode.INVALID_DATE, `"${arg.value}" is not a date: write YYYY-MM-DD, e.g. "2026-06-18"`);
    c.analysis.calls.set(e, { kind: 'date', literal: arg.value });
    return DATE;
  }
  const ts = parseTimestamp(arg.value);
  if (!ts) return c.report(arg.span, CheckErrorCode.INVALID_TIMESTAMP, `"${arg.value}" is not a time: write YYYY-MM-DDTHH:MM[:SS][+08:00], e.g. "2026-06-18T20:00:00+08:00"`);
  c.analysis.calls.set(e, { kind: 'timestamp', literal: arg.value, hasOffset: ts.hasOffset });
  return TIMESTAMP;
}

function validDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return y >= 1 && days !== undefined && d >= 1 && d <= days;
}

function parseTimestamp(text: string): { hasOffset: boolean } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/i.exec(text);
  if (!m || !validDate(m[1])) return undefined;
  const [h, mi, s, oh, om] = [m[2], m[3], m[4], m[6], m[7]].map((x) => Number(x ?? 0));
  if (h > 23 || mi > 59 || s > 59 || oh > 14 || om > 59) return undefined;
  return { hasOffset: m[5] !== undefined };
}

function quintile(c: ExprChecker, e: A.Call, ctx: Context, countOk: boolean): CheckType {
  if (ctx.row || ctx.inPopulation) {
    return c.report(e.name.span, CheckErrorCode.NOT_ALLOWED_HERE, ctx.row ? 'quintile() cannot be used inside `where`' : 'quintile() cannot rank a quintile()');
  }
  if (!countOk) return ERROR;
  const t = c.check(e.args[0].value, { ...ctx, inPopulation: true }, NUMBER);
  if (!isOrdered(t) && t.kind !== 'error') return c.report(e.args[0].value.span, CheckErrorCode.TYPE_MISMATCH, `quintile() ranks numbers, dates or times, not ${describe(t)}`);
  c.analysis.usesPopulation = true;
  c.analysis.calls.set(e, { kind: 'quintile', descending: e.args[0].modifiers.some((m) => m.kind === 'desc') });
  return NUMBER;
}

function aggregate(c: ExprChecker, e: A.Call, fn: AggregateFn, ctx: Context, hint?: CheckType): CheckType {
  if (ctx.row) return c.report(e.name.span, CheckErrorCode.NOT_ALLOWED_HERE, `${fn}() cannot be used inside \`where\`, which tests one ${ctx.row.replace(/s$/, '')} at a time`);
  if (e.args.length !== 1) return c.report(e.span, CheckErrorCode.ARGUMENT_COUNT, `${fn}() takes one collection, e.g. ${fn}(orders${fn === 'count' ? '' : '.amount'})`);
  if (!modifiersOk(c, e, ['where', 'within'])) return ERROR;
  const arg = e.args[0];
  const source = resolveSource(c, fn, arg.value);
  if (!source) return ERROR;
  const where = arg.modifiers.find((m) => m.kind === 'where');
  const within = arg.modifiers.find((m) => m.kind === 'within');
  if (where?.kind === 'where') c.condition(where.condition, { row: source.collection });
  if (within?.kind === 'within') c.check(within.duration, ctx);
  c.analysis.dependencies.add(`collection:${source.collection}`);
  if (source.collection === 'items') c.analysis.dependencies.add('collection:orders');

  let valueType: CheckType | undefined;
  const numeric = fn === 'sum' || fn === 'avg' || fn === 'min' || fn === 'max';
  if (source.field) valueType = COLLECTIONS.get(source.collection)!.fields.get(source.field)!.type as CheckType;
  else if (source.property !== undefined) valueType = c.jsonType(arg.value, numeric ? NUMBER : fn === 'count' || fn === 'count_distinct' ? undefined : hint);
  else if (fn !== 'count') return c.report(arg.value.span, CheckErrorCode.INVALID_ARGUMENT, `${fn}() needs a field, e.g. ${fn}(${source.collection}.${source.collection === 'events' ? 'occurred_at' : 'created_at'})`);

  if ((fn === 'sum' || fn === 'avg') && valueType && valueType.kind !== 'number' && valueType.kind !== 'error') {
    return c.report(arg.value.span, CheckErrorCode.TYPE_MISMATCH, `${fn}() adds numbers, not ${describe(valueType)}`);
  }
  if ((fn === 'min' || fn === 'max') && valueType && !isOrdered(valueType) && valueType.kind !== 'error') {
    return c.report(arg.value.span, CheckErrorCode.TYPE_MISMATCH, `${fn}() needs numbers, dates or times, not ${describe(valueType)}; most_frequent() works on strings`);
  }
  if (valueType) c.analysis.types.set(arg.value, valueType);
  c.analysis.calls.set(e, {
    kind: 'aggregate', fn, source, ...(valueType ? { valueType } : {}),
    ...(where?.kind === 'where' ? { where: where.condition } : {}), ...(within?.kind === 'within' ? { within: within.duration } : {}),
  });
  if (fn === 'count' || fn === 'count_distinct' || fn === 'sum' || fn === 'avg') return NUMBER;
  return valueType ?? ERROR;
}

function resolveSource(c: ExprChecker, fn: string, value: A.Expr): AggregateSource | undefined {
  const head = value.kind === 'Reference' ? value.segments[0] : undefined;
  if (value.kind !== 'Reference' || !head || !COLLECTIONS.has(head.text as CollectionName)) {
    c.report(value.span, CheckErrorCode.NOT_A_COLLECTION, `${fn}() ranges over a collection: orders, items or events, e.g. ${fn}(orders${fn === 'count' ? '' : '.amount'})`,
      head ? didYouMean(head.text, COLLECTIONS.keys()) : undefined);
    return undefined;
  }
  const collection = head.text as CollectionName;
  const fields = COLLECTIONS.get(collection)!.fields;
  const rest = value.segments.slice(1);
  const source: AggregateSource = { collection };
  let i = 0;
  if (collection === 'events' && rest[0] && (rest[0].quoted || !fields.has(rest[0].text))) {
    c.noNul(rest[0].text, rest[0].span);
    source.eventName = rest[0].text;
    i = 1;
  }
  const next = rest[i];
  if (!next) return source;
  if (next.text === 'properties' && collection === 'events' && !next.quoted) {
    const key = rest[i + 1];
    if (!key || rest.length > i + 2) {
      c.report(value.span, CheckErrorCode.INVALID_PATH, 'write `events.properties.key` or `events.NAME.properties.key`');
      return undefined;
    }
    c.noNul(key.text, key.span);
    source.property = key.text;
    return source;
  }
  if (next.quoted || !fields.has(next.text)) {
    c.report(next.span, CheckErrorCode.UNKNOWN_FIELD, `${collection} have no field \`${next.text}\``, didYouMean(next.text, fields.keys()));
    return undefined;
  }
  if (rest.length > i + 1) {
    c.report(value.span, CheckErrorCode.INVALID_PATH, `\`${next.text}\` has no parts: write \`${value.segments.slice(0, i + 2).map((s) => s.text).join('.')}\``);
    return undefined;
  }
  source.field = next.text;
  return source;
}
