import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { MemberConnectionRef, MEMBER_CURSOR, memberCursor } from './member.js';
import { decodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { memberFilter, type MemberFilter } from './dsl-queries.js';
import type { Context } from './context.js';
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
      const after = decodeCursor(args.after, MEMBER_CURSOR, ['id'])?.[0] ?? 0;
      if (args.where == null) {
        const rows = limit === 0 ? [] : (await ctx.db.query<MemberRow>(
          `select ${MEMBER_COLUMNS} from members m where m.tenant_id = $1 and m.member_id > $2 order by m.member_id limit $3`,
          [tenantId, after, limit + 1])).rows;
        return toConnection(rows, limit, memberCursor, async () => (await ctx.db.query<{ n: number }>(
          'select count(*)::int as n from members m where m.tenant_id = $1', [tenantId])).rows[0].n);
      }
      const where = args.where;
      const asOf = args.asOf ?? new Date();
      const scoped = await memberFilter(ctx, where, asOf, 'where', 'members');
      const rows = limit === 0 ? [] : await filteredPage(ctx, tenantId, scoped, after, limit + 1);
      return toConnection(rows, limit, memberCursor, async () => {
        const all = await memberFilter(ctx, where, asOf, 'where');
        return (await ctx.db.query<{ n: number }>(`select count(*)::int as n from (${all.text}) f`, all.values)).rows[0].n;
      });
    },
  }),
);

/** Members a `where` page evaluates first, per member it needs; each next chunk is GROWTH times larger. */
const FIRST_CHUNK_PER_MEMBER = 4;
const GROWTH = 4;
const MAX_CHUNK = 200_000;

/**
 * The first `want` members after `after` (by id) for whom the filter holds. The filter is evaluated
 * for chunks of members in id order, growing (4 per member wanted, then x4 each round), until the
 * page is full or the members run out: a page of a common filter costs the members it reads, not
 * the tenant (3-5 s per page at 1,000,000 members and 10,000,000 orders when every page evaluated
 * the whole tenant), and a rare one costs at most about 4/3 of one evaluation of the tenant. A
 * filter that ranks the population (quintile) is evaluated once for all members.
 */
async function filteredPage(ctx: Context, tenantId: string, filter: MemberFilter, after: number | string, want: number): Promise<MemberRow[]> {
  const n = filter.next;
  const select = `select ${MEMBER_COLUMNS} from members m
    where m.tenant_id = $1 and m.member_id in (select member_id from (${filter.text}) f) and m.member_id > $${n} and m.member_id <= $${n + 1}
    order by m.member_id limit $${n + 2}`;
  const found: MemberRow[] = [];
  let from = after;
  let chunk = filter.batchOnly ? MAX_CHUNK : want * FIRST_CHUNK_PER_MEMBER;
  while (found.length < want) {
    const ids = (await ctx.db.query<{ member_id: string }>(
      'select member_id from members where tenant_id = $1 and member_id > $2 order by member_id limit $3', [tenantId, from, chunk])).rows
      .map((r) => r.member_id);
    if (ids.length === 0) break;
    const values = [...filter.values];
    values[2] = ids;
    const rows = (await ctx.db.query<MemberRow>(select, [...values, from, ids[ids.length - 1], want - found.length])).rows;
    found.push(...rows);
    if (ids.length < chunk) break;
    from = ids[ids.length - 1];
    chunk = Math.min(chunk * GROWTH, MAX_CHUNK);
  }
  return found;
}
