import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { MemberConnectionRef, MEMBER_CURSOR, memberCursor } from './member.js';
import { decodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { memberFilter } from './dsl-queries.js';
import { MEMBER_COLUMNS, type MemberRow } from './rows.js';

builder.queryField('members', (t) =>
  t.field({
    type: MemberConnectionRef,
    description: 'Members by id; `where` is a DSL boolean expression evaluated at `asOf` (default now), DSL_ERROR when it does not check',
    args: {
      where: t.arg.string({ description: 'e.g. level >= 2 and count(orders within 90 days) > 0' }),
      asOf: t.arg({ type: 'DateTime', description: 'evaluation time of `where` (windows, now(), ages)' }),
      ...pageArgs(t.arg),
    },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'members:read');
      const tenantId = tenantOf(ctx);
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, MEMBER_CURSOR, ['id']);
      // Without `where`: the members table alone. With it: the compiled filter as a semi-join.
      const f = args.where != null ? await memberFilter(ctx, args.where, args.asOf ?? new Date(), 'where') : null;
      const values: unknown[] = f ? f.values : [tenantId];
      const n = values.length;
      const filter = f ? `and m.member_id in (select member_id from (${f.text}) f)` : '';
      const rows = limit === 0 ? [] : (await ctx.db.query<MemberRow>(
        `select ${MEMBER_COLUMNS} from members m where m.tenant_id = $1 ${filter} and m.member_id > $${n + 1}
          order by m.member_id limit $${n + 2}`, [...values, after?.[0] ?? 0, limit + 1])).rows;
      return toConnection(rows, limit, memberCursor, async () => (await ctx.db.query<{ n: number }>(
        `select count(*)::int as n from members m where m.tenant_id = $1 ${filter}`, values)).rows[0].n);
    },
  }),
);
