import { builder } from './builder.js';
import { tenantOf, requireScope, seesPii } from './guards.js';
import { parseId } from './ids.js';
import { channelToEnum, GenderEnum, IdentityKindEnum, ChannelEnum } from './enums.js';
import { maskEmail, maskName, maskPhone } from '../tenants/pii.js';
import type { IdentityRow } from './loaders.js';
import type { Context } from './context.js';
import { MEMBER_COLUMNS, survivorOf, type MemberRow } from './rows.js';
import { connectionType, encodeCursor } from './connection.js';
import { loadMemberPage } from './member-page.js';

/** Re-exported for the files that read members (rows.ts holds them). */
export { MEMBER_COLUMNS, type MemberRow };

/** Identity: (kind, value) pointing at the member; PHONE and EMAIL values masked without pii. */
export const IdentityRef = builder.objectRef<IdentityRow>('Identity').implement({
  fields: (t) => ({
    kind: t.field({ type: IdentityKindEnum, resolve: (r) => r.kind as any }),
    value: t.string({
      description: 'masked without the pii scope for PHONE and EMAIL',
      resolve: (r, _a, ctx) => {
        if (seesPii(ctx)) return r.value;
        if (r.kind === 'PHONE') return maskPhone(r.value)!;
        if (r.kind === 'EMAIL') return maskEmail(r.value)!;
        return r.value;
      },
    }),
    channel: t.field({ type: ChannelEnum, nullable: true, description: 'where the identity was first seen',
      resolve: (r) => channelToEnum(r.channel) as any }),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.created_at }),
  }),
});

/** Member: fields of data-model.md in camelCase; children are added by order.ts, event.ts, tag.ts, audience.ts. */
export const MemberRef = builder.objectRef<MemberRow>('Member');

MemberRef.implement({
  description: 'One real person, unified across channels',
  fields: (t) => ({
    id: t.id({ resolve: (m) => m.member_id }),
    name: t.string({ nullable: true, description: 'PII: masked as 张* without the pii scope',
      resolve: (m, _a, ctx) => (seesPii(ctx) ? m.name : maskName(m.name)) }),
    gender: t.field({ type: GenderEnum, resolve: (m) => m.gender }),
    birthday: t.string({ nullable: true, description: 'YYYY-MM-DD; PII: null without the pii scope',
      resolve: (m, _a, ctx) => (seesPii(ctx) ? m.birthday : null) }),
    phone: t.string({ nullable: true, description: 'PII: masked as 138****5678 without the pii scope',
      resolve: (m, _a, ctx) => (seesPii(ctx) ? m.phone : maskPhone(m.phone)) }),
    email: t.string({ nullable: true, description: 'PII: masked as a***@example.com without the pii scope',
      resolve: (m, _a, ctx) => (seesPii(ctx) ? m.email : maskEmail(m.email)) }),
    province: t.exposeString('province', { nullable: true }),
    city: t.exposeString('city', { nullable: true }),
    registeredAt: t.field({ type: 'DateTime', resolve: (m) => m.registered_at }),
    registeredChannel: t.field({ type: ChannelEnum, nullable: true, resolve: (m) => channelToEnum(m.registered_channel) as any }),
    level: t.exposeInt('level', { description: 'membership level, 0 = none' }),
    points: t.exposeInt('points', { description: 'loyalty points' }),
    married: t.exposeBoolean('married', { nullable: true }),
    hasChildren: t.exposeBoolean('has_children', { nullable: true }),
    attributes: t.field({ type: 'JSON', description: 'free-form per-tenant attributes', resolve: (m) => m.attributes }),
    age: t.exposeInt('age', { nullable: true, description: 'whole years since the birthday, today (UTC, as the DSL by default)' }),
    daysUntilBirthday: t.exposeInt('days_until_birthday', { nullable: true, description: 'days to the next birthday, 0..365 (UTC)' }),
    hasIdCard: t.exposeBoolean('has_id_card', { description: 'a national id is on file (it is stored hashed and never returned)' }),
    identities: t.field({
      type: [IdentityRef],
      resolve: (m, _a, ctx) => ctx.loaders.identitiesByMember.load(m.member_id),
    }),
  }),
});

/** Loads a member by id, following a merged-away id to its survivor. */
export async function loadMember(ctx: Context, id: string): Promise<MemberRow | null> {
  const r = await ctx.db.query<MemberRow>(
    `select ${MEMBER_COLUMNS} from members m
      where m.tenant_id = $1
        and m.member_id = ${survivorOf('$1', '$2')}`,
    [tenantOf(ctx), id],
  );
  return r.rows[0] ?? null;
}

builder.queryField('member', (t) =>
  t.field({
    type: MemberRef,
    nullable: true,
    description: 'A member by id; a merged-away id returns the survivor',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx, info) => {
      requireScope(ctx, 'members:read');
      return loadMemberPage(ctx, parseId(args.id, 'id'), info);
    },
  }),
);

builder.queryField('memberByIdentity', (t) =>
  t.field({
    type: MemberRef,
    nullable: true,
    description: 'The member an identity (phone, openid, ...) points at; null when none',
    args: {
      kind: t.arg({ type: IdentityKindEnum, required: true }),
      value: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'members:read');
      const r = await ctx.db.query<MemberRow>(
        `select ${MEMBER_COLUMNS} from members m
          where m.tenant_id = $1
            and m.member_id = (select coalesce(a.member_id, i.member_id) from identities i
                                 left join member_aliases a on a.tenant_id = i.tenant_id and a.alias_id = i.member_id
                                where i.tenant_id = $1 and i.kind = $2 and i.value = $3)`,
        [tenantOf(ctx), args.kind, args.value],
      );
      return r.rows[0] ?? null;
    },
  }),
);

/** Member pages (Query.members, Audience.members, ...): keyset on member_id, ascending. */
export const MemberConnectionRef = connectionType('Member', MemberRef);
/** Cursor kind of member connections and the cursor of a member row. */
export const MEMBER_CURSOR = 'm';
export const memberCursor = (m: MemberRow) => encodeCursor(MEMBER_CURSOR, [m.member_id]);
