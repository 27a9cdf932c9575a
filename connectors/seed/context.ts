/**
 * What every generator pass shares: the tenant, the seed key, the time reference, the reserved id
 * blocks and the per-member row counts (prefix sums, so member i's first order id is known up front).
 */

import { Rng, Stream, seedKey } from './prng.js';
import { TimeFormatter } from './copy-text.js';
import { SHOWCASE } from './showcase.js';

/** How far back orders and events go: about 18 months. */
export const HISTORY_DAYS = 548;
/** Oldest registration, in days before the reference day. */
export const MAX_REGISTRATION_DAYS = 2000;
const CST_OFFSET = 8 * 3600;

/** Average rows per member. */
export interface Ratios {
  ordersPerMember: number;
  eventsPerMember: number;
}

/** Per-member plan drawn first (cheap), so that id blocks can be reserved before any row is written. */
export interface MemberPlan {
  regDaysAgo: number;
  orderCount: number;
  eventCount: number;
}

/** Shared, read-only state of one seeding run. */
export interface SeedContext {
  tenantId: string;
  members: number;
  key: number;
  ratios: Ratios;
  /** The China-time calendar day (days since epoch) that `now` falls on; history ends where it starts. */
  refDay: number;
  /** Epoch seconds of 00:00 China time on the reference day: every generated time is before it. */
  historyEnd: number;
  memberIdBase: number;
  orderIdBase: number;
  eventIdBase: number;
  /** orderStart[i] = orders of members 0..i-1; orderStart[members] = all orders. Same for events. */
  orderStart: Float64Array;
  eventStart: Float64Array;
  fmt: TimeFormatter;
}

/** Draws member i's plan. Deterministic in (key, i, ratios). */
export function memberPlan(rng: Rng, key: number, index: number, ratios: Ratios): MemberPlan {
  const showcase = SHOWCASE[index];
  if (showcase) return { regDaysAgo: showcase.regDaysAgo, orderCount: showcase.orderCount, eventCount: showcase.eventCount };
  rng.forMember(key, Stream.plan, index);
  const u = rng.next();
  // a third of members joined in the last 18 months (some very recently), the rest before
  const regDaysAgo = u < 0.08 ? rng.int(2, 60) : u < 0.55 ? rng.int(61, HISTORY_DAYS) : rng.int(HISTORY_DAYS + 1, MAX_REGISTRATION_DAYS);
  const orderCount = rng.geometric(ratios.ordersPerMember, Math.ceil(ratios.ordersPerMember * 15));
  const registerInHistory = regDaysAgo <= HISTORY_DAYS ? 1 : 0;
  // the register event counts towards the average: the others make up the rest (P(register) = 0.55)
  const others = rng.geometric(Math.max(0, ratios.eventsPerMember - 0.55), Math.ceil(ratios.eventsPerMember * 15));
  return { regDaysAgo, orderCount, eventCount: registerInHistory + others };
}

/** Start of the China-time day `daysAgo` days before the reference day, in epoch seconds. */
export function dayStart(ctx: SeedContext, daysAgo: number): number {
  return (ctx.refDay - daysAgo) * 86_400 - CST_OFFSET;
}

/** The China-time calendar day of `now`. */
export function referenceDay(now: Date): number {
  return Math.floor((Math.floor(now.getTime() / 1000) + CST_OFFSET) / 86_400);
}

/**
 * Plans every member and sums the counts. Memory: two Float64Arrays of members + 1 entries
 * (16 MB for a million members); rows themselves are never held.
 */
export function planTenant(members: number, key: number, ratios: Ratios): { orderStart: Float64Array; eventStart: Float64Array } {
  const orderStart = new Float64Array(members + 1);
  const eventStart = new Float64Array(members + 1);
  const rng = new Rng();
  for (let i = 0; i < members; i++) {
    const plan = memberPlan(rng, key, i, ratios);
    orderStart[i + 1] = orderStart[i] + plan.orderCount;
    eventStart[i + 1] = eventStart[i] + plan.eventCount;
  }
  return { orderStart, eventStart };
}

/** Builds the context once ids are reserved. */
export function makeContext(args: {
  tenantId: string; members: number; seed: number; now: Date; ratios: Ratios;
  memberIdBase: number; orderIdBase: number; eventIdBase: number;
  plan: { orderStart: Float64Array; eventStart: Float64Array };
}): SeedContext {
  const refDay = referenceDay(args.now);
  return {
    tenantId: args.tenantId, members: args.members, key: seedKey(args.seed), ratios: args.ratios,
    refDay, historyEnd: refDay * 86_400 - CST_OFFSET,
    memberIdBase: args.memberIdBase, orderIdBase: args.orderIdBase, eventIdBase: args.eventIdBase,
    orderStart: args.plan.orderStart, eventStart: args.plan.eventStart, fmt: new TimeFormatter(),
  };
}
