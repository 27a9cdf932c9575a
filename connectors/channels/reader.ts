import { fail, isBlank, money, moneyFromFen, int, optText, text, time } from '../ingest/fields.js';
import { isUsablePhone, normalizePhone, type IdentityKey, type IdentityKind } from '../identity/keys.js';

/**
 * Reads one object of a channel's payload by its own field names, so that every error names the
 * source field: `payload[3].orders[0].price: must be a number`.
 */
export class Source {
  readonly obj: Record<string, unknown>;

  constructor(value: unknown, readonly path: string) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
    this.obj = value as Record<string, unknown>;
  }

  /** The raw value of `key`. */
  get(key: string): unknown {
    return this.obj[key];
  }

  has(key: string): boolean {
    return !isBlank(this.obj[key]);
  }

  at(key: string): string {
    return `${this.path}.${key}`;
  }

  /** A required string (numbers, such as Taobao's numeric tid, are printed). */
  str(key: string, max = 100): string {
    return text(this.obj[key], this.at(key), max);
  }

  optStr(key: string, max = 200): string | null {
    return optText(this.obj[key], this.at(key), max);
  }

  /** Money in yuan (a number or a decimal string such as "99.00"). */
  yuan(key: string): string {
    return money(this.obj[key], this.at(key));
  }

  optYuan(key: string): string | null {
    return isBlank(this.obj[key]) ? null : this.yuan(key);
  }

  /** Money in fen (integer hundredths of a yuan), as yuan. */
  fen(key: string): string {
    return moneyFromFen(this.obj[key], this.at(key));
  }

  optFen(key: string): string | null {
    return isBlank(this.obj[key]) ? null : this.fen(key);
  }

  int(key: string, min = 0): number {
    return int(this.obj[key], this.at(key), min);
  }

  /** A time: `YYYY-MM-DD HH:mm:ss` in +08:00, ISO-8601 with zone, or Unix seconds/milliseconds. */
  time(key: string): Date {
    return time(this.obj[key], this.at(key));
  }

  /** Like time(), but null when blank, 0, or the all-zero date some APIs send for "not yet". */
  optTime(key: string): Date | null {
    const v = this.obj[key];
    if (isBlank(v) || v === 0 || v === '0' || (typeof v === 'string' && /^0000-00-00/.test(v))) return null;
    return this.time(key);
  }

  /** A nested object. */
  child(key: string): Source {
    return new Source(this.obj[key], this.at(key));
  }

  optChild(key: string): Source | null {
    return isBlank(this.obj[key]) ? null : this.child(key);
  }

  /**
   * A list of objects. Taobao Open Platform wraps lists in an object named after the element
   * (`"orders": { "order": [...] }`); `wrapper` unwraps that form too.
   */
  list(key: string, wrapper?: string): Source[] {
    let v = this.obj[key];
    let path = this.at(key);
    if (wrapper && v !== null && typeof v === 'object' && !Array.isArray(v) && wrapper in (v as object)) {
      v = (v as Record<string, unknown>)[wrapper];
      path = `${path}.${wrapper}`;
    }
    if (isBlank(v)) return [];
    if (!Array.isArray(v)) fail(path, 'must be a list');
    return v.map((item, i) => new Source(item, `${path}[${i}]`));
  }

  /** A phone number when the field holds a usable one; masked or encrypted numbers give null. */
  phone(key: string): string | null {
    const v = this.obj[key];
    if (typeof v === 'number') return isUsablePhone(String(v)) ? normalizePhone(String(v), this.at(key)) : null;
    return isUsablePhone(v) ? normalizePhone(v, this.at(key)) : null;
  }
}

/** Collects the buyer's identities, skipping absent ones. */
export function identities(...pairs: Array<[IdentityKind, string | null | undefined]>): IdentityKey[] {
  return pairs.filter((p): p is [IdentityKind, string] => typeof p[1] === 'string' && p[1] !== '')
    .map(([kind, value]) => ({ kind, value }));
}

/** Maps a channel status through `table`; an unknown status is a field error listing the known ones. */
export function mapStatus<S extends string>(src: Source, key: string, table: Record<string, S>): S {
  const raw = src.get(key);
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (s === '') fail(src.at(key), 'is required');
  const mapped = table[s];
  if (!mapped) fail(src.at(key), `unknown status ${JSON.stringify(s)} (known: ${Object.keys(table).join(', ')})`);
  return mapped;
}
