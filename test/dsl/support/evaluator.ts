/**
 * A small reference evaluator of the language over in-memory rows, written from docs/dsl.md and
 * independent of the compiler: tests compare it with the SQL that Postgres runs. It reuses the
 * library's parser (syntax is tested on its own) and, for jsonb attributes and properties only,
 * the type the checker gave them from their use.
 */
import type { Expr, ValueType } from '../../../dsl/index.js';
import type { CheckType } from '../../../dsl/check-types.js';
import type { Dataset, EventRow, ItemRow, MemberRow, OrderRow, Plain } from './dataset.js';

type Val = null | boolean | number | string | { date: number } | { ts: number } | { amount: number; unit: string };

const DAY = 86_400_000;
type Row = Record<string, unknown> & { time: number; order: number[] };

export interface EvalOptions {
  asOf: string;
  /** Fixed offset of the time zone from UTC, in minutes (UTC: 0, Asia/Shanghai: 480). */
  offsetMinutes?: number;
  tagTypes?: Map<string, ValueType>;
  /** The checker's types, consulted only for jsonb attributes and properties. */
  types?: Map<Expr, CheckType>;
  /** The type of the result: a date where a timestamp is expected is read as midnight. */
  resultType?: ValueType;
}

function dayOf(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY);
}

function ymd(day: number): [number, number, number] {
  const d = new Date(day * DAY);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

function addMonths(y: number, m: number, d: number, months: number): [number, number, number] {
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  const last = new Date(Date.UTC(ny, nm, 0)).getUTCDate();
  return [ny, nm, Math.min(d, last)];
}

/** Evaluates `expr` for every member of the dataset. */
export function evaluate(expr: Expr, data: Dataset, opts: EvalOptions): Map<number, Plain> {
  const asOf = Date.parse(opts.asOf);
  const offset = (opts.offsetMinutes ?? 0) * 60_000;
  const today = Math.floor((asOf + offset) / DAY);
  const ordersById = new Map(data.orders.map((o) => [o.order_id, o]));
  const rowsOf = new Map<string, Row[]>();
  const push = (key: string, row: Row) => (rowsOf.get(key) ?? rowsOf.set(key, []).get(key)!).push(row);
  for (const o of data.orders) push(`orders:${o.member_id}`, orderRow(o));
  for (const i of data.items) push(`items:${i.member_id}`, itemRow(i, ordersById.get(i.order_id)!));
  for (const e of data.events) push(`events:${e.member_id}`, eventRow(e));
  const tagValues = new Map(data.tagValues.map((v) => [`${v.tag_name}:${v.member_id}`, v.value]));
  const audiences = new Set(data.audienceMembers.map((a) => `${a.audience_name}:${a.member_id}`));
  const population = new Map<Expr, Map<number, number>>();

  const midnight = (day: number) => day * DAY - offset;
  const toTs = (v: Val): number | null => (v === null ? null : typeof v === 'object' && 'ts' in v ? v.ts : midnight((v as { date: number }).date));
  const shift = (v: Val, sign: number, d: { amount: number; unit: string }): Val => {
    if (v === null) return null;
    const hours = { hours: 1, days: 24, weeks: 168 }[d.unit];
    if (typeof v === 'object' && 'date' in v) {
      if (hours) return { date: v.date + Math.floor((sign * d.amount * hours) / 24) };
      const [y, m, day] = ymd(v.date);
      return { date: dayOf(addMonths(y, m, day, sign * d.amount * (d.unit === 'years' ? 12 : 1)).map((x, i) => String(x).padStart(i ? 2 : 4, '0')).join('-')) };
    }
    const ts = (v as { ts: number }).ts;
    if (hours) return { ts: ts + sign * d.amount * hours * 3_600_000 };
    const local = ts + offset;
    const day = Math.floor(local / DAY);
    const [y, m, dd] = addMonths(...ymd(day), sign * d.amount * (d.unit === 'years' ? 12 : 1));
    return { ts: Date.UTC(y, m - 1, dd) + (local - day * DAY) - offset };
  };

  function compare(a: Val, b: Val): number | null {
    if (a === null || b === null) return null;
    if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) ? 0 : a < b ? -1 : 1;
    if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : a < b ? -1 : 1;
    if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
    const [x, y] = [toTs(a)!, toTs(b)!];
    return x === y ? 0 : x < y ? -1 : 1;
  }

  function jsonAs(raw: unknown, e: Expr): Val {
    const kind = opts.types?.get(e)?.kind ?? 'unknown';
    if (raw === undefined || raw === null) return null;
    if (kind === 'number') return typeof raw === 'number' ? raw : null;
    if (kind === 'boolean') return typeof raw === 'boolean' ? raw : null;
    if (kind === 'unknown') return typeof raw === 'string' ? raw : JSON.stringify(raw);
    return typeof raw === 'string' ? raw : null;
  }

  function member(m: MemberRow, field: string): Val {
    switch (field) {
      case 'id': return m.member_id;
      case 'birthday': return m.birthday ? { date: dayOf(m.birthday) } : null;
      case 'registered_at': return { ts: Date.parse(m.registered_at ?? '2025-01-01T00:00:00Z') };
      case 'gender': return m.gender ?? 'U';
      case 'level': return m.level ?? 0;
      case 'points': return m.points ?? 0;
      case 'id_card': return m.id_card ? 'hashed' : null;
      case 'age': case 'days_until_birthday': {
        if (!m.birthday) return null;
        const [by, bm, bd] = ymd(dayOf(m.birthday));
        const [ty, tm, td] = ymd(today);
        if (field === 'age') return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
        const on = (y: number) => { const last = new Date(Date.UTC(y, bm, 0)).getUTCDate(); return Math.round(Date.UTC(y, bm - 1, Math.min(bd, last)) / DAY); };
        return on(ty) >= today ? on(ty) - today : on(ty + 1) - today;
      }
      default: return ((m as unknown as Record<string, unknown>)[field] ?? null) as Val;
    }
  }

  function cond(e: Expr, m: MemberRow, row?: Row): boolean {
    return ev(e, m, row) === true;
  }

  function ev(e: Expr, m: MemberRow, row?: Row): Val {
    switch (e.kind) {
      case 'NumberLiteral': return Number(e.text);
      case 'StringLiteral': return e.value;
      case 'BooleanLiteral': return e.value;
      case 'DurationLiteral': return { amount: Number(e.amount), unit: e.unit };
      case 'Negate': { const v = ev(e.operand, m, row); return v === null ? null : -(v as number); }
      case 'Not': return !cond(e.operand, m, row);
      case 'Logical': return e.op === 'and' ? e.operands.every((o) => cond(o, m, row)) : e.operands.some((o) => cond(o, m, row));
      case 'Arithmetic': {
        let acc = ev(e.first, m, row);
        for (const r of e.rest) {
          const v = ev(r.operand, m, row);
          if (acc === null || v === null) acc = null;
          else if (typeof acc === 'object') acc = shift(acc, r.op === '-' ? -1 : 1, v as { amount: number; unit: string });
          else if (r.op === '/') acc = v === 0 ? null : (acc as number) / (v as number);
          else acc = r.op === '+' ? (acc as number) + (v as number) : r.op === '-' ? (acc as number) - (v as number) : (acc as number) * (v as number);
        }
        return acc;
      }
      case 'Comparison': {
        const c = compare(ev(e.left, m, row), ev(e.right, m, row));
        if (c === null) return false;
        return { '=': c === 0, '!=': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[e.op];
      }
      case 'InList': {
        const v = ev(e.operand, m, row);
        const hit = e.items.some((i) => compare(v, ev(i, m, row)) === 0);
        return e.negated ? !hit : hit;
      }
      case 'Between': {
        const v = ev(e.operand, m, row);
        const [lo, hi] = [compare(v, ev(e.low, m, row)), compare(v, ev(e.high, m, row))];
        const hit = lo !== null && hi !== null && lo >= 0 && hi <= 0;
        return e.negated ? !hit : hit;
      }
      case 'IsNull': return (ev(e.operand, m, row) === null) !== e.negated;
      case 'StringTest': {
        const [s, p] = [ev(e.operand, m, row), ev(e.pattern, m, row)];
        if (typeof s !== 'string' || typeof p !== 'string') return false;
        return e.op === 'contains' ? s.includes(p) : s.startsWith(p);
      }
      case 'Case': {
        for (const b of e.branches) if (cond(b.when, m, row)) return ev(b.then, m, row);
        return e.otherwise ? ev(e.otherwise, m, row) : null;
      }
      case 'Reference': return reference(e, m, row);
      case 'Call': return call(e, m, row);
    }
  }

  function reference(e: Extract<Expr, { kind: 'Reference' }>, m: MemberRow, row?: Row): Val {
    const [head, second] = e.segments.map((s) => s.text);
    if (head === 'tag') {
      const raw = tagValues.get(`${second}:${m.member_id}`);
      const type = opts.tagTypes?.get(second)?.kind;
      if (raw === undefined) return null;
      if (type === 'date') return { date: dayOf(raw as string) };
      if (type === 'timestamp') return { ts: Date.parse(raw as string) };
      return raw as Val;
    }
    if (head === 'audience') return audiences.has(`${second}:${m.member_id}`);
    if (row) return head === 'properties' ? jsonAs((row.properties as Record<string, unknown>)[second], e) : (row[head] ?? null) as Val;
    if (head === 'attributes') return jsonAs((m.attributes ?? {})[second], e);
    return member(m, head);
  }

  function call(e: Extract<Expr, { kind: 'Call' }>, m: MemberRow, row?: Row): Val {
    const args = e.args;
    switch (e.name.text) {
      case 'now': return { ts: asOf };
      case 'date': return { date: dayOf((args[0].value as { value: string }).value) };
      case 'timestamp': {
        const text = (args[0].value as { value: string }).value;
        const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text) && text.length > 10;
        return { ts: zoned ? Date.parse(text) : Date.parse(`${text.replace(' ', 'T')}Z`) - offset };
      }
      case 'days_since': { const t = toTs(ev(args[0].value, m, row)); return t === null ? null : Math.floor((asOf - t) / DAY); }
      case 'coalesce': for (const a of args) { const v = ev(a.value, m, row); if (v !== null) return v; } return null;
      case 'quintile': return quintile(e, m);
      default: return aggregate(e, m);
    }
  }

  function quintile(e: Extract<Expr, { kind: 'Call' }>, m: MemberRow): Val {
    let scores = population.get(e);
    if (!scores) {
      const desc = e.args[0].modifiers.some((x) => x.kind === 'desc');
      const values = data.members.map((x) => ({ id: x.member_id, v: ev(e.args[0].value, x) }));
      const key = (v: Val) => (typeof v === 'number' ? v : toTs(v)!) * (desc ? -1 : 1);
      const sorted = values.filter((x) => x.v !== null).map((x) => key(x.v)).sort((a, b) => a - b);
      scores = new Map();
      for (const { id, v } of values) {
        if (v === null) { scores.set(id, 1); continue; }
        const k = key(v);
        const limit = k - 1e-9 * Math.max(1, Math.abs(k));
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < limit) lo = mid + 1; else hi = mid; }
        scores.set(id, 1 + Math.floor((5 * lo) / values.length));
      }
      population.set(e, scores);
    }
    return scores.get(m.member_id)!;
  }

  function aggregate(e: Extract<Expr, { kind: 'Call' }>, m: MemberRow): Val {
    const arg = e.args[0];
    const segs = arg.value.kind === 'Reference' ? arg.value.segments : [];
    const collection = segs[0].text;
    let i = 1;
    let eventName: string | undefined;
    const eventFields = ['name', 'channel', 'occurred_at', 'properties'];
    if (collection === 'events' && segs[1] && (segs[1].quoted || !eventFields.includes(segs[1].text))) { eventName = segs[1].text; i = 2; }
    const field = segs[i]?.text;
    const property = field === 'properties' ? segs[i + 1].text : undefined;
    let rows = (rowsOf.get(`${collection}:${m.member_id}`) ?? []).filter((r) => r.time <= asOf && (eventName === undefined || r.name === eventName));
    for (const mod of arg.modifiers) {
      if (mod.kind === 'within') {
        const lower = (shift({ ts: asOf }, -1, { amount: Number(mod.duration.amount), unit: mod.duration.unit }) as { ts: number }).ts;
        rows = rows.filter((r) => r.time > lower);
      }
      if (mod.kind === 'where') rows = rows.filter((r) => cond(mod.condition, m, r));
    }
    const valueOf = (r: Row): Val => (property !== undefined ? jsonAs((r.properties as Record<string, unknown>)[property], arg.value) : field ? (r[field] ?? null) as Val : null);
    const values = rows.map(valueOf).filter((v) => v !== null);
    const fn = e.name.text;
    if (fn === 'count') return field ? values.length : rows.length;
    if (fn === 'count_distinct') return new Set(values.map((v) => JSON.stringify(v))).size;
    if (fn === 'sum') return values.reduce<number>((a, v) => a + (v as number), 0);
    if (values.length === 0) return null;
    if (fn === 'avg') return values.reduce<number>((a, v) => a + (v as number), 0) / values.length;
    if (fn === 'min' || fn === 'max') return values.reduce((a, v) => ((compare(v, a)! < 0) === (fn === 'min') && compare(v, a) !== 0 ? v : a));
    if (fn === 'first' || fn === 'last') {
      const sorted = rows.filter((r) => valueOf(r) !== null).sort((a, b) => cmpKeys(a.order, b.order));
      return valueOf(fn === 'first' ? sorted[0] : sorted[sorted.length - 1]);
    }
    const counts = new Map<string, { v: Val; n: number }>();
    for (const v of values) { const k = JSON.stringify(v); counts.set(k, { v, n: (counts.get(k)?.n ?? 0) + 1 }); }
    return [...counts.values()].sort((a, b) => b.n - a.n || (compare(a.v, b.v) ?? 0))[0].v;
  }

  const result = new Map<number, Plain>();
  for (const m of data.members) {
    const v = ev(expr, m);
    result.set(m.member_id, plain(opts.resultType?.kind === 'timestamp' && v !== null ? { ts: toTs(v)! } : v));
  }
  return result;
}

function cmpKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function orderRow(o: OrderRow): Row {
  const time = Date.parse(o.created_at);
  return { id: o.order_id, channel: o.channel, status: o.status, amount: o.amount_cents / 100, discount: (o.discount_cents ?? 0) / 100,
    created_at: { ts: time }, paid_at: o.paid_at ? { ts: Date.parse(o.paid_at) } : null, store_id: o.store_id ?? null,
    channel_order_id: `co${o.order_id}`, time, order: [time, o.order_id] };
}

function itemRow(i: ItemRow, o: OrderRow): Row {
  const time = Date.parse(o.created_at);
  return { sku: i.sku, product_name: i.product_name ?? i.sku, category: i.category, quantity: i.quantity, price: i.price_cents / 100,
    channel: o.channel, status: o.status, created_at: { ts: time }, paid_at: o.paid_at ? { ts: Date.parse(o.paid_at) } : null,
    time, order: [time, i.order_id, i.line_no] };
}

function eventRow(e: EventRow): Row {
  const time = Date.parse(e.occurred_at);
  return { name: e.name, channel: e.channel ?? null, occurred_at: { ts: time }, properties: e.properties ?? {}, time, order: [time, e.id] };
}

function plain(v: Val): Plain {
  if (v === null || typeof v !== 'object') return v;
  if ('date' in v) return ymd(v.date).map((x, i) => String(x).padStart(i ? 2 : 4, '0')).join('-');
  if ('ts' in v) return v.ts;
  return null;
}
