import { typeToString, type ValueType } from './catalog.js';

/**
 * The checker's view of a type: a value type, or
 * - `literal`: a string known to be one of `values` (string literals, a `case` of them); it fits
 *   a `string`, and an enum that has all of `values`;
 * - `duration`: `30 days`, only valid in date arithmetic and `within`;
 * - `unknown`: a jsonb attribute or property no use has given a type to yet (read as text);
 * - `error`: already reported; no further error is raised about it.
 */
export type CheckType = ValueType | { kind: 'literal'; values: string[] } | { kind: 'duration' } | { kind: 'unknown' } | { kind: 'error' };

export const BOOLEAN: CheckType = { kind: 'boolean' };
export const NUMBER: CheckType = { kind: 'number' };
export const STRING: CheckType = { kind: 'string' };
export const DATE: CheckType = { kind: 'date' };
export const TIMESTAMP: CheckType = { kind: 'timestamp' };
export const DURATION: CheckType = { kind: 'duration' };
export const UNKNOWN: CheckType = { kind: 'unknown' };
export const ERROR: CheckType = { kind: 'error' };

export function isStringish(t: CheckType): boolean {
  return t.kind === 'string' || t.kind === 'enum' || t.kind === 'literal';
}

export function isTemporal(t: CheckType): boolean {
  return t.kind === 'date' || t.kind === 'timestamp';
}

export function isOrdered(t: CheckType): boolean {
  return t.kind === 'number' || isTemporal(t);
}

/** The value type an expression of this type produces (a literal set is a string, unknown is read as a string). */
export function toValueType(t: CheckType): ValueType {
  if (t.kind === 'literal' || t.kind === 'unknown' || t.kind === 'duration' || t.kind === 'error') return { kind: 'string' };
  return t;
}

/** The type as a user reads it in a message. */
export function describe(t: CheckType): string {
  if (t.kind === 'literal' || t.kind === 'unknown') return 'string';
  if (t.kind === 'error') return 'unknown';
  if (t.kind === 'duration') return 'duration';
  return typeToString(t);
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * The type of a value that is sometimes `a`, sometimes `b` (`case` branches, `coalesce`
 * arguments), or undefined when no such type exists (a number or a string).
 */
export function joinTypes(a: CheckType, b: CheckType): CheckType | undefined {
  if (a.kind === 'error' || b.kind === 'error') return ERROR;
  if (a.kind === 'unknown') return b;
  if (b.kind === 'unknown') return a;
  if (a.kind === 'literal' && b.kind === 'literal') return { kind: 'literal', values: union(a.values, b.values) };
  if ((a.kind === 'enum' || a.kind === 'literal') && (b.kind === 'enum' || b.kind === 'literal')) {
    return { kind: 'enum', values: union(a.values, b.values) };
  }
  if (isStringish(a) && isStringish(b)) return STRING;
  if (isTemporal(a) && isTemporal(b)) return a.kind === b.kind ? a : TIMESTAMP;
  if (a.kind === b.kind && a.kind !== 'duration') return a;
  return undefined;
}

/** Whether a value of type `t` may be stored in a tag declared `declared` (enum values are checked separately). */
export function fits(t: CheckType, declared: ValueType): boolean {
  if (t.kind === 'error' || t.kind === 'unknown') return true;
  switch (declared.kind) {
    case 'string': return isStringish(t);
    case 'enum': return t.kind === 'enum' || t.kind === 'literal';
    case 'timestamp': return isTemporal(t);
    default: return t.kind === declared.kind;
  }
}
