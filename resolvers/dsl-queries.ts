import { builder } from './builder.js';
import { requireScope, seesPii, tenantOf } from './guards.js';
import { mayReadAudience, mayReadTag } from './tag-access.js';
import { MemberRef } from './member.js';
import { pageSize } from './connection.js';
import { MEMBER_COLUMNS, type MemberRow } from './rows.js';
import { MEMBER_FIELDS, bindQuery, compileFilter, validateDsl, type Catalog, type CompiledQuery, type DslError, type DslValidation } from '../dsl/index.js';
import { hasAnyScope, hasScope } from '../tenants/scopes.js';
import { ErrorCode, forbidden, safeError } from '../gateway/errors.js';
import type { Context } from './context.js';
import { loadCatalog } from '../connectors/tags/catalog.js';

/**
 * The language in GraphQL: validateDsl (errors as data), previewAudience (count, sample, SQL) and
 * the filter behind members(where:). Compiled SQL runs in the request's tenant transaction with the
 * tenant as $1 and asOf as $2; literals are its own parameters, ours follow them.
 */

/** DslError: exported for the lifecycle mutations that also return positioned errors. */
export const DslErrorRef = builder.objectRef<DslError>('DslError').implement({
  description: 'A positioned error in DSL source (1-based line and column, length in characters)',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    line: t.exposeInt('line'),
    column: t.exposeInt('column'),
    length: t.exposeInt('length'),
    expected: t.exposeStringList('expected', { nullable: true, description: 'what the parser could have accepted here' }),
    suggestion: t.exposeString('suggestion', { nullable: true, description: 'the closest known name' }),
  }),
});

const DslValidationRef = builder.objectRef<DslValidation>('DslValidation').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    errors: t.field({ type: [DslErrorRef], resolve: (v) => v.errors }),
    type: t.exposeString('type', { nullable: true, description: 'the result type, e.g. boolean or enum("a", "b")' }),
    dependencies: t.exposeStringList('dependencies', { description: 'field:…, collection:…, tag:…, audience:…' }),
    sql: t.exposeString('sql', { nullable: true, description: 'the compiled set-based SQL ($1 tenant, $2 asOf, then literals)' }),
    batchOnly: t.exposeBoolean('batchOnly', { description: 'uses a population function: refreshed in full only' }),
  }),
});

interface Preview { count: number; sample: MemberRow[]; sql: string }

const AudiencePreviewRef = builder.objectRef<Preview>('AudiencePreview').implement({
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'members for whom the expression holds at asOf' }),
    sample: t.field({ type: [MemberRef], description: 'the first members by id; needs members:read', resolve: (p, _a, ctx) => {
      requireScope(ctx, 'members:read');
      return p.sample;
    } }),
    sql: t.exposeString('sql', { description: 'the compiled filter ($1 tenant, $2 asOf, then literals)' }),
  }),
});

/** A DSL_ERROR carrying the positioned errors in extensions.errors; the message shows the first. */
export function dslError(errors: DslError[], argument?: string): Error {
  const first = errors[0];
  const where = first ? `line ${first.line}, column ${first.column}: ${first.message}` : 'invalid source';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return safeError(ErrorCode.DSL_ERROR, `${argument ? `argument "${argument}": ` : ''}${where}${more}`,
    { errors, ...(argument ? { argument } : {}) });
}

const catalogs = new WeakMap<Context, Promise<Catalog>>();

/**
 * The tenant's catalog, once per request: tags (as their published version, else the current
 * draft) and audiences that are not deprecated, in one statement.
 */
export function dslCatalog(ctx: Context): Promise<Catalog> {
  let catalog = catalogs.get(ctx);
  if (!catalog) {
    catalog = loadCatalog(ctx.db, tenantOf(ctx));
    catalogs.set(ctx, catalog);
  }
  return catalog;
}

/**
 * A member filter ready to embed: `text` selects member_id, `values` are bound, `next` is the first
 * free parameter number; `sql` the compiled text shown to users. With scope `members`, `values[2]`
 * is the list of member ids to evaluate (empty here; the caller fills it). `batchOnly`: it ranks the
 * population (quintile), so evaluating a few members costs as much as evaluating all.
 */
export interface MemberFilter { text: string; values: unknown[]; next: number; sql: string; batchOnly: boolean }

/**
 * A filter answers questions about what it reads, so it may read only what the caller may: personal
 * fields need `pii` (else `phone starts with "1381"` would spell a number out digit by digit), orders
 * and items `orders:read`, events `events:read`, each tag and audience its read scope. FORBIDDEN
 * naming the first scope missing.
 */
async function requireReadable(ctx: Context, dependencies: readonly string[]): Promise<void> {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  const tags: string[] = [];
  for (const dependency of dependencies) {
    const [kind, name] = [dependency.slice(0, dependency.indexOf(':')), dependency.slice(dependency.indexOf(':') + 1)];
    if (kind === 'field' && MEMBER_FIELDS.get(name)?.pii && !seesPii(ctx)) throw forbidden('pii');
    if (kind === 'collection') requireScope(ctx, name === 'events' ? 'events:read' : 'orders:read');
    if (kind === 'audience' && !mayReadAudience(ctx, name)) throw forbidden(`audiences:read:${name}`);
    if (kind === 'tag' && !hasScope(granted, 'tags:read')) tags.push(name);
  }
  const rows = await Promise.all(tags.map((name) => ctx.loaders.tagByName.load(name)));
  tags.forEach((name, i) => {
    if (!mayReadTag(ctx, name, rows[i]?.category ?? null)) throw forbidden(`tags:read:${name}`);
  });
}

/**
 * Compiles a boolean DSL expression into a member filter at `asOf` over all members of the tenant
 * or (scope `members`) over a list of them; DSL_ERROR naming `argument` when it does not check,
 * FORBIDDEN when it reads what the caller may not.
 */
export async function memberFilter(ctx: Context, source: string, asOf: Date, argument: string,
  scope: 'all' | 'members' = 'all'): Promise<MemberFilter> {
  const compiled = compileFilter(source, await dslCatalog(ctx), { scope });
  if (!compiled.ok) throw dslError(compiled.errors, argument);
  await requireReadable(ctx, compiled.dependencies);
  const bound: CompiledQuery = bindQuery(compiled.query, { tenantId: tenantOf(ctx), asOf, memberIds: [] });
  return { text: bound.text, values: [...bound.values], next: bound.values.length + 1, sql: compiled.query.text, batchOnly: compiled.batchOnly };
}

function requireDslReader(ctx: Context): void {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  const ok = (['tags:read', 'tags:write', 'audiences:read', 'audiences:write'] as const).some((s) => hasAnyScope(granted, s));
  if (!ok) throw forbidden('tags:read or audiences:read');
}

builder.queryFields((t) => ({
  validateDsl: t.field({
    type: DslValidationRef,
    description: 'Checks DSL source (definitions or an expression) against the tenant catalog; errors come back as data',
    args: { source: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireDslReader(ctx);
      return validateDsl(args.source, await dslCatalog(ctx));
    },
  }),
  previewAudience: t.field({
    type: AudiencePreviewRef,
    description: 'Evaluates a boolean expression over all members at asOf (default now): count, a sample and the SQL. DSL_ERROR on bad source',
    args: { expression: t.arg.string({ required: true }), asOf: t.arg({ type: 'DateTime' }), sample: t.arg.int({ description: 'default 10, at most 100' }) },
    resolve: async (_root, args, ctx) => {
      const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
      if (!hasAnyScope(granted, 'audiences:read') && !hasAnyScope(granted, 'audiences:write')) throw forbidden('audiences:read');
      const sample = pageSize(args.sample ?? 10, 'sample');
      const f = await memberFilter(ctx, args.expression, args.asOf ?? new Date(), 'expression');
      const r = await ctx.db.query<MemberRow & { total: number }>(
        `with f as (${f.text}), s as (select distinct member_id from f)
         select ${MEMBER_COLUMNS}, n.total from (select count(*)::int as total from s) n
           left join lateral (select m.* from members m where m.tenant_id = $1 and m.member_id in (select member_id from s)
                               order by m.member_id limit $${f.next}) m on true`,
        [...f.values, sample]);
      return { count: r.rows[0]?.total ?? 0, sample: r.rows.filter((row) => row.member_id !== null), sql: f.sql };
    },
  }),
}));
