/**
 * Small deterministic random numbers for the seed generator. Every member gets its own stream,
 * derived from (seed, member index, stream id), so each table's rows for member i depend only on
 * the seed and i: passes over different tables regenerate the same member without sharing state.
 */

/** A 32-bit integer mixer (lowbias32). It is a bijection on uint32: distinct inputs, distinct outputs. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Folds a non-negative safe integer seed into 32 bits (both halves count). */
export function seedKey(seed: number): number {
  const high = Math.floor(seed / 0x1_0000_0000);
  return mix32(mix32(seed >>> 0) ^ mix32(high + 0x9e3779b9));
}

/** Ids of the independent per-member streams. */
export const Stream = { plan: 1, profile: 2, orders: 3, events: 4, identities: 5 } as const;

/** mulberry32: a tiny, fast generator; reseeded per member instead of allocating a new one. */
export class Rng {
  private state = 0;

  /** Starts the stream of member `index` for `stream` under the tenant seed key. */
  forMember(key: number, stream: number, index: number): this {
    // mix32(a + index) is a bijection in index: no two members of one tenant share a starting state
    this.state = mix32((mix32(key ^ Math.imul(stream, 0x9e3779b9)) + index) >>> 0);
    return this;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Geometric count with the given mean (P(k) = p(1-p)^k), capped at `max`. */
  geometric(mean: number, max: number): number {
    if (mean <= 0) return 0;
    const k = Math.floor(Math.log(1 - this.next()) / Math.log(mean / (mean + 1)));
    return k > max ? max : k;
  }
}

/** Picks from a fixed list by weight; the cumulative table is built once. */
export class Weighted<T> {
  private readonly items: T[];
  private readonly cumulative: Float64Array;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.items = entries.map((e) => e[0]);
    this.cumulative = new Float64Array(entries.length);
    let sum = 0;
    entries.forEach(([, w], i) => {
      sum += w;
      this.cumulative[i] = sum;
    });
    for (let i = 0; i < this.cumulative.length; i++) this.cumulative[i] /= sum;
  }

  /** One item, with probability proportional to its weight. */
  pick(rng: Rng): T {
    const u = rng.next();
    const c = this.cumulative;
    let i = 0;
    while (i < c.length - 1 && c[i] <= u) i++;
    return this.items[i];
  }
}

const E8 = 100_000_000;
const E4 = 10_000;

/**
 * A bijection on [0, 1e8): index → scrambled 8-digit number. Used for phone-number suffixes and other
 * values that must be unique per tenant yet look random. Affine steps (multipliers coprime to 10)
 * alternate with swapping the two 4-digit halves; every step is invertible.
 */
export function permute8(index: number, key: number): number {
  let x = index % E8;
  const b1 = (key >>> 0) % E8;
  const b2 = mix32(key >>> 0) % E8;
  x = (x * 39_916_801 + b1) % E8;
  x = (x % E4) * E4 + Math.floor(x / E4);
  x = (x * 27_644_437 + b2) % E8;
  x = (x % E4) * E4 + Math.floor(x / E4);
  x = (x * 10_016_003 + b1) % E8;
  return x;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `value` (uint32) as exactly 6 base-62 characters; distinct values give distinct strings. */
export function base62x6(value: number): string {
  let s = '';
  let v = value >>> 0;
  for (let i = 0; i < 6; i++) {
    s = BASE62[v % 62] + s;
    v = Math.floor(v / 62);
  }
  return s;
}

/** `n` random characters of `alphabet`. */
export function randomChars(rng: Rng, n: number, alphabet = BASE62): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
  return s;
}

/** Zero-padded decimal of fixed width (no truncation when wider). */
export function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}
