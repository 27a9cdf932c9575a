/** When in the (China-time) day people shop and browse: quiet at night, peaking 20:00-23:00. */

import { Rng, Weighted } from './prng.js';

const HOURS = new Weighted<number>([
  [0, 2], [1, 1], [2, 0.5], [3, 0.3], [4, 0.3], [5, 0.5], [6, 1], [7, 2], [8, 3], [9, 4], [10, 5], [11, 5],
  [12, 6], [13, 5], [14, 5], [15, 5], [16, 5], [17, 5], [18, 6], [19, 7], [20, 9], [21, 10], [22, 9], [23, 5],
]);

/** Seconds after local midnight, drawn from the daily pattern. */
export function timeOfDay(rng: Rng): number {
  return HOURS.pick(rng) * 3600 + Math.floor(rng.next() * 3600);
}
