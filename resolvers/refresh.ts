import { builder } from './builder.js';
import { tenantOf } from './guards.js';
import { hasScope } from '../tenants/scopes.js';
import { badInput, forbidden, notFound } from '../gateway/errors.js';
import { getJob, jobWakeKey, queueJob, type JobRow } from '../connectors/refresh/jobs.js';
import type { Context } from './context.js';

/**
 * Refresh jobs in GraphQL: the `refresh` mutation queues one, `refreshJob` reads it, and the
 * `refreshProgress` subscription streams it until it ends. The jobs run in the background workers
 * of the gateway processes (gateway/background.ts).
 */

export const RefreshJobRef = builder.objectRef<JobRow>('RefreshJob').implement({
  description: 'A full refresh of a tag, an audience (and what reads it) or everything, with progress',
  fields: (t) => ({
    id: t.exposeID('job_id'),
    target: t.exposeString('target', { description: '"tag:NAME", "audience:NAME" or "all"' }),
    state: t.exposeString('state', { description: 'queued, running, succeeded or failed' }),
    processed: t.int({ description: 'member evaluations done (members × definitions)', resolve: (j) => j.processed }),
    total: t.int({ description: 'member evaluations to do; known once the job runs', resolve: (j) => j.total }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.started_at }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (j) => j.finished_at }),
    asOf: t.field({ type: 'DateTime', nullable: true, description: 'the evaluation time of every definition of the job', resolve: (j) => j.as_of }),
    createdAt: t.field({ type: 'DateTime', resolve: (j) => j.created_at }),
    requestedBy: t.exposeString('requested_by', { nullable: true, description: 'the consumer that asked, or "scheduler"' }),
    error: t.exposeString('error', { nullable: true, description: 'why it failed: each failed definition with its reason' }),
  }),
});

const TARGET = /^(all|(tag|audience):[A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * FORBIDDEN unless the caller may refresh `target`: 'all' needs admin; 'tag:NAME' tags:write for
 * the tag's name or category; 'audience:NAME' audiences:write for its name.
 */
async function requireRefreshScope(ctx: Context, target: string): Promise<void> {
  const granted = ctx.principal.kind === 'consumer' ? ctx.principal.scopes : [];
  if (target === 'all') {
    if (!hasScope(granted, 'admin')) throw forbidden('admin');
    return;
  }
  const [kind, name] = target.split(':') as ['tag' | 'audience', string];
  if (kind === 'audience') {
    if (!hasScope(granted, 'audiences:write', name)) throw forbidden(`audiences:write:${name}`);
    return;
  }
  if (hasScope(granted, 'tags:write', name)) return;
  const category = (await ctx.loaders.tagByName.load(name))?.category ?? null;
  if (category === null || !hasScope(granted, 'tags:write', category)) throw forbidden(`tags:write:${name}`);
}

function checkTarget(target: string): void {
  if (!TARGET.test(target)) throw badInput(`argument "target" must be "all", "tag:NAME" or "audience:NAME", got ${JSON.stringify(target)}`, 'target');
}

/** The job `id` when the caller may see it (the scope that could have queued it); NOT_FOUND otherwise. */
async function readableJob(ctx: Context, id: string): Promise<JobRow> {
  const job = await getJob(ctx.db, tenantOf(ctx), id);
  if (!job) throw notFound(`refresh job ${id}`);
  await requireRefreshScope(ctx, job.target);
  return job;
}

builder.mutationField('refresh', (t) =>
  t.field({
    type: RefreshJobRef,
    description: 'Queues a full refresh of "tag:NAME" or "audience:NAME" (and the published definitions that read it) or "all"; ' +
      'a queued job for the same target is returned instead of a second one. Needs tags:write / audiences:write for the name, admin for "all"',
    args: { target: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      checkTarget(args.target);
      await requireRefreshScope(ctx, args.target);
      const tenantId = tenantOf(ctx);
      if (args.target !== 'all') {
        const [kind, name] = args.target.split(':');
        const table = kind === 'tag' ? 'tag_definitions' : 'audiences';
        const found = await ctx.db.query<{ status: string }>(`select status from ${table} where tenant_id = $1 and name = $2`, [tenantId, name]);
        if (!found.rows[0]) throw notFound(`${kind} "${name}"`);
        if (found.rows[0].status !== 'published') throw badInput(`${kind} "${name}" is ${found.rows[0].status}: only published definitions are refreshed`, 'target');
      }
      const consumer = ctx.principal.kind === 'consumer' ? ctx.principal.consumerName : null;
      return queueJob(ctx.db, tenantId, args.target, consumer);
    },
  }),
);

builder.queryField('refreshJob', (t) =>
  t.field({
    type: RefreshJobRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const job = await getJob(ctx.db, tenantOf(ctx), String(args.id));
      if (!job) return null;
      await requireRefreshScope(ctx, job.target);
      return job;
    },
  }),
);

/**
 * The job now, then again each time it moves (woken through the change hub by the job's
 * NOTIFYs, with the hub's safety poll), ending after the state that finishes it.
 */
async function* followJob(ctx: Context, tenantId: string, first: JobRow): AsyncGenerator<JobRow> {
  let last = '';
  let job: JobRow | null = first;
  const stop = new AbortController();
  try {
    while (job) {
      const seen = `${job.state}:${job.processed}:${job.total}`;
      if (seen !== last) {
        last = seen;
        yield job;
      }
      if (job.state === 'succeeded' || job.state === 'failed') return;
      await ctx.services.changes.wait(tenantId, jobWakeKey(job.job_id), stop.signal);
      job = await getJob(ctx.db, tenantId, job.job_id);
    }
  } finally {
    stop.abort();
  }
}

builder.subscriptionField('refreshProgress', (t) =>
  t.field({
    type: RefreshJobRef,
    description: 'The job now and after every batch, until it succeeds or fails',
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const job = await readableJob(ctx, String(args.jobId));
      return followJob(ctx, tenantOf(ctx), job);
    },
    resolve: (job) => job,
  }),
);
