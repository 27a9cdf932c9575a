import { getVariableValues, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { Compilation, Uncompilable, argumentsOf, type Bind, type NotCompiled } from './compilation.js';
import { keyOf, objectJson, plainFields } from './object-json.js';
import { MEMBER } from './member-json.js';
import { parseId } from '../ids.js';
import { survivorOf } from '../rows.js';
import type { Scope } from '../../tenants/scopes.js';
import { sessionPrincipalSql, type PrincipalRow } from '../../tenants/auth.js';

/**
 * A query operation compiled into one statement that checks the caller's token and builds the whole
 * `data` object in Postgres, for the shapes frontends ask most (a member with its scalar fields,
 * identities, orders with items, tags). The statement reads the tenant from the session
 * (`cdp_current_tenant()`, set by an earlier cdp_open_read on the same connection), answers only
 * for an active token of that tenant (tenants/auth.ts, sessionPrincipalSql; no row otherwise, and
 * nothing else is computed) and filters every table by it, under row-level security as every other
 * statement.
 */
export interface CompiledQuery {
  /** Its prepared-statement name (CompiledNames). */
  name: string;
  /**
   * One row for an active token of the session's tenant, none otherwise: the principal's columns
   * (PrincipalRow), `data` (base64 of the UTF-8 JSON of `data`), `reads` (lineage nodes the
   * resolvers would note, or null), `exact` (false: a masked value differs from the resolvers' mask,
   * the general path answers).
   */
  text: string;
  /** Scopes the caller must hold unnarrowed for the statement to answer what the resolvers would. */
  scopes: readonly Scope[];
  /** For callers with the pii scope (true), for callers without it (false), or either (no personal data selected). */
  pii?: boolean;
  /**
   * The bind values for the caller's token (its SHA-256) and the request's variables; null when
   * graphql-js must answer (it reports the error).
   */
  bind(tokenDigest: Buffer, variables: Record<string, unknown> | undefined): unknown[] | null;
}

/** The row a compiled statement answers. */
export type CompiledRow = PrincipalRow & { data: string; reads: string[] | null; exact: boolean };

// One name per text in the whole process: gateways sharing a pool must never give one name two texts.
const processNames = new Map<string, string>();

/**
 * The compiled texts one gateway uses, at most `max`. Each is prepared on every pooled connection
 * that runs it, and a member page's cached plan holds about 200 KB of a backend's memory, so the
 * default 50 costs at most 10 MB per connection. Frontends send a handful of documents; past the
 * limit, new ones run through graphql-js. A document compiled again (after the planner's cache let
 * it go) gets its text's name back.
 */
export class CompiledNames {
  private readonly texts = new Set<string>();

  constructor(readonly max = 50) {}

  /** The prepared-statement name of `text`, or null when this gateway uses `max` texts already. */
  nameOf(text: string): string | null {
    if (!this.texts.has(text)) {
      if (this.texts.size >= this.max) return null;
      this.texts.add(text);
    }
    let name = processNames.get(text);
    if (!name) processNames.set(text, (name = `cdp_q_${processNames.size + 1}`));
    return name;
  }
}

/**
 * The root fields that answer one member, and the member id each looks up (as the resolvers in
 * member.ts do): `member(id)` follows a merged-away id to its survivor, `memberByIdentity(kind,
 * value)` finds the identity's member (or its survivor).
 */
const MEMBER_ROOTS: Record<string, (c: Compilation, args: (b: Bind) => Record<string, unknown>) => string> = {
  member: (c, args) => survivorOf('cdp_current_tenant()', c.param((b) => parseId(args(b).id as string, 'id'), 'bigint')),
  memberByIdentity: (c, args) => `(select coalesce(a.member_id, i.member_id) from identities i
      left join member_aliases a on a.tenant_id = i.tenant_id and a.alias_id = i.member_id
     where i.tenant_id = cdp_current_tenant() and i.kind = ${c.param((b) => args(b).kind, 'text')} and i.value = ${c.param((b) => args(b).value, 'text')})`,
};

/** text[] expressions concatenated (a null one adds nothing). */
const concat = (arrays: string[]) => (arrays.length ? arrays.join(' || ') : 'null::text[]');

/** The operation compiled, or why not (then graphql-js executes it as usual). */
export function compileQuery(schema: GraphQLSchema, op: OperationDefinitionNode, pii: boolean, names: CompiledNames): CompiledQuery | NotCompiled {
  if (op.operation !== 'query') return { notCompiled: 'only queries are compiled' };
  if (op.directives?.length) return { notCompiled: 'directives are left to graphql-js' };
  const c = new Compilation(pii);
  const tokenDigest = c.param((b) => b.tokenDigest, 'bytea');
  const queryType = schema.getQueryType()!;
  let text: string;
  try {
    const pairs: string[] = [];
    const rows: string[] = [];
    const reads: string[] = [];
    const inexact: string[] = [];
    for (const node of plainFields(op.selectionSet)) {
      if (node.name.value === '__typename') {
        pairs.push(`${keyOf(c, node)}, 'Query'`);
        continue;
      }
      const find = Object.hasOwn(MEMBER_ROOTS, node.name.value) ? MEMBER_ROOTS[node.name.value] : undefined;
      if (!find) throw new Uncompilable(`Query.${node.name.value} is left to graphql-js`);
      const def = queryType.getFields()[node.name.value];
      c.require('members:read');
      const memberId = find(c, (b: Bind) => argumentsOf(b, def, node));
      c.laterals = [];
      c.inexact = [];
      const json = objectJson(c, MEMBER, schema.getType('Member') as GraphQLObjectType, node.selectionSet, 'm');
      // each member is a lateral row of the statement: its JSON, the lineage its tags note, and
      // whether a masked value could not be computed as the resolvers compute it
      const r = `r${rows.length + 1}`;
      rows.push(`left join lateral (select ${json} as j, ${concat(c.laterals.map((l) => `${l.alias}.reads`))} as reads,
          ${c.inexact.length ? c.inexact.join(' or ') : 'false'} as inexact
        from members m ${c.laterals.map((l) => l.join).join(' ')}
       where m.tenant_id = cdp_current_tenant() and m.member_id = ${memberId}) ${r} on true`);
      pairs.push(`${keyOf(c, node)}, ${r}.j`);
      reads.push(`${r}.reads`);
      inexact.push(`coalesce(${r}.inexact, false)`);
    }
    // base64 of the UTF-8 bytes: the response is those bytes; as text, pg would decode the JSON and
    // the HTTP response encode it again (the two were a tenth of the gateway's instructions per member page)
    text = `select p.*, encode(convert_to(json_build_object(${pairs.join(', ')})::text, 'UTF8'), 'base64') as data,
        ${concat(reads)} as reads, not (${inexact.length ? inexact.join(' or ') : 'false'}) as exact
      from (${sessionPrincipalSql(tokenDigest)}) p ${rows.join(' ')}`;
  } catch (err) {
    if (err instanceof Uncompilable) return { notCompiled: err.message };
    throw err;
  }
  const name = names.nameOf(text);
  if (!name) return { notCompiled: `${names.max} statements compiled already` };
  const params = c.params;
  return {
    name,
    text,
    scopes: [...c.scopes],
    pii: c.touchesPii ? pii : undefined,
    bind(digest, inputs) {
      const coerced = getVariableValues(schema, op.variableDefinitions ?? [], inputs ?? {});
      if (coerced.errors) return null;
      const b: Bind = { tokenDigest: digest, variables: coerced.coerced, memo: new Map() };
      try {
        return params.map((p) => p(b));
      } catch {
        return null; // a value the resolvers refuse: graphql-js answers with their error
      }
    },
  };
}
