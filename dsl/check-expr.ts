import type * as A from './ast.js';
import { COLLECTIONS, MEMBER_FIELDS, type CollectionName, type ValueType } from './catalog.js';
import {
  BOOLEAN, DURATION, ERROR, NUMBER, STRING, UNKNOWN, describe, isOrdered, isStringish, isTemporal, joinTypes, type CheckType,
} from './check-types.js';
import { checkCall, type CallInfo } from './check-call.js';
import { CheckErrorCode } from './check-codes.js';
import { errorAt, type DslError } from './errors.js';
import { didYouMean } from './suggest.js';

/** What a name in an expression turned out to be. */
export type Resolution =
  | { kind: 'member'; field: string }
  | { kind: 'attribute'; key: string }
  | { kind: 'tag'; name: string; type: ValueType }
  | { kind: 'audience'; name: string }
  | { kind: 'row'; collection: CollectionName; field: string }
  | { kind: 'property'; key: string };

/** Where an expression sits: inside an aggregate's `where` (`row`), inside `quintile`, under `is null`. */
export interface Context {
  row?: CollectionName;
  inPopulation?: boolean;
  presence?: boolean;
}

/** The names the checker may resolve `tag.` and `audience.` against. */
export interface Names {
  tagType(name: string): ValueType | undefined;
  tagNames(): Iterable<string>;
  hasAudience(name: string): boolean;
  audienceNames(): Iterable<string>;
}

/** Everything the compiler needs to know about a checked expression. */
export interface Analysis {
  types: Map<A.Expr, CheckType>;
  refs: Map<A.Reference, Resolution>;
  calls: Map<A.Call, CallInfo>;
  dependencies: Set<string>;
  /** `tag.` and `audience.` references with their spans, for cycle detection. */
  references: { node: string; span: A.Span }[];
  usesPopulation: boolean;
}

const MAX_NUMBER_DIGITS = 1000;

/** Infers and checks the types of one expression, resolving names. Errors go to `errors`. */
export class ExprChecker {
  readonly analysis: Analysis = {
    types: new Map(), refs: new Map(), calls: new Map(), dependencies: new Set(), references: [], usesPopulation: false,
  };
  private readonly seen = new Set<string>();

  constructor(readonly names: Names, private readonly errors: DslError[]) {}

  /** Reports an error once (re-checking a subtree with a type hint must not repeat it). */
  report(span: A.Span, code: CheckErrorCode, message: string, suggestion?: string): CheckType {
    const key = `${code}:${span.offset}:${span.length}`;
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.errors.push(errorAt(span, code, suggestion ? `${message}; did you mean \`${suggestion}\`?` : message, { suggestion }));
    }
    return ERROR;
  }

  /** The type of `e`; `hint` is the type its use expects, which gives jsonb attributes their type. */
  check(e: A.Expr, ctx: Context, hint?: CheckType): CheckType {
    const t = this.infer(e, ctx, hint);
    this.analysis.types.set(e, t);
    return t;
  }

  /** Checks a condition: a boolean expression. */
  condition(e: A.Expr, ctx: Context): CheckType {
    const t = this.check(e, ctx, BOOLEAN);
    if (t.kind !== 'boolean' && t.kind !== 'error') {
      return this.report(e.span, CheckErrorCode.TYPE_MISMATCH, `expected a condition (boolean) but this is ${describe(t)}`);
    }
    return t;
  }

  /** Checks `e` and, when no use gave it a type, checks it again with the type of its partner. */
  withPartner(e: A.Expr, ctx: Context, partner: CheckType): CheckType {
    const t = this.check(e, ctx, hintOf(partner));
    return t.kind === 'unknown' ? this.check(e, ctx, hintOf(partner) ?? STRING) : t;
  }

  private infer(e: A.Expr, ctx: Context, hint?: CheckType): CheckType {
    switch (e.kind) {
      case 'NumberLiteral':
        if (e.text.replace('.', '').length > MAX_NUMBER_DIGITS) {
          return this.report(e.span, CheckErrorCode.INVALID_NUMBER, `a number may have at most ${MAX_NUMBER_DIGITS} digits`);
        }
        return NUMBER;
      case 'StringLiteral':
        this.noNul(e.value, e.span);
        return { kind: 'literal', values: [e.value] };
      case 'BooleanLiteral':
        return BOOLEAN;
      case 'DurationLiteral':
        return this.duration(e);
      case 'Reference':
        return this.reference(e, ctx, hint);
      case 'Negate':
        return this.numeric(e.operand, ctx, '-');
      case 'Not':
        this.condition(e.operand, ctx);
        return BOOLEAN;
      case 'Logical':
        for (const o of e.operands) this.condition(o, ctx);
        return BOOLEAN;
      case 'Arithmetic':
        return this.arithmetic(e, ctx);
      case 'Comparison': {
        const left = this.check(e.left, ctx);
        const right = this.withPartner(e.right, ctx, left);
        const leftFinal = left.kind === 'unknown' ? this.withPartner(e.left, ctx, right) : left;
        this.comparable(e.left, leftFinal, e.right, right, e.op, e.opSpan);
        return BOOLEAN;
      }
      case 'InList': {
        let subject = this.check(e.operand, ctx);
        const items = e.items.map((i) => this.withPartner(i, ctx, subject));
        if (subject.kind === 'unknown') subject = this.withPartner(e.operand, ctx, items.find((t) => t.kind !== 'unknown') ?? STRING);
        e.items.forEach((item, i) => this.comparable(e.operand, subject, item, items[i], '=', item.span));
        return BOOLEAN;
      }
      case 'Between': {
        let subject = this.check(e.operand, ctx);
        const low = this.withPartner(e.low, ctx, subject.kind === 'unknown' ? NUMBER : subject);
        const high = this.withPartner(e.high, ctx, subject.kind === 'unknown' ? low : subject);
        if (subject.kind === 'unknown') subject = this.withPartner(e.operand, ctx, low);
        this.comparable(e.operand, subject, e.low, low, '<=', e.low.span);
        this.comparable(e.operand, subject, e.high, high, '<=', e.high.span);
        return BOOLEAN;
      }
      case 'IsNull': {
        const t = this.check(e.operand, { ...ctx, presence: true });
        if (t.kind === 'duration') this.report(e.operand.span, CheckErrorCode.TYPE_MISMATCH, 'a duration is never null');
        return BOOLEAN;
      }
      case 'StringTest': {
        const what = e.op === 'contains' ? '`contains`' : '`starts with`';
        for (const part of [e.operand, e.pattern]) {
          const t = this.check(part, ctx, STRING);
          if (!isStringish(t) && t.kind !== 'error') this.report(part.span, CheckErrorCode.TYPE_MISMATCH, `${what} needs strings but this is ${describe(t)}`);
        }
        return BOOLEAN;
      }
      case 'Case':
        for (const b of e.branches) this.condition(b.when, ctx);
        return this.alternatives([...e.branches.map((b) => b.then), ...(e.otherwise ? [e.otherwise] : [])], ctx, hint);
      case 'Call':
        return checkCall(this, e, ctx, hint);
    }
  }

  /** The joined type of values of which one is chosen (`case` results, `coalesce` arguments). */
  alternatives(values: A.Expr[], ctx: Context, hint?: CheckType): CheckType {
    const types = values.map((v) => this.check(v, ctx, hint));
    let joined: CheckType = UNKNOWN;
    values.forEach((v, i) => {
      const next = joinTypes(joined, types[i]);
      if (next === undefined) {
        joined = this.report(v.span, CheckErrorCode.TYPE_MISMATCH, `this is ${describe(types[i])} but an earlier alternative is ${describe(joined)}`);
      } else {
        joined = next;
      }
    });
    if (joined.kind !== 'unknown' && joined.kind !== 'error') values.forEach((v, i) => types[i].kind === 'unknown' && this.check(v, ctx, hintOf(joined)));
    return joined;
  }

  numeric(e: A.Expr, ctx: Context, op: string): CheckType {
    const t = this.check(e, ctx, NUMBER);
    if (t.kind === 'number' || t.kind === 'error') return t;
    return this.report(e.span, CheckErrorCode.TYPE_MISMATCH, `\`${op}\` needs numbers but this is ${describe(t)}`);
  }

  noNul(text: string, span: A.Span): void {
    if (text.includes('\u0000')) this.report(span, CheckErrorCode.STRING_CONTAINS_NUL, 'a string may not contain the NUL character (U+0000)');
  }

  private duration(e: A.DurationLiteral): CheckType {
    const limits: Record<A.DurationUnit, number> = { hours: 876_000, days: 36_500, weeks: 5_200, months: 1_200, years: 100 };
    const amount = Number(e.amount);
    if (e.amount.includes('.') || amount < 1 || amount > limits[e.unit]) {
      return this.report(e.span, CheckErrorCode.INVALID_DURATION, `a duration is a whole number of ${e.unit} from 1 to ${limits[e.unit]} (at most 100 years)`);
    }
    return DURATION;
  }

  private arithmetic(e: A.Arithmetic, ctx: Context): CheckType {
    let acc = this.check(e.first, ctx);
    if (acc.kind === 'unknown') acc = this.check(e.first, ctx, NUMBER);
    for (const { op, operand, span } of e.rest) {
      const right = this.check(operand, ctx, isTemporal(acc) ? DURATION : NUMBER);
      if (acc.kind === 'error' || right.kind === 'error') acc = ERROR;
      else if (acc.kind === 'number' && right.kind === 'number') acc = NUMBER;
      else if (isTemporal(acc) && right.kind === 'duration' && (op === '+' || op === '-')) continue;
      else {
        acc = this.report(span, CheckErrorCode.TYPE_MISMATCH, `cannot apply \`${op}\` to ${describe(acc)} and ${describe(right)}: `
          + '`+ - * /` take numbers; a date or time takes `+` or `-` a duration (`now() - 30 days`)');
      }
    }
    return acc;
  }

  /** Checks that two sides may be compared with `op`, and that string literals compared with an enum are its values. */
  comparable(leftNode: A.Expr, left: CheckType, rightNode: A.Expr, right: CheckType, op: A.ComparisonOp, span: A.Span): void {
    if (left.kind === 'error' || right.kind === 'error') return;
    const ordering = op !== '=' && op !== '!=';
    const same = (left.kind === 'number' && right.kind === 'number') || (isStringish(left) && isStringish(right))
      || (isTemporal(left) && isTemporal(right)) || (left.kind === 'boolean' && right.kind === 'boolean');
    if (!same) {
      this.report(span, CheckErrorCode.TYPE_MISMATCH, `cannot compare ${describe(left)} with ${describe(right)}`);
      return;
    }
    if (ordering && !isOrdered(left)) {
      this.report(span, CheckErrorCode.TYPE_MISMATCH, `\`${op}\` orders numbers, dates and times, not ${describe(left)} values; use = != in contains or starts with`);
      return;
    }
    if (left.kind === 'enum') this.enumValues(rightNode, left.values);
    if (right.kind === 'enum') this.enumValues(leftNode, right.values);
  }

  /** Reports each string literal `e` may yield that is not one of `values`. */
  enumValues(e: A.Expr, values: string[]): void {
    for (const origin of literalOrigins(e)) {
      if (!values.includes(origin.value)) {
        const near = didYouMean(origin.value, values);
        this.report(origin.span, CheckErrorCode.ENUM_VALUE_UNKNOWN,
          `"${origin.value}" is not one of ${values.map((v) => `"${v}"`).join(', ')}`, near === undefined ? undefined : near);
      }
    }
  }

  private reference(e: A.Reference, ctx: Context, hint?: CheckType): CheckType {
    const [head, ...rest] = e.segments;
    if (head.text === 'tag' || head.text === 'audience') return this.catalogReference(e, head.text, rest, ctx);
    if (ctx.row) return this.rowReference(e, ctx.row, hint);
    if (COLLECTIONS.has(head.text as CollectionName)) {
      return this.report(e.span, CheckErrorCode.COLLECTION_OUTSIDE_AGGREGATE,
        `\`${head.text}\` is a collection: use it inside an aggregate, e.g. count(${head.text})`);
    }
    if (head.text === 'attributes') {
      if (rest.length !== 1) return this.report(e.span, CheckErrorCode.INVALID_PATH, 'write `attributes.key` or `attributes["key"]`');
      this.noNul(rest[0].text, rest[0].span);
      this.analysis.refs.set(e, { kind: 'attribute', key: rest[0].text });
      this.analysis.dependencies.add('field:attributes');
      return this.jsonType(e, hint);
    }
    const field = MEMBER_FIELDS.get(head.text);
    if (!field) {
      const owners = [...COLLECTIONS].filter(([, c]) => c.fields.has(head.text)).map(([n]) => n);
      if (owners.length > 0) {
        return this.report(head.span, CheckErrorCode.UNKNOWN_FIELD,
          `unknown field \`${head.text}\`: ${owners.join(' and ')} have it; use it in an aggregate, e.g. max(${owners[0]}.${head.text})`);
      }
      return this.report(head.span, CheckErrorCode.UNKNOWN_FIELD, `unknown field \`${head.text}\``,
        didYouMean(head.text, [...MEMBER_FIELDS.keys(), ...COLLECTIONS.keys()]));
    }
    if (rest.length > 0) return this.report(e.span, CheckErrorCode.INVALID_PATH, `\`${head.text}\` has no parts: write \`${head.text}\``);
    if (field.presenceOnly && !ctx.presence) {
      return this.report(e.span, CheckErrorCode.PRESENCE_ONLY_FIELD, `\`${head.text}\` is stored hashed: only \`${head.text} is null\` and \`${head.text} is not null\` can be asked`);
    }
    this.analysis.refs.set(e, { kind: 'member', field: head.text });
    this.analysis.dependencies.add(`field:${head.text}`);
    return field.type as ValueType;
  }

  /** The type of a jsonb attribute or property: the one its use expects, if that is a JSON scalar type. */
  jsonType(e: A.Expr, hint?: CheckType): CheckType {
    if (!hint) return UNKNOWN;
    if (hint.kind === 'number' || hint.kind === 'string' || hint.kind === 'boolean') return hint;
    if (hint.kind === 'enum' || hint.kind === 'literal') return STRING;
    return this.report(e.span, CheckErrorCode.TYPE_MISMATCH, `attributes and properties are read as numbers, strings or booleans, not as ${describe(hint)}`);
  }

  private catalogReference(e: A.Reference, kind: 'tag' | 'audience', rest: A.PathSegment[], ctx: Context): CheckType {
    if (rest.length !== 1 || rest[0].quoted) return this.report(e.span, CheckErrorCode.INVALID_PATH, `write \`${kind}.NAME\``);
    if (ctx.row) return this.report(e.span, CheckErrorCode.NOT_ALLOWED_HERE, `\`${kind}.\` cannot be used inside \`where\`, which tests one ${ctx.row.replace(/s$/, '')} at a time`);
    const name = rest[0].text;
    this.analysis.dependencies.add(`${kind}:${name}`);
    this.analysis.references.push({ node: `${kind}:${name}`, span: e.span });
    if (kind === 'audience') {
      if (!this.names.hasAudience(name)) return this.report(rest[0].span, CheckErrorCode.UNKNOWN_AUDIENCE, `unknown audience \`${name}\``, didYouMean(name, this.names.audienceNames()));
      this.analysis.refs.set(e, { kind: 'audience', name });
      return BOOLEAN;
    }
    const type = this.names.tagType(name);
    if (!type) return this.report(rest[0].span, CheckErrorCode.UNKNOWN_TAG, `unknown tag \`${name}\``, didYouMean(name, this.names.tagNames()));
    this.analysis.refs.set(e, { kind: 'tag', name, type });
    return type;
  }

  private rowReference(e: A.Reference, collection: CollectionName, hint?: CheckType): CheckType {
    const [head, ...rest] = e.segments;
    const info = COLLECTIONS.get(collection)!;
    const field = info.fields.get(head.text);
    if (head.text === 'properties' && field) {
      if (rest.length !== 1) return this.report(e.span, CheckErrorCode.INVALID_PATH, 'write `properties.key` or `properties["key"]`');
      this.noNul(rest[0].text, rest[0].span);
      this.analysis.refs.set(e, { kind: 'property', key: rest[0].text });
      return this.jsonType(e, hint);
    }
    if (field) {
      if (rest.length > 0) return this.report(e.span, CheckErrorCode.INVALID_PATH, `\`${head.text}\` has no parts: write \`${head.text}\``);
      this.analysis.refs.set(e, { kind: 'row', collection, field: head.text });
      return field.type as ValueType;
    }
    if (MEMBER_FIELDS.has(head.text) || COLLECTIONS.has(head.text as CollectionName)) {
      return this.report(head.span, CheckErrorCode.NOT_ALLOWED_HERE, `\`${head.text}\` is not a field of ${collection}: inside \`where\` only the fields of ${collection} can be used`);
    }
    return this.report(head.span, CheckErrorCode.UNKNOWN_FIELD, `${collection} have no field \`${head.text}\``, didYouMean(head.text, info.fields.keys()));
  }
}

/** The type a partner of an expression of type `t` should take. */
export function hintOf(t: CheckType): CheckType | undefined {
  if (t.kind === 'literal' || t.kind === 'enum') return STRING;
  if (t.kind === 'unknown' || t.kind === 'error' || t.kind === 'duration') return undefined;
  return t;
}

/** The string literals an expression may yield, through `case` and `coalesce`. */
export function literalOrigins(e: A.Expr): A.StringLiteral[] {
  if (e.kind === 'StringLiteral') return [e];
  if (e.kind === 'Case') return [...e.branches.map((b) => b.then), ...(e.otherwise ? [e.otherwise] : [])].flatMap(literalOrigins);
  if (e.kind === 'Call' && e.name.text === 'coalesce') return e.args.flatMap((a) => literalOrigins(a.value));
  return [];
}
