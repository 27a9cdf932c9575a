import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { AudienceChangeKindEnum } from './enums.js';
import { MemberRef } from './member.js';
import { badInput, notFound } from '../gateway/errors.js';
import { decodeChangeCursor, encodeChangeCursor } from '../connectors/changes/cursor.js';
import { readChanges, type ChangeRow } from '../connectors/changes/change-log.js';
import type { Context } from './context.js';

/** A subscriber paused longer than this on one message is closed and told to resume from its cursor. */
export const SLOW_SUBSCRIBER_MS = Number(process.env.CDP_SLOW_SUBSCRIBER_MS ?? 30_000);
/** Close code for a subscriber that does not keep up (application range 4500-4999). */
export const SLOW_SUBSCRIBER_CLOSE = 4508;
const PAGE = 500;

export const AudienceChangeRef = builder.objectRef<ChangeRow>('AudienceChange').implement({
  fields: (t) => ({
    cursor: t.string({ description: 'resume point: pass it as `after`', resolve: (c) => encodeChangeCursor(c.seq) }),
    kind: t.field({ type: AudienceChangeKindEnum, resolve: (c) => c.kind }),
    memberId: t.id({ resolve: (c) => c.member_id }),
    member: t.field({
      type: MemberRef,
      nullable: true,
      description: 'the member now (a merged-away id resolves to its survivor); needs members:read',
      resolve: (c, _a, ctx) => {
        requireScope(ctx, 'members:read');
        return ctx.loaders.memberById.load(c.member_id); // batched: one statement per page of changes
      },
    }),
    at: t.field({ type: 'DateTime', resolve: (c) => c.at }),
  }),
});

/** Parses an `after` cursor argument; null/absent means from the start of the log. */
export function afterSeq(after: string | null | undefined, argument = 'after'): string {
  if (after == null || after === '') return '0';
  const seq = decodeChangeCursor(after);
  if (seq === null) throw badInput(`argument "${argument}" is not a change cursor`, argument);
  return seq;
}

async function assertAudience(ctx: Context, tenantId: string, audience: string): Promise<void> {
  const r = await ctx.db.query('select 1 from audiences where tenant_id = $1 and name = $2', [tenantId, audience]);
  if (r.rowCount === 0) throw notFound(`audience "${audience}"`);
}

/**
 * Replays the log after the cursor, then follows it live: one loop reads pages in cursor order from
 * the last delivered seq and, when it has caught up, waits for a wake-up (or the safety poll). The
 * replay and the live part are the same read, so there is no seam to lose or repeat a change at.
 */
async function* followChanges(ctx: Context, tenantId: string, audience: string, after: string): AsyncGenerator<ChangeRow> {
  let cursor = after;
  const stop = new AbortController();
  try {
    for (;;) {
      const rows = await readChanges(ctx.db, tenantId, audience, cursor, PAGE);
      for (const row of rows) {
        // graphql-ws awaits each send before pulling the next change: a slow socket pauses this
        // loop (backpressure). Paused too long, the subscriber is closed and resumes from its cursor.
        const watchdog = setTimeout(() => {
          ctx.connection?.close(SLOW_SUBSCRIBER_CLOSE, `slow subscriber: resume with after = last cursor received`);
          stop.abort();
        }, SLOW_SUBSCRIBER_MS);
        try {
          yield row;
        } finally {
          clearTimeout(watchdog);
        }
        if (stop.signal.aborted) return;
        cursor = row.seq;
      }
      if (rows.length < PAGE) await ctx.services.changes.wait(tenantId, audience, stop.signal);
    }
  } finally {
    stop.abort();
  }
}

builder.subscriptionType({});

builder.subscriptionField('audienceChanges', (t) =>
  t.field({
    type: AudienceChangeRef,
    description: 'ENTERED / EXITED / MERGED changes of an audience after `after`, then live; needs audiences:subscribe[:name]',
    args: { audience: t.arg.string({ required: true }), after: t.arg.string() },
    subscribe: async (_root, args, ctx) => {
      requireScope(ctx, 'audiences:subscribe', args.audience);
      const tenantId = tenantOf(ctx);
      const seq = afterSeq(args.after);
      await assertAudience(ctx, tenantId, args.audience);
      return followChanges(ctx, tenantId, args.audience, seq);
    },
    resolve: (change) => change,
  }),
);
