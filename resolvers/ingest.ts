import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { parseId } from './ids.js';
import { ChannelEnum, GenderEnum, IdentityKindEnum, OrderStatusEnum } from './enums.js';
import { MemberRef, loadMember } from './member.js';
import type { Context } from './context.js';
import { badInput, notFound, safeError, ErrorCode } from '../gateway/errors.js';
import { MAX_ROWS, importEvents, importMembers, importOrders } from '../connectors/ingest/pipeline.js';
import type { ImportRejection, ImportResult } from '../connectors/ingest/result.js';
import { importChannelOrders } from '../connectors/channels/index.js';
import { withRetry } from '../connectors/ingest/db.js';
import { mergeInto, MergeError } from '../connectors/identity/merge.js';
import { unmergeMember } from '../connectors/identity/unmerge.js';
import './ingest-upstream.js';

/** One identity of a member: `(kind, value)` is unique per tenant. */
export const IdentityInput = builder.inputType('IdentityInput', {
  fields: (t) => ({
    kind: t.field({ type: IdentityKindEnum, required: true }),
    value: t.string({ required: true, description: 'PHONE: 11-digit mainland mobile (+86 and separators are removed) or +country number' }),
  }),
});

const MemberInput = builder.inputType('MemberInput', {
  description: 'A member record. phone and email also become PHONE and EMAIL identities. Fields left out keep their stored value.',
  fields: (t) => ({
    identities: t.field({ type: [IdentityInput], required: true }),
    name: t.string(),
    gender: t.field({ type: GenderEnum }),
    birthday: t.string({ description: 'YYYY-MM-DD' }),
    phone: t.string(),
    email: t.string(),
    idCard: t.string({ description: 'national id; stored only as its SHA-256' }),
    province: t.string(),
    city: t.string(),
    registeredAt: t.field({ type: 'DateTime' }),
    registeredChannel: t.field({ type: ChannelEnum }),
    level: t.int(),
    points: t.int(),
    married: t.boolean(),
    hasChildren: t.boolean(),
    attributes: t.field({ type: 'JSON', description: 'merged into the stored attributes (keys given replace)' }),
  }),
});

const OrderItemInput = builder.inputType('OrderItemInput', {
  fields: (t) => ({
    sku: t.string({ required: true }),
    productName: t.string({ description: 'defaults to the sku' }),
    category: t.string({ description: 'defaults to "unknown"' }),
    quantity: t.int({ required: true }),
    price: t.float({ required: true, description: 'unit price, CNY' }),
  }),
});

const OrderInput = builder.inputType('OrderInput', {
  description: 'An order in the unified shape; (channel, channelOrderId) is its key: re-importing updates it',
  fields: (t) => ({
    channel: t.field({ type: ChannelEnum, required: true }),
    channelOrderId: t.string({ required: true }),
    identities: t.field({ type: [IdentityInput], required: true, description: 'the buyer' }),
    status: t.field({ type: OrderStatusEnum, description: 'defaults to PAID with paidAt, CREATED without' }),
    amount: t.float({ required: true, description: 'paid amount, CNY' }),
    discount: t.float({ description: 'CNY, default 0' }),
    createdAt: t.field({ type: 'DateTime', required: true }),
    paidAt: t.field({ type: 'DateTime' }),
    storeId: t.string(),
    items: t.field({ type: [OrderItemInput] }),
  }),
});

const EventInput = builder.inputType('EventInput', {
  description: 'A behaviour event; eventId is its key: re-sending an identical event is a duplicate',
  fields: (t) => ({
    eventId: t.string({ required: true }),
    name: t.string({ required: true }),
    channel: t.field({ type: ChannelEnum }),
    occurredAt: t.field({ type: 'DateTime', required: true }),
    identities: t.field({ type: [IdentityInput], required: true }),
    properties: t.field({ type: 'JSON' }),
  }),
});

const ImportRejectionRef = builder.objectRef<ImportRejection>('ImportRejection').implement({
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'position of the row in the call' }),
    message: t.exposeString('message', { description: 'names the field, e.g. orders[3].amount: must be >= 0' }),
  }),
});

const ImportResultRef = builder.objectRef<ImportResult>('ImportResult').implement({
  description: 'What happened to each row of an import call',
  fields: (t) => ({
    accepted: t.exposeInt('accepted', { description: 'rows stored: new, or changed since the last import' }),
    duplicates: t.exposeInt('duplicates', { description: 'rows identical to what is stored (or to a later row of the call)' }),
    held: t.exposeInt('held', { description: 'rows waiting for a member: only weak identities, none known yet' }),
    rejected: t.field({ type: [ImportRejectionRef], resolve: (r) => r.rejected }),
  }),
});

function checkSize(rows: readonly unknown[], argument: string): void {
  if (rows.length > MAX_ROWS) throw badInput(`argument "${argument}" has ${rows.length} rows; at most ${MAX_ROWS} per call`, argument);
}

/** The member an id answers for now: itself, or the survivor of a merge that absorbed it (loadMember). */
async function currentMemberId(ctx: Context, id: string, argument: string): Promise<string> {
  const member = await loadMember(ctx, id);
  if (!member) throw safeError(ErrorCode.NOT_FOUND, `member ${id} (argument "${argument}") not found`, { argument });
  return member.member_id;
}

function mergeFailure(err: unknown): never {
  if (err instanceof MergeError) throw safeError(ErrorCode[err.code], err.message);
  throw err;
}

builder.mutationFields((t) => ({
  importMembers: t.field({
    type: ImportResultRef,
    description: `Up to ${MAX_ROWS} member records; needs ingest`,
    args: { members: t.arg({ type: [MemberInput], required: true }) },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'ingest');
      checkSize(args.members, 'members');
      return importMembers(ctx.db, tenantOf(ctx), args.members);
    },
  }),
  importOrders: t.field({
    type: ImportResultRef,
    description: `Up to ${MAX_ROWS} orders in the unified shape; needs ingest`,
    args: { orders: t.arg({ type: [OrderInput], required: true }) },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'ingest');
      checkSize(args.orders, 'orders');
      return importOrders(ctx.db, tenantOf(ctx), args.orders);
    },
  }),
  importChannelOrders: t.field({
    type: ImportResultRef,
    description: `Up to ${MAX_ROWS} orders in a channel's own JSON (docs/connectors.md); needs ingest`,
    args: { channel: t.arg({ type: ChannelEnum, required: true }), payload: t.arg({ type: ['JSON'], required: true }) },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'ingest');
      checkSize(args.payload, 'payload');
      const result = importChannelOrders(ctx.db, tenantOf(ctx), args.channel, args.payload);
      if (!result) throw badInput(`argument "channel": no adapter for ${args.channel} orders (use importOrders)`, 'channel');
      return result;
    },
  }),
  track: t.field({
    type: ImportResultRef,
    description: `Up to ${MAX_ROWS} behaviour events; needs ingest`,
    args: { events: t.arg({ type: [EventInput], required: true }) },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'ingest');
      checkSize(args.events, 'events');
      return importEvents(ctx.db, tenantOf(ctx), args.events);
    },
  }),
  mergeMembers: t.field({
    type: MemberRef,
    description: 'Merges mergedId into survivorId (manual identity resolution); needs ingest',
    args: { survivorId: t.arg.id({ required: true }), mergedId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'ingest');
      const tenantId = tenantOf(ctx);
      const survivor = await currentMemberId(ctx, parseId(args.survivorId, 'survivorId'), 'survivorId');
      const merged = await currentMemberId(ctx, parseId(args.mergedId, 'mergedId'), 'mergedId');
      if (survivor === merged) throw badInput(`members ${args.survivorId} and ${args.mergedId} are already one member (${survivor})`, 'mergedId');
      await withRetry(ctx.db, () => mergeInto(ctx.db, tenantId, survivor, merged, 'manual: mergeMembers')).catch(mergeFailure);
      return (await loadMember(ctx, survivor)) ?? Promise.reject(notFound(`member ${survivor}`));
    },
  }),
  unmergeMembers: t.field({
    type: MemberRef,
    description: 'Undoes the latest merge that absorbed mergedId, from the merge log; returns the restored member; needs ingest',
    args: { mergedId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'ingest');
      const id = parseId(args.mergedId, 'mergedId');
      await withRetry(ctx.db, () => unmergeMember(ctx.db, tenantOf(ctx), id)).catch(mergeFailure);
      return (await loadMember(ctx, id)) ?? Promise.reject(notFound(`member ${id}`));
    },
  }),
}));
