/**
 * Writing values in PostgreSQL's COPY text format (tab-separated, `\N` for null, backslash escapes),
 * fast enough for tens of millions of rows: dates are formatted once per day and cached.
 */

/** COPY's null marker. */
export const NULL = '\\N';

const SPECIAL = /[\\\t\n\r]/;

/** Escapes a text value for COPY text format (backslash, tab, newline, carriage return). */
export function copyText(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** A nullable text value, escaped. */
export function copyNullable(value: string | null): string {
  return value === null ? NULL : copyText(value);
}

/** A nullable boolean as COPY text. */
export function copyBool(value: boolean | null): string {
  return value === null ? NULL : value ? 't' : 'f';
}

/** Cents (integer) as a numeric(14,2) literal: 12345 → "123.45". */
export function money(cents: number): string {
  const whole = Math.floor(cents / 100);
  const frac = cents - whole * 100;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/** Bytes as a bytea literal in COPY text format (the backslash of `\x` escaped). */
export function copyBytea(hex: string): string {
  return `\\\\x${hex}`;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const SECONDS_PER_DAY = 86_400;
// 1900-01-01: no generated date is older
const DAY_OFFSET = 25_567;

function isoDate(day: number): string {
  return new Date(day * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10);
}

/** Formats epoch seconds and epoch days; caches the date part of every day it has seen. */
export class TimeFormatter {
  // indexed by day + DAY_OFFSET: an array lookup is cheaper than a Map's for tens of millions of calls
  private readonly days: string[] = [];

  /** 'YYYY-MM-DD' of the UTC day number `day` (days since 1970-01-01). */
  date(day: number): string {
    const slot = day + DAY_OFFSET;
    if (slot < 0) return isoDate(day);
    let s = this.days[slot];
    if (s === undefined) {
      s = isoDate(day);
      while (this.days.length < slot) this.days.push(undefined as unknown as string);
      this.days[slot] = s;
    }
    return s;
  }

  /** A timestamptz literal in UTC ('YYYY-MM-DD HH:MM:SS+00') for whole epoch seconds. */
  timestamp(epochSeconds: number): string {
    const day = Math.floor(epochSeconds / SECONDS_PER_DAY);
    let rest = epochSeconds - day * SECONDS_PER_DAY;
    const h = Math.floor(rest / 3600);
    rest -= h * 3600;
    const m = Math.floor(rest / 60);
    return `${this.date(day)} ${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[rest - m * 60]}+00`;
  }
}
