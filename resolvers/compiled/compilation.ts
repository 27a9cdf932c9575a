import { getArgumentValues, type FieldNode, type GraphQLField } from 'graphql';
import type { Scope } from '../../tenants/scopes.js';

/**
 * What compiling one operation collects: the statement's bind values (each computed from the
 * request's variables when the statement runs) and the scopes its answer assumes the caller holds.
 * Values only ever reach the statement as bind values: aliases, ids, page sizes, cursors, all of
 * them; the SQL text holds nothing but our own names and expressions.
 */
export class Compilation {
  /** Computes the value of parameter $n+1 from the request's (coerced) variables. */
  readonly params: ParamSource[] = [];
  readonly scopes = new Set<Scope>();
  /** Whether a field that depends on the `pii` scope was compiled (in clear or masked). */
  touchesPii = false;
  /**
   * Conditions on the member row being compiled under which the masked answer cannot be computed
   * exactly in SQL (JS masks count UTF-16 units; a value with a character outside the BMP differs).
   */
  inexact: string[] = [];
  /** Lateral sub-selects joined to the member row being compiled, each with columns `j` and `reads`. */
  laterals: { join: string; alias: string }[] = [];
  private lateralCount = 0;

  /** `pii`: the caller holds the pii scope (personal data in clear) or not (masked as the resolvers mask it). */
  constructor(readonly pii: boolean) {}

  /** A bind value, as `$n::cast` in the text. */
  param(source: ParamSource, cast: string): string {
    this.params.push(source);
    return `$${this.params.length}::${cast}`;
  }

  /** A constant bind value (a response key chosen by the client). */
  constant(value: string): string {
    return this.param(() => value, 'text');
  }

  /** Joins `select` to the member row being compiled; returns its alias. */
  lateral(select: string): string {
    const alias = `l${++this.lateralCount}`;
    this.laterals.push({ join: `left join lateral (${select}) ${alias} on true`, alias });
    return alias;
  }

  require(scope: Scope): void {
    this.scopes.add(scope);
  }
}

/**
 * One request's bind: the caller's token (SHA-256), variables coerced by graphql-js, and a memo of
 * what several bind values share (a field node's argument values, a decoded cursor), by key.
 */
export interface Bind {
  tokenDigest: Buffer;
  variables: Record<string, unknown>;
  memo: Map<object, unknown>;
}

/** `compute()` once per bind for `key` (an object of the compiled query: a field node, a key made for it). */
export function once<T>(bind: Bind, key: object, compute: () => T): T {
  if (bind.memo.has(key)) return bind.memo.get(key) as T;
  const value = compute();
  bind.memo.set(key, value);
  return value;
}

/** Computes a bind value; throws when the resolvers would refuse the value (the general path reports it). */
export type ParamSource = (bind: Bind) => unknown;

/** A field's argument values as graphql-js gives them to its resolver (defaults applied); memoised per bind. */
export function argumentsOf(bind: Bind, def: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
  return once(bind, node, () => getArgumentValues(def, node, bind.variables));
}

/** Why an operation is left to graphql-js; compiling returns it instead of throwing. */
export interface NotCompiled {
  notCompiled: string;
}

/** Thrown inside the compiler only, and turned into NotCompiled at its entry point. */
export class Uncompilable extends Error {}
