/**
 * The two passes over a tenant's members that stream generated rows into COPY. Pass one writes
 * members, orders, order items and events side by side (those tables have no foreign keys to each
 * other); pass two writes identities, which reference members and so wait for their commit. Every
 * pass regenerates each member's profile from the seed; nothing but one chunk per table is held.
 */

import type pg from 'pg';
import { Rng } from './prng.js';
import { CopySink } from './copy-sink.js';
import type { SeedContext } from './context.js';
import { MEMBER_COLUMNS, memberLine, memberProfile } from './member-gen.js';
import { IDENTITY_COLUMNS, identityLines } from './identity-gen.js';
import { ITEM_COLUMNS, ORDER_COLUMNS, orderLines } from './order-gen.js';
import { EVENT_COLUMNS, eventLines } from './event-gen.js';

/** Phases reported to onProgress; `identities` and `members` count members processed. */
export type SeedPhase = 'members' | 'orders' | 'events' | 'identities' | 'analyze';
/** Called after each chunk: rows (or members) done of the phase's total. */
export type ProgressListener = (done: number, total: number, phase: SeedPhase) => void;

/** Rows written per table. */
export interface LoadedRows {
  members: number;
  identities: number;
  orders: number;
  items: number;
  events: number;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Rows for one table, UTF-8-encoded straight into a 1 MiB buffer and sent to its COPY when full.
 * Encoding as we go (rather than growing one long string) keeps the garbage collector out of the way.
 */
class Buffered {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  constructor(readonly sink: CopySink) {}

  /** Adds text; returns a promise only when a chunk went out (await it: that is the backpressure). */
  add(text: string): Promise<void> | undefined {
    // a UTF-16 code unit takes at most 3 bytes in UTF-8
    if (this.used + text.length * 3 > CHUNK_BYTES) return this.flushThen(text);
    this.used += this.buf.write(text, this.used);
    return undefined;
  }

  private async flushThen(text: string): Promise<void> {
    await this.flush();
    if (text.length * 3 > CHUNK_BYTES) await this.sink.write(Buffer.from(text));
    else this.used = this.buf.write(text, 0);
  }

  /** Sends what is buffered. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    await this.sink.write(chunk);
  }
}

/** Opens every COPY, runs `body`, and finishes them all; on any error aborts every one and rethrows. */
async function withSinks<T>(config: pg.ClientConfig, statements: string[], body: (sinks: Buffered[]) => Promise<T>): Promise<number[]> {
  const opened = await Promise.allSettled(statements.map((sql) => CopySink.open(config, sql)));
  const sinks = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failure = opened.find((r) => r.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
    const buffers = sinks.map((s) => new Buffered(s));
    await body(buffers);
    await Promise.all(buffers.map((b) => b.flush()));
    return await Promise.all(sinks.map((s) => s.finish()));
  } catch (err) {
    await Promise.all(sinks.map((s) => s.abort()));
    throw err;
  }
}

/** Pass one: members, orders, order_items and events for every member of the context. */
export async function loadMembersOrdersEvents(config: pg.ClientConfig, ctx: SeedContext, progress: ProgressListener): Promise<Omit<LoadedRows, 'identities'>> {
  const totalOrders = ctx.orderStart[ctx.members];
  const totalEvents = ctx.eventStart[ctx.members];
  let items = 0;
  const [members, orders, copiedItems, events] = await withSinks(config, [
    `copy members (${MEMBER_COLUMNS}) from stdin`,
    `copy orders (${ORDER_COLUMNS}) from stdin`,
    `copy order_items (${ITEM_COLUMNS}) from stdin`,
    `copy events (${EVENT_COLUMNS}) from stdin`,
  ], async ([memberOut, orderOut, itemOut, eventOut]) => {
    const rng = new Rng();
    const sideRng = new Rng();
    let since = 0;
    for (let i = 0; i < ctx.members; i++) {
      const p = memberProfile(rng, ctx, i);
      const o = orderLines(sideRng, ctx, p);
      items += o.itemRows;
      let wait = memberOut.add(memberLine(ctx, p));
      if (wait) await wait;
      if (o.orderRows) {
        if ((wait = orderOut.add(o.orders))) await wait;
        if ((wait = itemOut.add(o.items))) await wait;
      }
      if ((wait = eventOut.add(eventLines(sideRng, ctx, p).text))) await wait;
      if (++since === 2000 || i === ctx.members - 1) {
        since = 0;
        progress(i + 1, ctx.members, 'members');
        progress(ctx.orderStart[i + 1], totalOrders, 'orders');
        progress(ctx.eventStart[i + 1], totalEvents, 'events');
      }
    }
  });
  if (copiedItems !== items) throw new Error(`order_items: copied ${copiedItems} rows, generated ${items}`);
  return { members, orders, items, events };
}

/** Pass two: identities, once the members they reference are committed. */
export async function loadIdentities(config: pg.ClientConfig, ctx: SeedContext, progress: ProgressListener): Promise<number> {
  const [identities] = await withSinks(config, [`copy identities (${IDENTITY_COLUMNS}) from stdin`], async ([out]) => {
    const rng = new Rng();
    const sideRng = new Rng();
    let since = 0;
    for (let i = 0; i < ctx.members; i++) {
      const wait = out.add(identityLines(sideRng, ctx, memberProfile(rng, ctx, i)).text);
      if (wait) await wait;
      if (++since === 5000 || i === ctx.members - 1) {
        since = 0;
        progress(i + 1, ctx.members, 'identities');
      }
    }
  });
  return identities;
}
