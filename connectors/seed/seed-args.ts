/** Command-line arguments of `npm run seed`, parsed and checked without touching the database. */

import { parseArgs } from 'node:util';
import { DEFAULT_RATIOS } from './seed-tenant.js';

/** What `npm run seed` was asked to do. */
export interface SeedCommand {
  members: number;
  seed: number;
  tenant: string;
  ordersPerMember: number;
  eventsPerMember: number;
  now?: Date;
  /** Seed the demo tenant (name "demo", seed 42, 6 orders and 20 events per member) instead. */
  demo: boolean;
}

/** Usage text printed with argument errors. */
export const SEED_USAGE = `usage: npm run seed -- --members N --seed S [--tenant NAME] [--orders-per-member X] [--events-per-member Y] [--now ISO-DATE]
       npm run seed -- --demo [--members N]
  --members            members to generate (positive integer; with --demo default 10000)
  --seed               generator seed (non-negative integer); same seed, same data
  --tenant             tenant name (default seed-<seed>-<members>); an existing name is an error
  --orders-per-member  average orders per member (default ${DEFAULT_RATIOS.ordersPerMember})
  --events-per-member  average events per member (default ${DEFAULT_RATIOS.eventsPerMember})
  --now                reference time; activity ends the China-time day before it (default: today 00:00 UTC)`;

/** A bad command line; the script prints the message and usage and exits with code 2. */
export class SeedArgsError extends Error {}

/** Parses argv (without node and the script). Throws SeedArgsError with a readable message. */
export function parseSeedArgs(argv: string[]): SeedCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        members: { type: 'string' }, seed: { type: 'string' }, tenant: { type: 'string' }, now: { type: 'string' },
        'orders-per-member': { type: 'string' }, 'events-per-member': { type: 'string' }, demo: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new SeedArgsError((err as Error).message);
  }
  const demo = values.demo ?? false;
  if (demo && (values.seed !== undefined || values.tenant !== undefined || values['orders-per-member'] !== undefined ||
    values['events-per-member'] !== undefined)) {
    throw new SeedArgsError('--demo takes only --members and --now (its seed, name and ratios are fixed)');
  }
  const members = values.members === undefined && demo ? 10_000 : integer('--members', values.members, 1, 100_000_000);
  const seed = demo ? 42 : integer('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
  let now: Date | undefined;
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (Number.isNaN(now.getTime())) throw new SeedArgsError(`--now must be a date (e.g. 2025-01-31), got "${values.now}"`);
  }
  const tenant = demo ? 'demo' : values.tenant ?? `seed-${seed}-${members}`;
  if (tenant.trim() === '') throw new SeedArgsError('--tenant must not be empty');
  return {
    members, seed, tenant, now, demo,
    ordersPerMember: demo ? 6 : ratio('--orders-per-member', values['orders-per-member'], DEFAULT_RATIOS.ordersPerMember),
    eventsPerMember: demo ? 20 : ratio('--events-per-member', values['events-per-member'], DEFAULT_RATIOS.eventsPerMember),
  };
}

function integer(flag: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined) throw new SeedArgsError(`${flag} is required`);
  if (!/^\d+$/.test(raw.trim())) throw new SeedArgsError(`${flag} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new SeedArgsError(`${flag} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

function ratio(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1000) throw new SeedArgsError(`${flag} must be a number from 0 to 1000, got "${raw}"`);
  return n;
}
