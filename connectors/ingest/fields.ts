/**
 * Value parsers shared by every ingestion path (GraphQL inputs, channel payloads, CSV cells, Segment
 * messages). Each takes an `unknown`, returns the normalised value, and throws a FieldError naming
 * the field path, so that a rejection reads `orders[3].amount: must be >= 0`.
 */

import { rememberJson } from './records.js';

/** A rejected value: `path` is the field (e.g. `orders[3].amount`), `reason` what is wrong with it. */
export class FieldError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    // a path of a record without a name of its own (a CSV line) starts with its field: `.amount` → `amount`
    super(`${path.startsWith('.') ? path.slice(1) : path}: ${reason}`);
  }
}

/** Throws a FieldError for `path`. */
export function fail(path: string, reason: string): never {
  throw new FieldError(path, reason);
}

const MAX_MONEY = 999_999_999_999.99;
// C0 controls other than tab, line feed and carriage return (U+001E/U+001F separate batch rows: records.ts)
const CONTROL = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** True for null, undefined and the empty (or blank) string: "not given". */
export function isBlank(v: unknown): v is null | undefined | '' {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

/** A trimmed non-empty string of at most `max` characters; numbers are accepted and printed. */
export function text(v: unknown, path: string, max = 200): string {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v === 'bigint') v = String(v);
  if (typeof v !== 'string') fail(path, isBlank(v) ? 'is required' : 'must be a string');
  const s = v.trim();
  if (s === '') fail(path, 'is required');
  if (s.length > max) fail(path, `must be at most ${max} characters`);
  if (s.includes('\u0000')) fail(path, 'must not contain NUL characters');
  if (CONTROL.test(s)) fail(path, 'must not contain control characters');
  return s;
}

/** Like text(), but null when blank. */
export function optText(v: unknown, path: string, max = 200): string | null {
  return isBlank(v) ? null : text(v, path, max);
}

/** A decimal amount of money (yuan) as an exact string with two decimals; negative rejected. */
export function money(v: unknown, path: string): string {
  const n = number(v, path);
  if (n < 0) fail(path, 'must be >= 0');
  if (n > MAX_MONEY) fail(path, `must be <= ${MAX_MONEY}`);
  return (Math.round(n * 100) / 100).toFixed(2);
}

/** Money given in fen (1/100 yuan, an integer), as a yuan string. */
export function moneyFromFen(v: unknown, path: string): string {
  const n = number(v, path);
  if (!Number.isInteger(n)) fail(path, 'must be a whole number of fen');
  if (n < 0) fail(path, 'must be >= 0');
  if (n / 100 > MAX_MONEY) fail(path, `must be <= ${MAX_MONEY * 100} fen`);
  return (n / 100).toFixed(2);
}

/** A finite number, from a number or a numeric string. */
export function number(v: unknown, path: string): number {
  if (isBlank(v)) fail(path, 'is required');
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) fail(path, 'must be a number');
  return n;
}

/** An integer within [min, max]. */
export function int(v: unknown, path: string, min: number, max = 2_147_483_647): number {
  const n = number(v, path);
  if (!Number.isInteger(n)) fail(path, 'must be an integer');
  if (n < min) fail(path, min === 1 ? 'must be a positive integer' : `must be >= ${min}`);
  if (n > max) fail(path, `must be <= ${max}`);
  return n;
}

/** A boolean from true/false, 1/0, "true"/"false", "yes"/"no", "是"/"否". */
export function bool(v: unknown, path: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'y', '是'].includes(s)) return true;
    if (['false', '0', 'no', 'n', '否'].includes(s)) return false;
  }
  return fail(path, 'must be true or false');
}

/** The zone of wall-clock times that carry none: every channel in scope reports China time. */
export const DEFAULT_ZONE = '+08:00';

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A point in time from a Date, an ISO-8601 string with zone, a wall-clock `YYYY-MM-DD HH:mm:ss`
 * (read in +08:00), or a Unix time (seconds below 1e11, else milliseconds).
 */
export function time(v: unknown, path: string): Date {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) fail(path, 'is not a valid time');
    return v;
  }
  if (typeof v === 'number' || (typeof v === 'string' && /^\s*\d{9,13}\s*$/.test(v))) {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) fail(path, 'must be a Unix time in seconds or milliseconds');
    return new Date(n < 1e11 ? n * 1000 : n);
  }
  if (typeof v !== 'string' || v.trim() === '') fail(path, isBlank(v) ? 'is required' : 'must be a time');
  const s = v.trim();
  let d: Date;
  const wall = WALL_CLOCK.exec(s);
  if (wall) {
    const [, y, mo, da, h = '00', mi = '00', se = '00', frac = ''] = wall;
    if (!validDate(+y, +mo, +da) || +h > 23 || +mi > 59 || +se > 59) fail(path, `is not a valid time: ${JSON.stringify(s)}`);
    d = new Date(`${y}-${mo}-${da}T${h}:${mi}:${se}${frac}${DEFAULT_ZONE}`);
  } else if (ISO_ZONED.test(s)) {
    d = new Date(s);
  } else {
    return fail(path, `must be an ISO-8601 time such as 2026-06-18T20:00:00+08:00, got ${JSON.stringify(s.slice(0, 40))}`);
  }
  if (Number.isNaN(d.getTime())) fail(path, `is not a valid time: ${JSON.stringify(s)}`);
  return d;
}

/** Like time(), but null when blank. */
export function optTime(v: unknown, path: string): Date | null {
  return isBlank(v) ? null : time(v, path);
}

/** A calendar date `YYYY-MM-DD` (also accepts `YYYY/MM/DD` and `YYYYMMDD`), returned as `YYYY-MM-DD`. */
export function date(v: unknown, path: string): string {
  const s = typeof v === 'string' ? v.trim() : '';
  const m = /^(\d{4})[-/]?(\d{2})[-/]?(\d{2})$/.exec(s);
  if (!m || !validDate(+m[1], +m[2], +m[3])) fail(path, 'must be a date YYYY-MM-DD');
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A plain JSON object (attributes, properties); null when blank. */
export function jsonObject(v: unknown, path: string): Record<string, unknown> | null {
  if (isBlank(v)) return null;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      fail(path, 'must be a JSON object');
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be a JSON object');
  const json = JSON.stringify(v);
  if (json.length > 64 * 1024) fail(path, 'must be at most 64 KB of JSON');
  if (json.includes('\\u0000')) fail(path, 'must not contain NUL characters');
  rememberJson(v, json);
  return v as Record<string, unknown>;
}

/** Reads `key` of an object, with the field path for messages. */
export function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}

/** An array (or the empty array when blank). */
export function list(v: unknown, path: string): unknown[] {
  if (isBlank(v)) return [];
  if (!Array.isArray(v)) fail(path, 'must be a list');
  return v;
}

/** The message of a FieldError, or of anything else thrown while reading a row. */
export function reasonOf(err: unknown): string {
  if (err instanceof FieldError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
