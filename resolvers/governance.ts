import { isObjectType, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { requireScope, tenantOf } from './guards.js';
import { ViewerRef } from './viewer.js';
import { connectionType, decodeCursor, encodeCursor, pageArgs, pageSize, toConnection } from './connection.js';
import { badInput } from '../gateway/errors.js';
import { listConsumers, listTokens, type ConsumerRow, type TokenRow } from '../tenants/tokens.js';
import { auditCount, auditPage, lineageOf, normalizeNode, unusedNodes, type AuditRow, type LineageNode, type LineageResult, type UnusedNode } from '../tenants/lineage.js';
import { requestBudget, type RequestBudget } from '../tenants/rate-limit.js';

/** Governance reads for tenant admins (scope admin): tokens, consumers, lineage, unused nodes, audit log. */

const TokenRef = builder.objectRef<TokenRow>('Token').implement({
  description: 'A token of the tenant as admins see it: never its secret',
  fields: (t) => ({
    id: t.exposeID('token_id'),
    consumer: t.exposeString('consumer_name'),
    prefix: t.exposeString('prefix', { description: 'the first characters of the secret, to recognise it' }),
    scopes: t.exposeStringList('scopes'),
    ratePerMinute: t.exposeInt('rate_per_minute', { description: 'cost points per minute' }),
    status: t.exposeString('status', { description: 'active or revoked' }),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.created_at }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, description: 'written at most once a minute per token and process', resolve: (k) => k.last_used_at }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revoked_at }),
  }),
});

const ConsumerRef = builder.objectRef<ConsumerRow>('Consumer').implement({
  description: 'A downstream application holding tokens',
  fields: (t) => ({
    id: t.exposeID('consumer_id'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.created_at }),
    activeTokens: t.exposeInt('active_tokens'),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, description: 'latest use of any of its tokens', resolve: (c) => c.last_used_at }),
    lastReadAt: t.field({ type: 'DateTime', nullable: true, description: 'latest recorded read', resolve: (c) => c.last_read_at }),
    reads: t.float({ description: 'reads recorded for lineage (one per node per request)', resolve: (c) => Number(c.reads) }),
  }),
});

const LineageNodeRef = builder.objectRef<LineageNode>('LineageNode').implement({
  fields: (t) => ({
    id: t.exposeString('id', { description: '"tag:NAME", "audience:NAME", "field:Type.field", "collection:orders", "consumer:NAME"' }),
    kind: t.exposeString('kind'),
    name: t.exposeString('name'),
    reads: t.float({ nullable: true, description: 'for consumer edges: reads recorded', resolve: (n) => n.reads }),
    lastSeen: t.field({ type: 'DateTime', nullable: true, description: 'for consumer edges: last read', resolve: (n) => n.lastSeen }),
  }),
});

const LineageRef = builder.objectRef<LineageResult>('Lineage').implement({
  description: 'What a node is computed from (upstream) and what uses it (downstream)',
  fields: (t) => ({
    node: t.field({ type: LineageNodeRef, resolve: (l) => l.node }),
    upstream: t.field({ type: [LineageNodeRef], resolve: (l) => l.upstream }),
    downstream: t.field({ type: [LineageNodeRef], resolve: (l) => l.downstream }),
  }),
});

const UnusedNodeRef = builder.objectRef<UnusedNode>('UnusedNode').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    kind: t.exposeString('kind'),
    name: t.exposeString('name'),
    lastSeen: t.field({ type: 'DateTime', nullable: true, description: 'last use ever recorded; null for never', resolve: (n) => n.lastSeen }),
  }),
});

const AuditEntryRef = builder.objectRef<AuditRow>('AuditEntry').implement({
  description: 'One write or admin action',
  fields: (t) => ({
    id: t.exposeID('audit_id'),
    actor: t.exposeString('actor', { description: 'consumer name, or platform-root' }),
    tokenId: t.exposeID('token_id', { nullable: true }),
    action: t.exposeString('action', { description: 'the mutation' }),
    target: t.exposeString('target', { nullable: true }),
    args: t.field({ type: 'JSON', nullable: true, description: 'argument summary: secrets redacted, bulk lists as counts', resolve: (a) => a.args }),
    before: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.before }),
    after: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.after }),
    outcome: t.exposeString('outcome', { description: 'ok, or the error code the caller got' }),
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
  }),
});

const AuditConnection = connectionType('AuditEntry', AuditEntryRef);

const RateLimitRef = builder.objectRef<RequestBudget>('RateLimit').implement({
  description: "The calling token's cost budget after this request was charged",
  fields: (t) => ({
    limit: t.exposeInt('limit', { description: 'cost points per minute' }),
    remaining: t.exposeInt('remaining'),
    resetAt: t.field({ type: 'DateTime', description: 'when the budget is full again', resolve: (b) => b.resetAt }),
    cost: t.exposeInt('cost', { description: 'what this request cost' }),
  }),
});

builder.objectField(ViewerRef, 'rateLimit', (t) =>
  t.field({
    type: RateLimitRef,
    nullable: true,
    description: 'null only where a request is not charged up front (websocket subscriptions)',
    resolve: (_v, _a, ctx) => requestBudget(ctx) ?? null,
  }),
);

/** Schema coordinates that count for unused-field reports: fields of object types, not introspection. */
function fieldCoordinates(schema: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const f of Object.keys(type.getFields())) out.push(`${type.name}.${f}`);
  }
  return out.sort();
}

builder.queryFields((t) => ({
  tokens: t.field({
    type: [TokenRef],
    description: "Admin: the tenant's tokens, newest first (never their secrets)",
    args: { consumer: t.arg.string(), includeRevoked: t.arg.boolean({ defaultValue: false }) },
    resolve: (_r, args, ctx) => {
      requireScope(ctx, 'admin');
      return listTokens(ctx.db, tenantOf(ctx), { consumer: args.consumer, includeRevoked: args.includeRevoked ?? false });
    },
  }),
  consumers: t.field({
    type: [ConsumerRef],
    description: "Admin: the tenant's consumers",
    resolve: (_r, _a, ctx) => {
      requireScope(ctx, 'admin');
      return listConsumers(ctx.db, tenantOf(ctx));
    },
  }),
  lineage: t.field({
    type: LineageRef,
    description: 'Admin: upstream and downstream of "tag:NAME", "audience:NAME", "field:Member.phone", "collection:orders" or "consumer:NAME"',
    args: { node: t.arg.string({ required: true }) },
    resolve: (_r, { node }, ctx) => {
      requireScope(ctx, 'admin');
      if (!normalizeNode(node)) throw badInput('argument "node" must be "tag:NAME", "audience:NAME", "field:Type.field", "collection:NAME" or "consumer:NAME"', 'node');
      return lineageOf(ctx.db, tenantOf(ctx), node);
    },
  }),
  unusedNodes: t.field({
    type: [UnusedNodeRef],
    description: 'Admin: consumers, schema fields, published tags and audiences nobody used in the last `days` days (zombies)',
    args: { days: t.arg.int({ required: true }) },
    resolve: (_r, { days }, ctx, info) => {
      requireScope(ctx, 'admin');
      if (days < 1 || days > 3650) throw badInput('argument "days" must be from 1 to 3650', 'days');
      return unusedNodes(ctx.db, tenantOf(ctx), days, fieldCoordinates(info.schema));
    },
  }),
  auditLog: t.field({
    type: AuditConnection,
    description: 'Admin: every write and admin action, newest first',
    args: { ...pageArgs(t.arg), action: t.arg.string({ description: 'only this mutation' }) },
    resolve: async (_r, args, ctx) => {
      requireScope(ctx, 'admin');
      const tenantId = tenantOf(ctx);
      const limit = pageSize(args.first);
      const after = decodeCursor(args.after, 'audit', ['id']);
      const rows = await auditPage(ctx.db, tenantId, limit + 1, after?.[0] ?? null, args.action ?? null);
      return toConnection(rows, limit, (r) => encodeCursor('audit', [r.audit_id]), () => auditCount(ctx.db, tenantId, args.action ?? null));
    },
  }),
}));
