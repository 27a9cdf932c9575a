import { fail, text } from '../ingest/fields.js';

/** Identity kinds of data-model.md. */
export const IDENTITY_KINDS = ['PHONE', 'EMAIL', 'WECHAT_UNIONID', 'WECHAT_OPENID', 'TAOBAO_OUID', 'JD_PIN', 'PDD_UID',
  'DOUYIN_OPENID', 'POS_CARD', 'APP_USER_ID', 'ANONYMOUS_ID', 'EXTERNAL_ID'] as const;
/** One of the identity kinds. */
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** Kinds that may create or merge members; the others attach to an existing member or wait. */
export const STRONG_KINDS: ReadonlySet<IdentityKind> = new Set(['PHONE', 'WECHAT_UNIONID', 'EXTERNAL_ID', 'APP_USER_ID', 'POS_CARD']);

/** One identity: `(kind, value)` is unique per tenant. */
export interface IdentityKey {
  kind: IdentityKind;
  value: string;
}

/** `PHONE:13812345678`: the form held_records.identity_keys stores. */
export const keyString = (k: IdentityKey) => `${k.kind}:${k.value}`;

/** Inverse of keyString. */
export function parseKeyString(s: string): IdentityKey {
  const i = s.indexOf(':');
  return { kind: s.slice(0, i) as IdentityKind, value: s.slice(i + 1) };
}

/** True for identities of a strong kind. */
export const isStrong = (k: IdentityKey) => STRONG_KINDS.has(k.kind);

/**
 * A mainland mobile number as its 11 digits (`+86 138-1234-5678` → `13812345678`), or another
 * country's number in E.164 (`+4915112345678`). Masked numbers (`138****5678`) are not phones.
 */
export function normalizePhone(raw: string, path: string): string {
  const compact = raw.replace(/[\s\-().]/g, '');
  if (compact.includes('*')) fail(path, 'is a masked phone number');
  const cn = /^(?:\+?86|0086)?(1[3-9]\d{9})$/.exec(compact);
  if (cn) return cn[1];
  if (/^\+[1-9]\d{6,14}$/.test(compact)) return compact;
  if (/^00[1-9]\d{6,14}$/.test(compact)) return `+${compact.slice(2)}`;
  return fail(path, `is not a phone number (11-digit mainland mobile or +country number): ${JSON.stringify(raw.slice(0, 30))}`);
}

/** True when `raw` would pass normalizePhone (for adapters that skip masked or encrypted phones). */
export function isUsablePhone(raw: unknown): raw is string {
  if (typeof raw !== 'string') return false;
  try {
    normalizePhone(raw, '');
    return true;
  } catch {
    return false;
  }
}

const KINDS: ReadonlySet<string> = new Set(IDENTITY_KINDS);

/** Checks and normalises one identity: kind known, value non-empty, phones and e-mails canonical. */
export function identityKey(kind: unknown, value: unknown, path: string): IdentityKey {
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    fail(`${path}.kind`, `must be one of ${IDENTITY_KINDS.join(', ')}`);
  }
  return { kind: kind as IdentityKind, value: identityValue(kind as IdentityKind, value, `${path}.value`) };
}

/** An identity value of `kind`, checked and normalised; errors name `path`. */
export function identityValue(kind: IdentityKind, value: unknown, path: string): string {
  const v = text(value, path);
  if (kind === 'PHONE') return normalizePhone(v, path);
  if (kind === 'EMAIL') {
    const e = v.toLowerCase();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) fail(path, 'is not an e-mail address');
    return e;
  }
  return v;
}

/**
 * Item `i` of a record's identity list, checked. A function of the module, not a closure made per
 * record: under tsx every named closure is wrapped to keep its name, on each call of its maker.
 */
function identityAt(items: unknown[], i: number, path: string): IdentityKey {
  const o = (items[i] ?? {}) as Record<string, unknown>;
  return identityKey(o.kind, o.value, `${path}[${i}]`);
}

/** The identities of a record, checked, de-duplicated, in input order. */
export function identityList(v: unknown, path: string): IdentityKey[] {
  if (v !== undefined && v !== null && !Array.isArray(v)) fail(path, 'must be a list of { kind, value }');
  const items = (v as unknown[]) ?? [];
  if (items.length === 1) return [identityAt(items, 0, path)]; // the common record: nothing to de-duplicate
  const out: IdentityKey[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const key = identityAt(items, i, path);
    const s = keyString(key);
    if (!seen.has(s)) out.push(key);
    seen.add(s);
  }
  return out;
}
