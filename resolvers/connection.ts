import type { ArgBuilder, ObjectRef, SchemaTypes } from '@pothos/core';
import { builder } from './builder.js';
import { badInput } from '../gateway/errors.js';

/**
 * Relay connections with keyset cursors. A cursor is the base64url of `[kind, ...sortKey]`: it names
 * a position in the sort order, not an offset, so it stays valid when rows are inserted before it.
 */

/** Default and maximum of every `first` argument. */
export const DEFAULT_FIRST = 20;
export const MAX_FIRST = 100;

/** The `first` argument checked: default 20; BAD_USER_INPUT naming it when negative or above 100. */
export function pageSize(first: number | null | undefined, argument = 'first', max = MAX_FIRST): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_FIRST, max);
  if (first < 0) throw badInput(`argument "${argument}" must not be negative, got ${first}`, argument);
  if (first > max) throw badInput(`argument "${argument}" must be at most ${max}, got ${first}`, argument);
  return first;
}

/** Encodes a keyset position of the connection `kind`. */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

/** What each element of a sort key must look like. */
export type KeyPart = 'id' | 'timestamp' | 'text';

const CHECK: Record<KeyPart, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && /^[0-9]{1,19}$/.test(v),
  timestamp: (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(v),
  text: (v) => typeof v === 'string' && v.length <= 1000,
};

/**
 * The sort key in an `after` cursor of the connection `kind`, or null when `after` is absent.
 * BAD_USER_INPUT naming the argument when the cursor is not one this connection handed out.
 */
export function decodeCursor(after: string | null | undefined, kind: string, parts: readonly KeyPart[], argument = 'after'): string[] | null {
  if (after === null || after === undefined) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const ok = Array.isArray(decoded) && decoded.length === parts.length + 1 && decoded[0] === kind
    && parts.every((p, i) => CHECK[p](decoded[i + 1]));
  if (!ok) throw badInput(`argument "${argument}" is not a cursor of this connection`, argument);
  return (decoded as string[]).slice(1);
}

/** A page of a connection as the resolvers hand it to the connection types. */
export interface Connection<T> {
  /** The page's rows, in order. */
  nodes: T[];
  hasNextPage: boolean;
  /** A row's cursor: computed only for the edges and endCursor a client asks for. */
  cursorOf: (row: T) => string;
  /** Counted only when the client asks for totalCount. */
  totalCount: () => Promise<number> | number;
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only says there is a next page.
 */
export function toConnection<T>(rows: T[], limit: number, cursorOf: (row: T) => string,
  totalCount: () => Promise<number> | number): Connection<T> {
  return { nodes: rows.length > limit ? rows.slice(0, limit) : rows, hasNextPage: rows.length > limit, cursorOf, totalCount };
}

/** PageInfo, shared by every connection. */
export const PageInfoRef = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true, description: 'pass as `after` for the next page' }),
  }),
});

/** Declares `${name}Connection` and `${name}Edge` for the node type (edges, nodes, pageInfo, totalCount). */
export function connectionType<T>(name: string, node: ObjectRef<any, T>) {
  const Edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (e) => e.node as any }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (c) => c.nodes.map((n) => ({ cursor: c.cursorOf(n), node: n })) }),
      nodes: t.field({ type: [node], description: 'the nodes of edges, in order', resolve: (c) => c.nodes as any }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (c) => ({ hasNextPage: c.hasNextPage,
        endCursor: c.nodes.length ? c.cursorOf(c.nodes[c.nodes.length - 1]) : null }) }),
      totalCount: t.int({ description: 'all matching rows, not only this page', resolve: (c) => c.totalCount() }),
    }),
  });
}

/** The `first` / `after` arguments every connection field takes: `args: { ...pageArgs(t.arg) }`. */
export function pageArgs<Types extends SchemaTypes>(arg: ArgBuilder<Types>) {
  return {
    first: arg.int({ description: `page size: default ${DEFAULT_FIRST}, at most ${MAX_FIRST}` }),
    after: arg.string({ description: 'endCursor of the previous page' }),
  };
}
