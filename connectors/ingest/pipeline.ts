import { ClaimConflict, isDatabaseError, withRetry, type Queryable } from './db.js';
import { DirtySet } from './dirty.js';
import { FieldError } from './fields.js';
import { markAttached, takeHeld, type HeldRecord } from './held.js';
import { reviveEvent, writeEvents } from './events.js';
import { reviveMember, writeMembers } from './members.js';
import { reviveOrder, writeOrders, type WriteMode, type WriteResult } from './orders.js';
import { count, emptyResult, type ImportResult } from './result.js';
import { validateEvent, validateMember, validateOrder, type EventRow, type MemberRecord, type OrderRow } from './validate.js';

/** Most rows one import call takes (graphql-contract.md; BAD_USER_INPUT above). */
export const MAX_ROWS = 5000;

/** Where rejection messages point: `pathOf(3)` → `orders[3]`; `index` is what ImportRejection reports. */
export interface ImportOptions {
  pathOf?: (index: number) => string;
  indexOf?: (index: number) => number;
}

/** A checked row: what ImportRejection reports as its index, and the path messages use. */
export interface Checked<T> {
  index: number;
  path: string;
  row: T;
}

type Writer<T> = (db: Queryable, tenantId: string, rows: T[], mode: WriteMode, dirty: DirtySet) => Promise<WriteResult>;

/**
 * Imports orders in the unified shape (OrderInput, CSV lines, channel adapter output) in the open
 * transaction. Each row is accepted (new or changed), a duplicate (identical to what is stored),
 * held (no member yet) or rejected with its index and a message naming the field. A bad row never
 * blocks the good rows, and no part of a bad row is left behind: the batch runs set-based inside a
 * savepoint; when the database refuses it, the batch is split until the refused rows are alone.
 */
export function importOrders(db: Queryable, tenantId: string, inputs: readonly unknown[], opts: ImportOptions = {}): Promise<ImportResult> {
  return importRows(db, tenantId, inputs, validateOrder, writeOrders, opts.pathOf ?? ((i) => `orders[${i}]`), opts.indexOf);
}

/** Imports behaviour events (EventInput, Segment track/page/screen), as importOrders does. */
export function importEvents(db: Queryable, tenantId: string, inputs: readonly unknown[], opts: ImportOptions = {}): Promise<ImportResult> {
  return importRows(db, tenantId, inputs, validateEvent, writeEvents, opts.pathOf ?? ((i) => `events[${i}]`), opts.indexOf);
}

/** Imports member records (MemberInput, CSV lines, Segment identify), as importOrders does. */
export function importMembers(db: Queryable, tenantId: string, inputs: readonly unknown[], opts: ImportOptions = {}): Promise<ImportResult> {
  return importRows(db, tenantId, inputs, validateMember, writeMembers, opts.pathOf ?? ((i) => `members[${i}]`), opts.indexOf);
}

/** Imports orders a caller has already checked (channel adapters, CSV), with their indexes. */
export async function importValidOrders(db: Queryable, tenantId: string, rows: Array<Checked<OrderRow>>, result: ImportResult): Promise<void> {
  await store(db, tenantId, rows, writeOrders, result);
}

/** Imports member records a caller has already checked (CSV), with their indexes. */
export async function importValidMembers(db: Queryable, tenantId: string, rows: Array<Checked<MemberRecord>>, result: ImportResult): Promise<void> {
  await store(db, tenantId, rows, writeMembers, result);
}

async function importRows<T>(db: Queryable, tenantId: string, inputs: readonly unknown[], validate: (input: unknown, path: string) => T,
  write: Writer<T>, pathOf: (i: number) => string, indexOf: (i: number) => number = (i) => i): Promise<ImportResult> {
  const result = emptyResult();
  const valid: Array<Checked<T>> = [];
  inputs.forEach((input, i) => {
    try {
      valid.push({ index: indexOf(i), path: pathOf(i), row: validate(input, pathOf(i)) });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      result.rejected.push({ index: indexOf(i), message: err.message });
    }
  });
  await store(db, tenantId, valid, write, result);
  result.rejected.sort((a, b) => a.index - b.index);
  return result;
}

/**
 * Writes `rows` in one savepoint (retried when a concurrent import got in the way), attaching
 * held records that the batch's new identities unlock, and queueing touched members as dirty. When
 * the database refuses the batch, each half is tried on its own, down to single rows, which are
 * then rejected with the database's reason.
 */
async function store<T>(db: Queryable, tenantId: string, rows: Array<Checked<T>>, write: Writer<T>, result: ImportResult): Promise<void> {
  if (rows.length === 0) return;
  try {
    const written = await withRetry(db, async () => {
      const dirty = new DirtySet();
      const w = await write(db, tenantId, rows.map((r) => r.row), 'import', dirty);
      await attachHeld(db, tenantId, w.linked, dirty);
      await dirty.flush(db, tenantId);
      return w;
    });
    written.outcomes.forEach((o) => count(result, o));
  } catch (err) {
    if (!isDatabaseError(err) && !(err instanceof ClaimConflict)) throw err;
    if (rows.length === 1) {
      result.rejected.push({ index: rows[0].index, message: `${rows[0].path}: could not be stored (${err.message.slice(0, 200)})` });
      return;
    }
    const half = Math.ceil(rows.length / 2);
    await store(db, tenantId, rows.slice(0, half), write, result);
    await store(db, tenantId, rows.slice(half), write, result);
  }
}

const MAX_ATTACH_ROUNDS = 10;

/**
 * Held records carrying an identity this batch linked are stored now for that identity's member
 * (data-model.md, held data), never overwriting a stored record with the same key. Storing them may
 * link further identities (a held record's other weak ones), which may unlock more held records.
 */
async function attachHeld(db: Queryable, tenantId: string, linked: string[], dirty: DirtySet): Promise<void> {
  let keys = linked;
  for (let round = 0; round < MAX_ATTACH_ROUNDS && keys.length > 0; round++) {
    const held = await takeHeld(db, tenantId, keys);
    if (held.length === 0) return;
    keys = [];
    const replay = async <T>(kind: HeldRecord['kind'], revive: (p: unknown) => T, write: Writer<T>) => {
      const batch = held.filter((h) => h.kind === kind);
      if (batch.length === 0) return;
      const w = await write(db, tenantId, batch.map((h) => revive(h.payload)), 'replay', dirty);
      await markAttached(db, tenantId, batch.map((h, i) => ({ heldId: h.heldId, memberId: w.members[i] })));
      keys.push(...w.linked);
    };
    await replay<MemberRecord>('member', reviveMember, writeMembers);
    await replay<OrderRow>('order', reviveOrder, writeOrders);
    await replay<EventRow>('event', reviveEvent, writeEvents);
  }
}
