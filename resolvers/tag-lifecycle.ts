import { builder } from './builder.js';
import { tenantOf } from './guards.js';
import { TagRef } from './tag.js';
import { dslError } from './dsl-queries.js';
import { mayReadAudience, readFilter } from './tag-access.js';
import { hasAnyScope, hasScope } from '../tenants/scopes.js';
import { ErrorCode, badInput, forbidden, notFound, safeError } from '../gateway/errors.js';
import { parseDefinitions } from '../dsl/index.js';
import { defineTag, deprecateTag, publishTag, tagVersions, type TagVersionRow } from '../connectors/tags/lifecycle.js';
import { LifecycleError } from '../connectors/tags/lifecycle-error.js';
import { publishedDependants } from '../connectors/tags/dependants.js';
import { categoryTree, type CategoryNode } from '../connectors/tags/categories.js';
import { dryRunTag, type TagDryRun } from '../connectors/tags/dry-run.js';
import type { TagRow } from './rows.js';
import type { Context } from './context.js';

/**
 * Tag authoring: defineTag / publishTag / deprecateTag, the version history and dependants of a
 * tag, the dry run of a draft against the materialised values, and the category tree.
 */

/** A lifecycle refusal as the client sees it: DSL_ERROR with the positioned errors, NOT_FOUND, or BAD_USER_INPUT. */
export function lifecycleError(err: unknown, argument?: string): unknown {
  if (!(err instanceof LifecycleError)) return err;
  if (err.reason === 'DSL_ERROR') return dslError(err.errors, argument);
  if (err.reason === 'NOT_FOUND') return safeError(ErrorCode.NOT_FOUND, err.message);
  return badInput(err.message, argument);
}

/** FORBIDDEN (naming tags:write:NAME) unless the caller may write the tag by its name or category. */
export function requireTagWrite(ctx: Context, name: string, category: string | null): void {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  if (hasScope(granted, 'tags:write', name) || (category !== null && hasScope(granted, 'tags:write', category))) return;
  throw forbidden(`tags:write:${name}`);
}

async function writableTag(ctx: Context, name: string): Promise<TagRow> {
  if (ctx.principal.kind !== 'consumer' || !hasAnyScope(ctx.principal.scopes, 'tags:write')) throw forbidden('tags:write');
  const tag = await ctx.loaders.tagByName.load(name);
  requireTagWrite(ctx, name, tag?.category ?? null);
  if (!tag) throw notFound(`tag "${name}"`);
  return tag;
}

/** The tag as stored now (the request's loader may hold the row from before the write). */
async function reload(ctx: Context, name: string): Promise<TagRow> {
  ctx.loaders.tagByName.clear(name);
  const tag = await ctx.loaders.tagByName.load(name);
  if (!tag) throw notFound(`tag "${name}"`);
  return tag;
}

const actor = (ctx: Context) => (ctx.principal.kind === 'consumer' ? ctx.principal.consumerName : 'unknown');

const TagVersionRef = builder.objectRef<TagVersionRow>('TagVersion').implement({
  description: 'One stored version of a tag: every change of source is a new version',
  fields: (t) => ({
    version: t.exposeInt('version'),
    source: t.exposeString('source'),
    type: t.exposeString('value_type'),
    label: t.exposeString('label', { nullable: true }),
    category: t.exposeString('category', { nullable: true }),
    dependencies: t.exposeStringList('dependencies'),
    batchOnly: t.exposeBoolean('batch_only'),
    createdBy: t.exposeString('created_by', { nullable: true, description: 'the consumer whose token defined it' }),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.created_at }),
  }),
});

builder.objectFields(TagRef, (t) => ({
  versions: t.field({
    type: [TagVersionRef],
    description: 'every version, newest first, with who defined it and when',
    resolve: (tag, _a, ctx) => tagVersions(ctx.db, tenantOf(ctx), tag.name),
  }),
  dependants: t.stringList({
    description: 'published definitions that read this tag ("tag:x", "audience:y"; audiences the caller may read); it cannot be deprecated while there are any',
    resolve: async (tag, _a, ctx) => (await publishedDependants(ctx.db, tenantOf(ctx), `tag:${tag.name}`))
      .filter((key) => !key.startsWith('audience:') || mayReadAudience(ctx, key.slice('audience:'.length))),
  }),
  unpublishedChanges: t.boolean({
    description: 'the current version is not the published one (publishTag makes it live)',
    resolve: (tag) => tag.published_version !== tag.current_version,
  }),
}));

const TagDryRunRef = builder.objectRef<TagDryRun>('TagDryRun').implement({
  description: "What publishing the tag's current version would do to its materialised values, member by member",
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'the version evaluated (the current one)' }),
    publishedVersion: t.exposeInt('publishedVersion', { nullable: true, description: 'the version materialised now' }),
    gained: t.exposeInt('gained', { description: 'members that would get a value' }),
    lost: t.exposeInt('lost', { description: 'members that would lose their value' }),
    changed: t.exposeInt('changed', { description: 'members whose value would differ' }),
    unchanged: t.exposeInt('unchanged', { description: 'members whose value would stay' }),
  }),
});

const TagCategoryRef = builder.objectRef<CategoryNode>('TagCategory');
TagCategoryRef.implement({
  description: 'A node of the tag category tree (categories are paths such as 消费属性/价值)',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'the last segment' }),
    path: t.exposeString('path'),
    tagCount: t.exposeInt('tagCount', { description: 'tags here or below (deprecated left out)' }),
    ownTagCount: t.exposeInt('ownTagCount', { description: 'tags whose category is exactly this path' }),
    children: t.field({ type: [TagCategoryRef], resolve: (c) => c.children }),
  }),
});

builder.mutationFields((t) => ({
  defineTag: t.field({
    type: TagRef,
    description: 'Defines a tag from one `tag` statement: a new tag (draft) or a new version of one; DSL_ERROR with extensions.errors on a bad source. Needs tags:write for the name or category',
    args: { source: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      if (ctx.principal.kind !== 'consumer' || !hasAnyScope(ctx.principal.scopes, 'tags:write')) throw forbidden('tags:write');
      const parsed = parseDefinitions(args.source);
      if (parsed.errors.length > 0) throw dslError(parsed.errors, 'source');
      const statement = parsed.statements[0];
      if (parsed.statements.length !== 1 || statement.kind !== 'TagStatement') {
        throw badInput('argument "source" must hold exactly one tag statement (`tag NAME: TYPE = ...`)', 'source');
      }
      const existing = await ctx.loaders.tagByName.load(statement.name.text);
      requireTagWrite(ctx, statement.name.text, statement.category?.value ?? null);
      if (existing) requireTagWrite(ctx, statement.name.text, existing.category);
      try {
        const { name } = await defineTag(ctx.db, tenantOf(ctx), args.source, actor(ctx));
        return reload(ctx, name);
      } catch (err) {
        throw lifecycleError(err, 'source');
      }
    },
  }),
  publishTag: t.field({
    type: TagRef,
    description: 'Publishes the current version and queues its refresh (and that of everything reading it); refused while a dependency is unpublished',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await writableTag(ctx, args.name);
      try {
        await publishTag(ctx.db, tenantOf(ctx), args.name, actor(ctx));
      } catch (err) {
        throw lifecycleError(err, 'name');
      }
      return reload(ctx, args.name);
    },
  }),
  deprecateTag: t.field({
    type: TagRef,
    description: 'Stops refreshing a tag and hides it from new definitions; BAD_USER_INPUT naming the published tags and audiences that still read it',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await writableTag(ctx, args.name);
      try {
        await deprecateTag(ctx.db, tenantOf(ctx), args.name);
      } catch (err) {
        throw lifecycleError(err, 'name');
      }
      return reload(ctx, args.name);
    },
  }),
}));

builder.queryFields((t) => ({
  dryRunTag: t.field({
    type: TagDryRunRef,
    description: "Compares the tag's current version, evaluated now for every member, with its materialised values; writes nothing. Needs tags:write for the tag",
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await writableTag(ctx, args.name);
      try {
        return await dryRunTag(ctx.db, tenantOf(ctx), args.name);
      } catch (err) {
        throw lifecycleError(err, 'name');
      }
    },
  }),
  tagCategories: t.field({
    type: [TagCategoryRef],
    description: 'The category tree of the tags the caller may read, with counts',
    resolve: (_root, _args, ctx) => {
      const filter = readFilter(ctx, 'tags:read');
      return categoryTree(ctx.db, tenantOf(ctx), filter.all ? null : filter.names);
    },
  }),
}));
