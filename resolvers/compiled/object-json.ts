import { Kind, type FieldNode, type GraphQLField, type GraphQLObjectType, type SelectionSetNode } from 'graphql';
import { Compilation, Uncompilable } from './compilation.js';

/**
 * How a type's fields read in SQL, for the types the compiler handles: each field either a column
 * expression of the row alias, or a nested value built by a function of its own.
 */
export interface TypeTable {
  name: string;
  /** Scalar fields: the SQL expression of the field's JSON value, given the row's alias. */
  columns: Record<string, (alias: string) => string>;
  /**
   * Fields the resolvers mask or hide without the `pii` scope: their SQL for such a caller, and when
   * that SQL cannot match the JS mask exactly (a condition on the row, given its alias).
   */
  pii?: Record<string, { masked: (alias: string) => string; inexact?: (alias: string) => string }>;
  /** Fields with a nested value (lists, connections): their SQL expression. */
  nested?: Record<string, Nested>;
}

/** The SQL of a nested field: its selection, schema field and the parent row's alias are given. */
export type Nested = (c: Compilation, node: FieldNode, def: GraphQLField<unknown, unknown>, alias: string) => string;

// json_build_object takes at most 100 arguments: 50 keys.
const MAX_KEYS = 50;

/** The fields of a selection set, when it holds only plain fields (no fragments, no directives). */
export function plainFields(set: SelectionSetNode | undefined): FieldNode[] {
  if (!set) throw new Uncompilable('a selection set is missing');
  const fields: FieldNode[] = [];
  const keys = new Set<string>();
  for (const s of set.selections) {
    if (s.kind !== Kind.FIELD) throw new Uncompilable('fragments are left to graphql-js');
    if (s.directives?.length) throw new Uncompilable('directives are left to graphql-js');
    const key = s.alias?.value ?? s.name.value;
    // graphql-js merges repeated keys; the compiler does not
    if (keys.has(key)) throw new Uncompilable(`the response key ${key} is selected twice`);
    keys.add(key);
    fields.push(s);
  }
  if (fields.length > MAX_KEYS) throw new Uncompilable(`more than ${MAX_KEYS} fields in one selection`);
  return fields;
}

/** The response key of a field: its schema name as written by us, or its alias (chosen by the client) as a bind value. */
export function keyOf(c: Compilation, node: FieldNode): string {
  return node.alias && node.alias.value !== node.name.value ? c.constant(node.alias.value) : `'${node.name.value}'`;
}

/**
 * `json_build_object(...)` of a selection on an object of `table`'s type, the row being `alias`.
 * `__typename` is the type's name; personal data in clear or masked as the compilation says.
 */
export function objectJson(c: Compilation, table: TypeTable, type: GraphQLObjectType, set: SelectionSetNode | undefined, alias: string): string {
  const pairs: string[] = [];
  for (const node of plainFields(set)) {
    const name = node.name.value;
    let value: string;
    if (name === '__typename') {
      value = `'${table.name}'`;
    } else if (table.pii && Object.hasOwn(table.pii, name)) {
      c.touchesPii = true;
      const mask = table.pii[name];
      value = c.pii ? table.columns[name](alias) : mask.masked(alias);
      if (!c.pii && mask.inexact) c.inexact.push(mask.inexact(alias));
    } else if (Object.hasOwn(table.columns, name)) {
      value = table.columns[name](alias);
    } else if (table.nested && Object.hasOwn(table.nested, name)) {
      value = table.nested[name](c, node, type.getFields()[name], alias);
    } else {
      throw new Uncompilable(`${table.name}.${name} is left to graphql-js`);
    }
    // the name was matched against our own table above, so it is one of our identifiers
    pairs.push(`${keyOf(c, node)}, ${value}`);
  }
  return `json_build_object(${pairs.join(', ')})`;
}

/** Characters outside the Basic Multilingual Plane: two UTF-16 units in JS, one character in Postgres. */
const ASTRAL = `'[\\U00010000-\\U0010FFFF]'`;
export const hasAstral = (x: string) => `coalesce(${x} ~ ${ASTRAL}, false)`;

/** tenants/pii.ts's maskPhone in SQL (exact for values without astral characters). */
export const maskPhone = (x: string) =>
  `case when char_length(${x}) < 7 then repeat('*', char_length(${x})) else left(${x}, 3) || repeat('*', char_length(${x}) - 7) || right(${x}, 4) end`;
/** tenants/pii.ts's maskEmail in SQL (exact for values without astral characters). */
export const maskEmail = (x: string) => `case when strpos(${x}, '@') <= 1 then '***' else left(${x}, 1) || '***' || substr(${x}, strpos(${x}, '@')) end`;
/** tenants/pii.ts's maskName in SQL (by characters, as the JS mask counts code points). */
export const maskName = (x: string) => `case when ${x} = '' then '' else left(${x}, 1) || repeat('*', greatest(1, char_length(${x}) - 1)) end`;

