import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { AudienceChangeRef, afterSeq } from './subscription.js';
import { encodeChangeCursor } from '../connectors/changes/cursor.js';
import { readChanges } from '../connectors/changes/change-log.js';
import { MemberRef, MemberConnectionRef, MEMBER_CURSOR, memberCursor } from './member.js';
import { connectionType, decodeCursor, encodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { mayReadAudience, readFilter } from './tag-access.js';
import { AUDIENCE_COLUMNS, AUDIENCE_FROM, MEMBER_COLUMNS, type AudienceRow, type MemberRow } from './rows.js';
import { forbidden } from '../gateway/errors.js';
import type { Context } from './context.js';

const AUDIENCE_CURSOR = 'a';

const AudienceChangeConnectionRef = connectionType('AudienceChange', AudienceChangeRef);

/** Audience: definition at its current version, materialised size, members and change log. */
export const AudienceRef = builder.objectRef<AudienceRow>('Audience').implement({
  description: 'A named set of members, from a DSL definition or an uploaded list, materialised',
  fields: (t) => ({
    name: t.exposeString('name'),
    label: t.exposeString('label', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    kind: t.exposeString('definition_kind', { description: 'dsl or upload' }),
    definition: t.exposeString('source', { nullable: true, description: 'the DSL source of the current version; null for an uploaded list' }),
    version: t.exposeInt('current_version'),
    status: t.exposeString('status', { description: 'draft, published or deprecated' }),
    owner: t.exposeString('owner', { nullable: true }),
    dependencies: t.exposeStringList('dependencies'),
    size: t.int({ description: 'members now in the audience (materialised)', resolve: (a) => Number(a.size) }),
    lastRefreshedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.last_refreshed_at }),
    members: t.field({
      type: MemberConnectionRef,
      description: 'members of the audience by id; needs members:read',
      args: { ...pageArgs(t.arg) },
      resolve: async (a, args, ctx) => {
        requireScope(ctx, 'members:read');
        const limit = pageSize(args.first);
        const after = decodeCursor(args.after, MEMBER_CURSOR, ['id']);
        const rows = limit === 0 ? [] : (await ctx.db.query<MemberRow>(
          `select ${MEMBER_COLUMNS} from audience_members am
             join members m on m.tenant_id = am.tenant_id and m.member_id = am.member_id
            where am.tenant_id = $1 and am.audience_name = $2 and am.member_id > $3
            order by am.member_id limit $4`,
          [tenantOf(ctx), a.name, after?.[0] ?? 0, limit + 1])).rows;
        return toConnection(rows, limit, memberCursor, async () => (await ctx.db.query<{ n: number }>(
          'select count(*)::int as n from audience_members where tenant_id = $1 and audience_name = $2', [tenantOf(ctx), a.name])).rows[0].n);
      },
    }),
    changes: t.field({
      type: AudienceChangeConnectionRef,
      description: 'the change log in order (the log the audienceChanges subscription streams); `after` is a change cursor',
      args: { after: t.arg.string(), first: t.arg.int() },
      resolve: async (a, args, ctx) => {
        const limit = pageSize(args.first);
        const after = afterSeq(args.after);
        const rows = limit === 0 ? [] : await readChanges(ctx.db, tenantOf(ctx), a.name, after, limit + 1);
        return toConnection(rows, limit, (c) => encodeChangeCursor(c.seq), async () => (await ctx.db.query<{ n: number }>(
          'select count(*)::int as n from audience_changes where tenant_id = $1 and audience_name = $2', [tenantOf(ctx), a.name])).rows[0].n);
      },
    }),
  }),
});

const AudienceConnectionRef = connectionType('Audience', AudienceRef);

/** The audience `name` if it exists and the caller may read it; FORBIDDEN naming audiences:read:NAME otherwise. */
export async function readableAudience(ctx: Context, name: string): Promise<AudienceRow | null> {
  readFilter(ctx, 'audiences:read');
  if (!mayReadAudience(ctx, name)) throw forbidden(`audiences:read:${name}`);
  return ctx.loaders.audienceByName.load(name);
}

builder.objectField(MemberRef, 'inAudience', (t) =>
  t.boolean({
    description: 'true when the member is in the audience now (materialised membership); needs audiences:read',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (m, args, ctx) => {
      if (!mayReadAudience(ctx, args.name)) throw forbidden(`audiences:read:${args.name}`);
      return (await ctx.loaders.audiencesByMember.load(m.member_id)).has(args.name);
    },
  }),
);

builder.queryFields((t) => ({
  audience: t.field({
    type: AudienceRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => readableAudience(ctx, args.name),
  }),
  audiences: t.field({
    type: AudienceConnectionRef,
    description: 'Audiences by name (only those the caller may read)',
    args: { ...pageArgs(t.arg) },
    resolve: async (_root, args, ctx) => {
      const filter = readFilter(ctx, 'audiences:read');
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, AUDIENCE_CURSOR, ['text']);
      const values: unknown[] = [tenantOf(ctx)];
      let where = 'a.tenant_id = $1';
      if (!filter.all) {
        values.push(filter.names);
        where += ` and a.name = any($${values.length}::text[])`;
      }
      const page = [...values, after?.[0] ?? null, limit + 1];
      const rows = limit === 0 ? [] : (await ctx.db.query<AudienceRow>(
        `select ${AUDIENCE_COLUMNS} from ${AUDIENCE_FROM} where ${where} and ($${page.length - 1}::text is null or a.name > $${page.length - 1})
          order by a.name limit $${page.length}`, page)).rows;
      for (const row of rows) ctx.loaders.audienceByName.prime(row.name, row);
      return toConnection(rows, limit, (r) => encodeCursor(AUDIENCE_CURSOR, [r.name]), async () =>
        (await ctx.db.query<{ n: number }>(`select count(*)::int as n from audiences a where ${where}`, values)).rows[0].n);
    },
  }),
}));
