import { builder } from './builder.js';
import { tenantOf } from './guards.js';
import { MemberRef } from './member.js';
import { connectionType, decodeCursor, encodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { mayReadTag, readFilter, tagFilterSql } from './tag-access.js';
import { TAG_COLUMNS, TAG_FROM, type TagRow, type TagValueRow } from './rows.js';
import { badInput, forbidden } from '../gateway/errors.js';
import { whenLoaded } from './loaders.js';
import { noteRead } from '../tenants/usage.js';
import type { Context } from './context.js';

const TAG_CURSOR = 't';
const STATUSES = ['draft', 'published', 'deprecated'];

/** Tag: a definition at its current version, with coverage from tag_values. */
export const TagRef = builder.objectRef<TagRow>('Tag').implement({
  description: 'A tag definition (its current version) and the state of its materialised values',
  fields: (t) => ({
    name: t.exposeString('name'),
    label: t.exposeString('label', { nullable: true }),
    category: t.exposeString('category', { nullable: true, description: 'a path such as 消费属性/价值' }),
    description: t.exposeString('description', { nullable: true }),
    type: t.exposeString('value_type', { description: 'boolean, number, string, date, timestamp or enum("a", ...)' }),
    source: t.exposeString('source', { description: 'the DSL text of the current version' }),
    version: t.exposeInt('current_version', { description: 'the current (latest) version' }),
    publishedVersion: t.exposeInt('published_version', { nullable: true }),
    status: t.exposeString('status', { description: 'draft, published or deprecated' }),
    owner: t.exposeString('owner', { nullable: true }),
    dependencies: t.exposeStringList('dependencies', { description: 'fields, collections, tags and audiences it reads' }),
    batchOnly: t.exposeBoolean('batch_only', { description: 'uses a population function: refreshed by full refresh only' }),
    coverage: t.int({ description: 'members with a value', resolve: (tag, _a, ctx) => ctx.loaders.tagCoverage.load(tag.name) }),
    lastRefreshedAt: t.field({ type: 'DateTime', nullable: true, resolve: (tag) => tag.last_refreshed_at }),
    createdAt: t.field({ type: 'DateTime', resolve: (tag) => tag.created_at }),
    updatedAt: t.field({ type: 'DateTime', resolve: (tag) => tag.updated_at }),
  }),
});

/** TagConnection / TagEdge, by name. */
export const TagConnectionRef = connectionType('Tag', TagRef);

/** TagValue: { name value } of Member.tags. */
export const TagValueRef = builder.objectRef<TagValueRow>('TagValue').implement({
  description: "A member's materialised value of one tag",
  fields: (t) => ({
    name: t.exposeString('tag_name'),
    value: t.field({ type: 'JSON', nullable: true, resolve: (v) => v.value }),
  }),
});

/** The tag `name` if it exists and the caller may read it; FORBIDDEN naming tags:read:NAME otherwise. */
export async function readableTag(ctx: Context, name: string): Promise<TagRow | null> {
  readFilter(ctx, 'tags:read');
  const tag = await ctx.loaders.tagByName.load(name);
  if (tag && !mayReadTag(ctx, tag.name, tag.category)) throw forbidden(`tags:read:${name}`);
  return tag;
}

builder.objectFields(MemberRef, (t) => ({
  tags: t.field({
    type: [TagValueRef],
    description: "The member's tag values (tags the caller may read; deprecated tags left out), by name",
    resolve: (m, _a, ctx) => {
      const filter = readFilter(ctx, 'tags:read');
      return whenLoaded(ctx.loaders.tagValuesByMember.loadNow(m.member_id), (values) => {
        const readable = filter.all ? values : values.filter((v) => mayReadTag(ctx, v.tag_name, v.category));
        // lineage: which tags this consumer actually read, not only the ones it named
        for (const v of readable) noteRead(ctx, `tag:${v.tag_name}`);
        return readable;
      });
    },
  }),
  tag: t.field({
    type: 'JSON',
    nullable: true,
    description: "The member's value of one tag; null when it has none",
    args: { name: t.arg.string({ required: true }) },
    resolve: async (m, args, ctx) => {
      const filter = readFilter(ctx, 'tags:read');
      const values = await ctx.loaders.tagValuesByMember.load(m.member_id);
      const found = values.find((v) => v.tag_name === args.name);
      if (!filter.all) {
        const category = found ? found.category : (await ctx.loaders.tagByName.load(args.name))?.category ?? null;
        if (!mayReadTag(ctx, args.name, category)) throw forbidden(`tags:read:${args.name}`);
      }
      return found ? found.value : null;
    },
  }),
}));

builder.queryFields((t) => ({
  tag: t.field({
    type: TagRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => readableTag(ctx, args.name),
  }),
  tags: t.field({
    type: TagConnectionRef,
    description: 'Tags by name; `category` keeps a category path and the paths below it; only tags the caller may read',
    args: { category: t.arg.string(), status: t.arg.string({ description: 'draft, published or deprecated' }), ...pageArgs(t.arg) },
    resolve: async (_root, args, ctx) => {
      const filter = readFilter(ctx, 'tags:read');
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, TAG_CURSOR, ['text']);
      const values: unknown[] = [tenantOf(ctx)];
      let where = 'd.tenant_id = $1';
      if (args.status != null) {
        if (!STATUSES.includes(args.status)) throw badInput(`argument "status" must be one of ${STATUSES.join(', ')}`, 'status');
        values.push(args.status);
        where += ` and d.status = $${values.length}`;
      }
      if (args.category != null) {
        values.push(args.category);
        where += ` and (v.category = $${values.length} or left(v.category, length($${values.length}) + 1) = $${values.length} || '/')`;
      }
      if (!filter.all) {
        values.push(filter.names);
        where += ` ${tagFilterSql(filter, values.length)}`;
      }
      const page = [...values];
      let keyset = '';
      if (after) {
        page.push(after[0]);
        keyset = `and d.name > $${page.length}`;
      }
      page.push(limit + 1);
      const rows = limit === 0 ? [] : (await ctx.db.query<TagRow>(
        `select ${TAG_COLUMNS} from ${TAG_FROM} where ${where} ${keyset} order by d.name limit $${page.length}`, page)).rows;
      for (const row of rows) ctx.loaders.tagByName.prime(row.name, row);
      return toConnection(rows, limit, (r) => encodeCursor(TAG_CURSOR, [r.name]), async () =>
        (await ctx.db.query<{ n: number }>(`select count(*)::int as n from ${TAG_FROM} where ${where}`, values)).rows[0].n);
    },
  }),
}));
