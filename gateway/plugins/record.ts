import { Kind, getArgumentValues, type FieldNode, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { Context } from '../../resolvers/context.js';
import { auditNote, smallSummary, summarize, writeAudit } from '../../tenants/audit.js';
import { readsNoted, type UsageNode, type UsageRecorder } from '../../tenants/usage.js';
import type { Principal } from '../../tenants/auth.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import { consumerLabel, stateOf } from './state.js';

/** What the recording plugin writes to. */
export interface RecordDeps {
  recorder: UsageRecorder;
  metrics: GatewayMetrics;
  log: Logger;
  /** Counts audit records that could not be written. */
  auditFailures: { inc(): void };
}

/**
 * After each request: its token's last use and the lineage nodes it read go to the usage recorder
 * (memory, flushed in batches); a mutation's root fields go to the audit log, in the request's own
 * transaction so the record commits with the write; requests, cost and errors by code go to metrics.
 */
export function recordPlugin(deps: RecordDeps): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const p = contextValue.principal;
      if (p.kind === 'consumer') deps.recorder.touchToken(p.tenantId, p.tokenId);
      return {
        async willSendResponse(rc) {
          const state = stateOf(rc.contextValue);
          const result = rc.response.body.kind === 'single' ? rc.response.body.singleResult : rc.response.body.initialResult;
          const reads = state.executed && state.analysis ? [...state.analysis.reads, ...readsNoted(rc.contextValue)] : undefined;
          noteServed(deps, p, state.operation ?? 'unknown', state.budget?.allowed ? state.budget.cost : 0, reads);
          countErrors(deps.metrics, consumerLabel(p), result.errors);
          if (state.executed && rc.operation?.operation === 'mutation') await audit(rc, result.data ?? null, result.errors, deps);
        },
      };
    },
  };
}

/**
 * What every request a caller was served leaves behind, on every path (Apollo's plugins, compiled
 * reads, subscriptions): the request and the cost points it spent in metrics, by consumer, and the
 * lineage nodes it read (`reads`; none when nothing was executed) in the usage recorder.
 */
export function noteServed(deps: Pick<RecordDeps, 'metrics' | 'recorder'>, p: Principal, operation: string, cost: number,
  reads?: Iterable<UsageNode>): void {
  const consumer = consumerLabel(p);
  deps.metrics.requests.inc({ consumer, operation });
  if (cost > 0) deps.metrics.cost.inc({ consumer }, cost);
  if (reads && p.kind === 'consumer') deps.recorder.record(p.tenantId, p.consumerId, reads);
}

/** Counts each error of a response by its code. */
export function countErrors(metrics: GatewayMetrics, consumer: string, errors: readonly GraphQLFormattedError[] | undefined): void {
  for (const e of errors ?? []) metrics.errors.inc({ consumer, code: String(e.extensions?.code ?? 'UNKNOWN') });
}

async function audit(rc: GraphQLRequestContextWillSendResponse<Context>, data: Record<string, unknown> | null,
  errors: readonly GraphQLFormattedError[] | undefined, deps: RecordDeps): Promise<void> {
  const ctx = rc.contextValue;
  const p = ctx.principal;
  for (const { key, node } of rootFields(rc.operation!)) {
    const note = auditNote(ctx, key);
    const tenantId = p.kind === 'consumer' ? p.tenantId : note?.tenantId;
    if (!tenantId) continue; // the root token acting on no tenant (a refused createTenant): logged only
    const error = errors?.find((e) => e.path?.[0] === key);
    const args = argumentsOf(rc.schema, node, rc.request.variables);
    try {
      await writeAudit(ctx.db, tenantId, {
        actor: p.kind === 'consumer' ? p.consumerName : 'platform-root',
        tokenId: p.kind === 'consumer' ? p.tokenId : null,
        action: node.name.value,
        target: note?.target ?? targetOf(args),
        args: summarize(args),
        before: note?.before === undefined ? undefined : smallSummary(note.before),
        after: error ? undefined : smallSummary(data?.[key]),
        outcome: error ? String(error.extensions?.code ?? 'ERROR') : 'ok',
      });
    } catch (err) {
      // a write that failed in Postgres aborted the transaction; the audit record goes with it
      deps.auditFailures.inc();
      deps.log.warn({ err, action: node.name.value }, 'audit record not written');
    }
  }
}

function rootFields(op: OperationDefinitionNode): Array<{ key: string; node: FieldNode }> {
  const out: Array<{ key: string; node: FieldNode }> = [];
  for (const sel of op.selectionSet.selections) {
    if (sel.kind === Kind.FIELD && sel.name.value !== '__typename') out.push({ key: sel.alias?.value ?? sel.name.value, node: sel });
    if (sel.kind === Kind.INLINE_FRAGMENT) out.push(...rootFields({ ...op, selectionSet: sel.selectionSet }));
  }
  return out;
}

function argumentsOf(schema: GraphQLSchema, node: FieldNode, variables: Record<string, unknown> | undefined): Record<string, unknown> {
  const def = schema.getMutationType()?.getFields()[node.name.value];
  if (!def) return {};
  try {
    return getArgumentValues(def, node, variables ?? {});
  } catch {
    return {};
  }
}

function targetOf(args: Record<string, unknown>): string | null {
  for (const k of ['target', 'name', 'consumer', 'audience', 'id', 'jobId', 'survivorId', 'mergedId']) {
    const v = args[k];
    if (typeof v === 'string' || typeof v === 'number') return k === 'target' || k === 'name' ? String(v) : `${k}:${v}`;
  }
  return null;
}
