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

const CHUNK_CHARS = 512 * 1024;

/** Text buffered for one table, flushed to its COPY in large chunks. */
class Buffered {
  text = '';
  constructor(readonly sink: CopySink) {}
  async add(text: string): Promise<void> {
    this.text += text;
    if (this.text.length >= CHUNK_CHARS) await this.flush();
  }
  async flush(): Promise<void> {
    const chunk = this.text;
    this.text = '';
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
      await memberOut.add(memberLine(ctx, p));
      if (o.orderRows) {
        await orderOut.add(o.orders);
        await itemOut.add(o.items);
      }
      await eventOut.add(eventLines(sideRng, ctx, p).text);
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
      await out.add(identityLines(sideRng, ctx, memberProfile(rng, ctx, i)).text);
      if (++since === 5000 || i === ctx.members - 1) {
        since = 0;
        progress(i + 1, ctx.members, 'identities');
      }
    }
  });
  return identities;
}
