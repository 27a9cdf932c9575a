import { builder } from './builder.js';
import { requireScope } from './guards.js';
import { ChannelEnum, channelToEnum } from './enums.js';
import { MemberRef } from './member.js';
import { connectionType, decodeCursor, encodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import type { EventRow } from './rows.js';
import { whenLoaded } from './loaders.js';

/** Cursor kind of event connections: the key is (occurred_at, id), newest first. */
const EVENT_CURSOR = 'e';

/** Event: a member's behaviour event. */
export const EventRef = builder.objectRef<EventRow>('Event').implement({
  description: 'A behaviour event (login, view_product, add_to_cart, ...) of a member',
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.exposeString('event_id', { description: 'the client-supplied id (a replay is a no-op)' }),
    name: t.exposeString('name'),
    channel: t.field({ type: ChannelEnum, nullable: true, resolve: (e) => channelToEnum(e.channel) as any }),
    occurredAt: t.field({ type: 'DateTime', resolve: (e) => e.occurred_at }),
    receivedAt: t.field({ type: 'DateTime', resolve: (e) => e.received_at }),
    properties: t.field({ type: 'JSON', resolve: (e) => e.properties }),
  }),
});

/** EventConnection / EventEdge, newest first. */
export const EventConnectionRef = connectionType('Event', EventRef);

builder.objectField(MemberRef, 'events', (t) =>
  t.field({
    type: EventConnectionRef,
    description: "The member's events, newest first; needs events:read",
    args: { ...pageArgs(t.arg) },
    resolve: (m, args, ctx) => {
      requireScope(ctx, 'events:read');
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, EVENT_CURSOR, ['timestamp', 'id']);
      const rows = limit === 0 ? [] : ctx.loaders.eventsByMember({ limit: limit + 1, after }).loadNow(m.member_id);
      return whenLoaded(rows, (loaded) => toConnection(loaded, limit, (e) => encodeCursor(EVENT_CURSOR, [e.k, e.id]),
        () => ctx.loaders.eventCountByMember.load(m.member_id)));
    },
  }),
);
