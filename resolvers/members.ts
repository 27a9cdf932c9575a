import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { MemberConnectionRef, MEMBER_CURSOR, memberCursor } from './member.js';
import { decodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { MEMBER_COLUMNS, type MemberRow } from './rows.js';

builder.queryField('members', (t) =>
  t.field({
    type: MemberConnectionRef,
    description: 'Members by id',
    args: { ...pageArgs(t.arg) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'members:read');
      const tenantId = tenantOf(ctx);
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, MEMBER_CURSOR, ['id']);
      const rows = limit === 0 ? [] : (await ctx.db.query<MemberRow>(
        `select ${MEMBER_COLUMNS} from members m where m.tenant_id = $1 and m.member_id > $2 order by m.member_id limit $3`,
        [tenantId, after?.[0] ?? 0, limit + 1])).rows;
      return toConnection(rows, limit, memberCursor, async () =>
        (await ctx.db.query<{ n: number }>('select count(*)::int as n from members where tenant_id = $1', [tenantId])).rows[0].n);
    },
  }),
);
