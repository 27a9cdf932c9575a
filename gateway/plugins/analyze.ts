import {
  Kind, getNamedType, getNullableType, isCompositeType, isListType, isObjectType, isInterfaceType,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType,
  type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode, type ValueNode,
} from 'graphql';

/** How the cost of a query is counted (docs/governance.md, "Query cost"). */
export interface CostModel {
  /** Page size assumed for a connection field without `first`/`last`. */
  defaultFirst: number;
  /** Length assumed for a list of objects without `first`/`last`/`sample` (overridable per field). */
  defaultListSize: number;
  /** Cost of each root mutation field, on top of its selection. */
  mutationCost: number;
  /** Cost of each root subscription field, on top of its selection. */
  subscriptionCost: number;
}

/** What analyzeOperation finds, before execution. */
export interface Analysis {
  cost: number;
  /** Deepest field nesting, not counting inside __schema/__type (graphql-js limits those). */
  depth: number;
  /** Aliased fields in the document. */
  aliases: number;
  /** Field selections written in the document (fragments counted once). */
  selections: number;
  /** Lineage nodes the operation reads: 'field:Member.phone', 'tag:NAME', 'audience:NAME'. */
  reads: Set<string>;
  /** The variables the numbers and reads above depend on (the same values give the same analysis). */
  variablesRead: string[];
}

interface Partial {
  cost: number;
  depth: number;
  reads: Set<string>;
}

const MULTIPLIER_ARGS = ['first', 'last', 'sample', 'limit'];
const CAP = Number.MAX_SAFE_INTEGER;

/**
 * Cost, depth and lineage reads of one operation, from the document alone (nothing executes).
 * Linear in the document: each fragment is analysed once, whatever the number of spreads (so a
 * fragment bomb yields a huge cost quickly instead of a huge expansion). Unknown fields and
 * fragment cycles count 0: validation reports them.
 *
 * Model, after GitHub's and Shopify's: scalars and enums 0, each object 1, a list of objects costs
 * its length × (1 + its selection) with the length from `first`/`last`/`sample`/`limit` or the
 * default, a connection (a type named *Connection) costs 1 + first × its selection (edges cost 0,
 * each node 1), root mutation and subscription fields add their fixed cost. A field's Pothos
 * `extensions: { cost: n }` replaces its own cost, `extensions: { listSize: n }` its default length.
 */
export function analyzeOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined, model: CostModel): Analysis {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let aliases = 0;
  let selections = 0;
  const variablesRead = new Set<string>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  countFields(document);
  const memo = new Map<string, Partial | null>();

  function countFields(node: DocumentNode): void {
    const stack: SelectionSetNode[] = [];
    for (const def of node.definitions) if ('selectionSet' in def && def.selectionSet) stack.push(def.selectionSet);
    while (stack.length) {
      for (const sel of stack.pop()!.selections) {
        if (sel.kind === Kind.FIELD) {
          selections += 1;
          if (sel.alias) aliases += 1;
        }
        if ('selectionSet' in sel && sel.selectionSet) stack.push(sel.selectionSet);
      }
    }
  }

  function intArg(field: FieldNode, names: string[]): number | undefined {
    for (const arg of field.arguments ?? []) {
      if (!names.includes(arg.name.value)) continue;
      const n = valueOf(arg.value);
      if (typeof n === 'number' && Number.isFinite(n)) return Math.max(0, Math.floor(n));
    }
    return undefined;
  }

  function valueOf(v: ValueNode): unknown {
    if (v.kind === Kind.VARIABLE) {
      variablesRead.add(v.name.value);
      return variables?.[v.name.value];
    }
    if (v.kind === Kind.INT || v.kind === Kind.FLOAT) return Number(v.value);
    if (v.kind === Kind.STRING) return v.value;
    return undefined;
  }

  function fragment(name: string): Partial | null {
    if (memo.has(name)) return memo.get(name)!; // null while in progress: a cycle counts 0
    const def = fragments.get(name);
    memo.set(name, null);
    const type = def ? schema.getType(def.typeCondition.name.value) : undefined;
    const result = def && type ? selectionSet(def.selectionSet, type, false, rootKind(type)) : null;
    memo.set(name, result);
    return result;
  }

  function selectionSet(set: SelectionSetNode, parent: GraphQLNamedType, inIntrospection: boolean, root?: 'mutation' | 'subscription'): Partial {
    const out: Partial = { cost: 0, depth: 0, reads: new Set() };
    const merge = (p: Partial | null) => {
      if (!p) return;
      out.cost = Math.min(CAP, out.cost + p.cost);
      out.depth = Math.max(out.depth, p.depth);
      for (const r of p.reads) out.reads.add(r);
    };
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) merge(fragment(sel.name.value));
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const type = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (type) merge(selectionSet(sel.selectionSet, type, inIntrospection, root));
      } else merge(field(sel, parent, inIntrospection, root));
    }
    return out;
  }

  function field(node: FieldNode, parent: GraphQLNamedType, inIntrospection: boolean, root?: 'mutation' | 'subscription'): Partial | null {
    const name = node.name.value;
    if (name === '__typename') return null;
    const def: GraphQLField<unknown, unknown> | undefined =
      name === '__schema' ? ({ type: schema.getType('__Schema') } as GraphQLField<unknown, unknown>)
      : name === '__type' ? ({ type: schema.getType('__Type') } as GraphQLField<unknown, unknown>)
      : isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!def?.type) return null;
    const introspection = inIntrospection || name.startsWith('__');
    const nullable = getNullableType(def.type);
    const named = getNamedType(def.type);
    const ext = (def.extensions ?? {}) as { cost?: unknown; listSize?: unknown };
    const reads = new Set<string>();
    if (!introspection && !parent.name.startsWith('__')) {
      reads.add(`field:${parent.name}.${name}`);
      for (const r of namedReads(node, name, named.name)) reads.add(r);
    }
    const fixed = root === 'mutation' ? model.mutationCost : root === 'subscription' ? model.subscriptionCost : undefined;
    if (!isCompositeType(named) || !node.selectionSet) {
      return { cost: typeof ext.cost === 'number' ? ext.cost : fixed ?? 0, depth: introspection ? 0 : 1, reads };
    }
    const child = selectionSet(node.selectionSet, named, introspection);
    for (const r of child.reads) reads.add(r);
    const own = typeof ext.cost === 'number' ? ext.cost : (fixed ?? 0) + 1;
    const depth = introspection ? 0 : child.depth + 1;
    if (introspection) return { cost: Math.min(CAP, own + child.cost), depth, reads };
    const inConnection = parent.name.endsWith('Connection');
    if (inConnection && name === 'edges') return { cost: child.cost, depth, reads };
    const listed = intArg(node, MULTIPLIER_ARGS);
    const fallback = typeof ext.listSize === 'number' ? ext.listSize : undefined;
    if (named.name.endsWith('Connection')) {
      const first = listed ?? fallback ?? model.defaultFirst;
      return { cost: Math.min(CAP, own + first * child.cost), depth, reads };
    }
    if (isListType(nullable) && !(inConnection && name === 'nodes')) {
      const n = listed ?? fallback ?? model.defaultListSize;
      return { cost: Math.min(CAP, n * (own + child.cost)), depth, reads };
    }
    return { cost: Math.min(CAP, own + child.cost), depth, reads };
  }

  // Tag and audience names read through arguments: tag(name:), audience(name:), inAudience(name:),
  // audienceChanges(audience:), refresh(target: "tag:x").
  function namedReads(node: FieldNode, fieldName: string, typeName: string): string[] {
    const out: string[] = [];
    for (const arg of node.arguments ?? []) {
      const a = arg.name.value;
      if (a !== 'audience' && a !== 'tag' && a !== 'target' && a !== 'name') continue;
      const v = valueOf(arg.value);
      if (typeof v !== 'string' || v.length === 0 || v.length > 200) continue;
      if (a === 'audience' || a === 'tag') out.push(`${a}:${v}`);
      else if (a === 'target' && /^(tag|audience):/.test(v)) out.push(v);
      else if (a === 'name') {
        const about = `${fieldName} ${typeName}`;
        if (/audience/i.test(about)) out.push(`audience:${v}`);
        else if (/tag/i.test(about)) out.push(`tag:${v}`);
      }
    }
    return out;
  }

  function rootKind(type: GraphQLNamedType): 'mutation' | 'subscription' | undefined {
    return type === schema.getMutationType() ? 'mutation' : type === schema.getSubscriptionType() ? 'subscription' : undefined;
  }

  const rootType = operation.operation === 'mutation' ? schema.getMutationType()
    : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  const result = rootType
    ? selectionSet(operation.selectionSet, rootType, false, operation.operation === 'query' ? undefined : operation.operation)
    : { cost: 0, depth: 0, reads: new Set<string>() };
  return { cost: result.cost, depth: result.depth, aliases, selections, reads: result.reads, variablesRead: [...variablesRead] };
}
