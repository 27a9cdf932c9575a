import { builder } from './builder.js';
import { tenantOf } from './guards.js';
import { AudienceRef } from './audience.js';
import { IdentityInput } from './ingest.js';
import { dslError } from './dsl-queries.js';
import { mayReadTag } from './tag-access.js';
import { lifecycleError } from './tag-lifecycle.js';
import { hasAnyScope, hasScope } from '../tenants/scopes.js';
import { badInput, forbidden, notFound } from '../gateway/errors.js';
import { parseDefinitions } from '../dsl/index.js';
import { identityList } from '../connectors/identity/keys.js';
import { FieldError } from '../connectors/ingest/fields.js';
import { defineAudience, uploadAudience } from '../connectors/audiences/lifecycle.js';
import { dryRunAudience, type AudienceDryRun } from '../connectors/tags/dry-run.js';
import { DEFAULT_TOP, PORTRAIT_FIELDS, portraitOf, type PortraitBucket, type PortraitDimension } from '../connectors/audiences/portrait.js';
import type { AudienceRow } from './rows.js';
import type { Context } from './context.js';

/**
 * Audience authoring (defineAudience, uploadAudience, dryRunAudience) and the audience reads the
 * read side does not have: portrait and the version history.
 */

const MAX_DIMENSIONS = 10;
const MAX_TOP = 50;

/** FORBIDDEN (naming audiences:write:NAME) unless the caller may write the audience `name`. */
function requireAudienceWrite(ctx: Context, name: string): void {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  if (!hasAnyScope(granted, 'audiences:write')) throw forbidden('audiences:write');
  if (!hasScope(granted, 'audiences:write', name)) throw forbidden(`audiences:write:${name}`);
}

/** The name of the one audience statement in `source`; DSL_ERROR / BAD_USER_INPUT otherwise. */
function audienceName(ctx: Context, source: string): string {
  if (ctx.principal.kind !== 'consumer' || !hasAnyScope(ctx.principal.scopes, 'audiences:write')) throw forbidden('audiences:write');
  const parsed = parseDefinitions(source);
  if (parsed.errors.length > 0) throw dslError(parsed.errors, 'source');
  const statement = parsed.statements[0];
  if (parsed.statements.length !== 1 || statement.kind !== 'AudienceStatement') {
    throw badInput('argument "source" must hold exactly one audience statement (`audience NAME = ...`)', 'source');
  }
  return statement.name.text;
}

async function reload(ctx: Context, name: string): Promise<AudienceRow> {
  ctx.loaders.audienceByName.clear(name);
  const audience = await ctx.loaders.audienceByName.load(name);
  if (!audience) throw notFound(`audience "${name}"`);
  return audience;
}

const actor = (ctx: Context) => (ctx.principal.kind === 'consumer' ? ctx.principal.consumerName : 'unknown');

interface AudienceVersionRow {
  version: number;
  source: string | null;
  label: string | null;
  dependencies: string[];
  identity_count: number | null;
  created_by: string | null;
  created_at: Date;
}

const AudienceVersionRef = builder.objectRef<AudienceVersionRow>('AudienceVersion').implement({
  description: 'One stored version of an audience: a DSL source or an uploaded identity list',
  fields: (t) => ({
    version: t.exposeInt('version'),
    source: t.exposeString('source', { nullable: true, description: 'null for an uploaded list' }),
    label: t.exposeString('label', { nullable: true }),
    dependencies: t.exposeStringList('dependencies'),
    identityCount: t.exposeInt('identity_count', { nullable: true, description: 'identities in an uploaded list' }),
    createdBy: t.exposeString('created_by', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.created_at }),
  }),
});

const PortraitBucketRef = builder.objectRef<PortraitBucket>('PortraitBucket').implement({
  fields: (t) => ({
    value: t.exposeString('value', { nullable: true, description: 'the value as text; null for members without one; "other" for the rest' }),
    count: t.exposeInt('count'),
    other: t.exposeBoolean('other', { description: 'true for the bucket summing every value past the top N' }),
  }),
});

const PortraitDimensionRef = builder.objectRef<PortraitDimension>('PortraitDimension').implement({
  description: "The distribution of one member field or tag over an audience's members",
  fields: (t) => ({
    dimension: t.exposeString('dimension'),
    kind: t.exposeString('kind', { description: 'field or tag' }),
    buckets: t.field({ type: [PortraitBucketRef], resolve: (d) => d.buckets }),
  }),
});

builder.objectFields(AudienceRef, (t) => ({
  portrait: t.field({
    type: [PortraitDimensionRef],
    description: `Member counts per value of each dimension: a member field (${[...PORTRAIT_FIELDS.keys()].join(', ')}) ` +
      'or a tag name; the `top` most frequent values (default 10) and an "other" bucket',
    args: { dimensions: t.arg.stringList({ required: true }), top: t.arg.int() },
    resolve: async (a, args, ctx) => {
      if (args.dimensions.length === 0 || args.dimensions.length > MAX_DIMENSIONS) {
        throw badInput(`argument "dimensions" must name 1 to ${MAX_DIMENSIONS} dimensions`, 'dimensions');
      }
      const top = args.top ?? DEFAULT_TOP;
      if (top < 1 || top > MAX_TOP) throw badInput(`argument "top" must be from 1 to ${MAX_TOP}, got ${top}`, 'top');
      const chosen: Array<{ kind: 'field' | 'tag'; name: string }> = [];
      for (const name of args.dimensions) {
        if (PORTRAIT_FIELDS.has(name)) {
          chosen.push({ kind: 'field', name });
          continue;
        }
        const tag = await ctx.loaders.tagByName.load(name);
        if (!tag || tag.status === 'deprecated') {
          throw badInput(`unknown dimension "${name}": use a member field (${[...PORTRAIT_FIELDS.keys()].join(', ')}) or a tag name`, 'dimensions');
        }
        if (!mayReadTag(ctx, tag.name, tag.category)) throw forbidden(`tags:read:${name}`);
        chosen.push({ kind: 'tag', name });
      }
      const out: PortraitDimension[] = [];
      for (const d of chosen) out.push(await portraitOf(ctx.db, tenantOf(ctx), a.name, d, top));
      return out;
    },
  }),
  versions: t.field({
    type: [AudienceVersionRef],
    description: 'every version, newest first, with who defined it and when',
    resolve: async (a, _args, ctx) => (await ctx.db.query<AudienceVersionRow>(
      `select version, source, label, dependencies, jsonb_array_length(uploaded_identities) as identity_count, created_by, created_at
         from audience_versions where tenant_id = $1 and name = $2 order by version desc`, [tenantOf(ctx), a.name])).rows,
  }),
}));

const AudienceDryRunRef = builder.objectRef<AudienceDryRun>('AudienceDryRun').implement({
  description: 'What defining the audience this way would do to its membership now',
  fields: (t) => ({
    size: t.exposeInt('size', { description: 'members the definition selects' }),
    entering: t.exposeInt('entering'),
    exiting: t.exposeInt('exiting'),
    staying: t.exposeInt('staying'),
  }),
});

builder.mutationFields((t) => ({
  defineAudience: t.field({
    type: AudienceRef,
    description: 'Defines an audience from one `audience` statement (new, or a new version); it is live at once and its refresh is queued. ' +
      'DSL_ERROR on a bad source. Needs audiences:write for the name',
    args: { source: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const name = audienceName(ctx, args.source);
      requireAudienceWrite(ctx, name);
      try {
        await defineAudience(ctx.db, tenantOf(ctx), args.source, actor(ctx));
      } catch (err) {
        throw lifecycleError(err, 'source');
      }
      return reload(ctx, name);
    },
  }),
  uploadAudience: t.field({
    type: AudienceRef,
    description: 'Makes the audience an uploaded list: members are those owning the identities, now (ENTERED/EXITED logged) ' +
      'and at every full refresh. Needs audiences:write for the name',
    args: { name: t.arg.string({ required: true }), identities: t.arg({ type: [IdentityInput], required: true }) },
    resolve: async (_root, args, ctx) => {
      requireAudienceWrite(ctx, args.name);
      let identities;
      try {
        // the same canonical form ingestion stores (+86 138-… → 138…, e-mails lower-cased), or they would never match
        identities = identityList(args.identities, 'identities');
      } catch (err) {
        if (err instanceof FieldError) throw badInput(err.message, 'identities');
        throw err;
      }
      try {
        await uploadAudience(ctx.db, tenantOf(ctx), args.name, identities, actor(ctx));
      } catch (err) {
        throw lifecycleError(err, 'identities');
      }
      return reload(ctx, args.name);
    },
  }),
}));

builder.queryField('dryRunAudience', (t) =>
  t.field({
    type: AudienceDryRunRef,
    description: 'Evaluates an audience statement for every member now and compares it with the current membership; writes nothing',
    args: { source: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireAudienceWrite(ctx, audienceName(ctx, args.source));
      try {
        return await dryRunAudience(ctx.db, tenantOf(ctx), args.source);
      } catch (err) {
        throw lifecycleError(err, 'source');
      }
    },
  }),
);
