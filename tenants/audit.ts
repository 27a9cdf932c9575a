import { requestKey } from './request-key.js';

/**
 * The audit log: every write and admin action, who (consumer and token), what (the mutation and a
 * summary of its arguments without secrets or bulk personal data), when, and the result when small.
 */

/** Anything that runs a parameterised statement (a request's tenant transaction, a pool client). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** One audit record. */
export interface AuditEntry {
  /** Consumer name, or 'platform-root'. */
  actor: string;
  tokenId?: string | null;
  /** The mutation (or admin action) name, e.g. 'revokeToken'. */
  action: string;
  /** What it acted on, e.g. 'token:12', 'tag:high_value'. */
  target?: string | null;
  /** Argument summary (see summarize). */
  args?: unknown;
  before?: unknown;
  after?: unknown;
  /** 'ok' or the error code the caller got. */
  outcome: string;
}

/** Writes one audit record in the caller's tenant transaction (so it commits or rolls back with the write). */
export async function writeAudit(db: Queryable, tenantId: string, e: AuditEntry): Promise<void> {
  await db.query(
    `insert into audit_log (tenant_id, actor, token_id, action, target, args, before, after, outcome)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [tenantId, e.actor, e.tokenId ?? null, e.action, e.target ?? null, json(e.args), json(e.before), json(e.after), e.outcome],
  );
}

function json(v: unknown): string | null {
  return v === undefined || v === null ? null : JSON.stringify(v);
}

const SECRET_KEY = /token$|secret|password|credential|authorization/i;
const MAX_STRING = 200;
const MAX_SCALARS = 20;
const MAX_JSON = 2000;

/**
 * A small, secret-free copy of `value` for the audit log: keys that name a secret ('token',
 * 'adminToken', 'secret', 'password', ...) become '[redacted]', lists of objects (bulk imports, which
 * carry personal data) become their count, long strings and lists are cut, depth is capped.
 */
export function summarize(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…(+${value.length - MAX_STRING} chars)` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    if (value.some((v) => v !== null && typeof v === 'object')) return { count: value.length };
    const kept = value.slice(0, MAX_SCALARS).map((v) => summarize(v, depth + 1));
    return value.length > MAX_SCALARS ? [...kept, `…(+${value.length - MAX_SCALARS})`] : kept;
  }
  if (typeof value === 'object') {
    if (depth >= 3) return '{…}';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && v !== null && typeof v !== 'object' ? '[redacted]' : summarize(v, depth + 1);
    }
    return out;
  }
  return String(value);
}

/** summarize(value) when its JSON is small enough to keep whole; otherwise undefined. */
export function smallSummary(value: unknown): unknown {
  const s = summarize(value);
  return JSON.stringify(s ?? null).length <= MAX_JSON ? s : undefined;
}

/** What a resolver knows better than the plugin: the target, the state before, the tenant (root actions). */
export interface AuditNote {
  target?: string;
  before?: unknown;
  /** For the root token's actions: the tenant the record belongs to (createTenant's new tenant). */
  tenantId?: string;
}

const notes = new WeakMap<object, Map<string, AuditNote>>();

/**
 * Lets a resolver add what only it knows to the audit record of its mutation: the target and the
 * state before the change. `field` is the mutation's response key (its name unless aliased).
 */
export function noteAudit(ctx: object, field: string, note: AuditNote): void {
  let m = notes.get(requestKey(ctx));
  if (!m) notes.set(requestKey(ctx), (m = new Map()));
  m.set(field, { ...m.get(field), ...note });
}

/** What resolvers noted for `field` of the request whose context is `ctx`. */
export function auditNote(ctx: object, field: string): AuditNote | undefined {
  return notes.get(requestKey(ctx))?.get(field);
}
