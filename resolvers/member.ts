import { builder } from './builder.js';
import { tenantOf, requireScope, seesPii } from './guards.js';
import { parseId } from './ids.js';
import { channelToEnum, GenderEnum, IdentityKindEnum, ChannelEnum } from './enums.js';
import { maskEmail, maskName, maskPhone } from '../tenants/pii.js';
import type { IdentityRow } from './loaders.js';
import type { Context } from './context.js';

/** A members row as the resolvers read it. */
export interface MemberRow {
  member_id: string;
  name: string | null;
  gender: 'M' | 'F' | 'U';
  birthday: string | null;
  phone: string | null;
  email: string | null;
  province: string | null;
  city: string | null;
  registered_at: Date;
  registered_channel: string | null;
  level: number;
  points: number;
  married: boolean | null;
  has_children: boolean | null;
  attributes: Record<string, unknown>;
}

/** Columns every member query selects, in one place. */
export const MEMBER_COLUMNS = `m.member_id, m.name, m.gender, to_char(m.birthday, 'YYYY-MM-DD') as birthday, m.phone, m.email,
  m.province, m.city, m.registered_at, m.registered_channel, m.level, m.points, m.married, m.has_children, m.attributes`;

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
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.created_at }),
  }),
});

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
    level: t.exposeInt('level'),
    points: t.exposeInt('points'),
    married: t.exposeBoolean('married', { nullable: true }),
    hasChildren: t.exposeBoolean('has_children', { nullable: true }),
    attributes: t.field({ type: 'JSON', resolve: (m) => m.attributes }),
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
        and m.member_id = coalesce((select a.member_id from member_aliases a where a.tenant_id = $1 and a.alias_id = $2), $2)`,
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
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'members:read');
      return loadMember(ctx, parseId(args.id, 'id'));
    },
  }),
);
