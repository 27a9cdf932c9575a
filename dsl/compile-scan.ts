import type { CollectionName } from './catalog.js';
import type { SqlWriter, TableName } from './sql.js';

interface Scan {
  alias: string;
  columns: string[];
  /** Per aggregate: the lower bound of its window, if it has one. */
  lowers: (string | undefined)[];
  /** Per aggregate: the event-name parameter, if it reads one event name. */
  names: (string | undefined)[];
}

const SCAN_ALIAS: Record<CollectionName, string> = { orders: 'so', items: 'si', events: 'se' };

/**
 * Where a collection's fields live inside its scan: orders as `o`, items as `i` joined to their
 * order `o` (for channel, status and times), events as `e`.
 */
export function rowColumn(w: SqlWriter, collection: CollectionName, field: string): string {
  if (collection === 'orders') return w.column('orders', 'o', field === 'id' ? 'order_id' : field);
  if (collection === 'events') return w.column('events', 'e', field);
  return ['channel', 'status', 'created_at', 'paid_at'].includes(field) ? w.column('orders', 'o', field) : w.column('order_items', 'i', field);
}

/** The time column windows and asOf apply to. */
export function timeColumn(w: SqlWriter, collection: CollectionName): string {
  return collection === 'events' ? w.column('events', 'e', 'occurred_at') : w.column('orders', 'o', 'created_at');
}

/** The order `first` and `last` read rows in: by time, ties by id. */
export function rowOrder(w: SqlWriter, collection: CollectionName, descending: boolean): string {
  const dir = descending ? ' desc' : '';
  const keys = collection === 'orders' ? [w.column('orders', 'o', 'created_at'), w.column('orders', 'o', 'order_id')]
    : collection === 'items' ? [w.column('orders', 'o', 'created_at'), w.column('order_items', 'i', 'order_id'), w.column('order_items', 'i', 'line_no')]
      : [w.column('events', 'e', 'occurred_at'), w.column('events', 'e', 'id')];
  return keys.map((k) => `${k}${dir}`).join(', ');
}

/**
 * The FROM side of a compiled query: one grouped scan per collection, whatever the number of
 * aggregates over it (each aggregate is a FILTER column of the scan), and one join per tag read.
 * Every join to the members is on (tenant_id, member_id).
 */
export class Sources {
  private readonly scans = new Map<CollectionName, Scan>();
  private readonly tags = new Map<string, string>();
  private readonly tagParams: string[] = [];

  constructor(private readonly w: SqlWriter, private readonly restrictMembers: boolean) {}

  /** Adds an aggregate column to the collection's scan and returns its reference in the outer query. */
  aggregate(collection: CollectionName, sql: string, lower: string | undefined, eventName: string | undefined): string {
    let scan = this.scans.get(collection);
    if (!scan) {
      scan = { alias: SCAN_ALIAS[collection], columns: [], lowers: [], names: [] };
      this.scans.set(collection, scan);
    }
    scan.columns.push(`${sql} as a${scan.columns.length + 1}`);
    scan.lowers.push(lower);
    scan.names.push(eventName);
    return `${scan.alias}.a${scan.columns.length}`;
  }

  /** The alias of the materialised value row of tag `name` (joined once however often it is read). */
  tag(name: string): string {
    let alias = this.tags.get(name);
    if (!alias) {
      alias = `t${this.tags.size + 1}`;
      this.tags.set(name, alias);
      this.tagParams.push(this.w.param(name, 'text'));
    }
    return alias;
  }

  /**
   * The grouped scans, as materialised common table expressions: each is computed once, whatever
   * plan Postgres picks for joining it to the members (a nested loop must not rescan it per member).
   */
  scanDefinitions(): string[] {
    return [...this.scans].map(([collection, scan]) => this.scanQuery(collection, scan));
  }

  /** The join clauses, in the order their sources were first used. */
  joins(): string[] {
    const out: string[] = [];
    for (const scan of this.scans.values()) out.push(`left join ${scan.alias} on ${scan.alias}.tenant_id = m.tenant_id and ${scan.alias}.member_id = m.member_id`);
    let i = 0;
    for (const alias of this.tags.values()) {
      const tv = (c: string) => this.w.column('tag_values', alias, c);
      out.push(`left join ${this.w.table('tag_values')} ${alias} on ${tv('tenant_id')} = m.tenant_id and ${tv('member_id')} = m.member_id`
        + ` and ${tv('tag_name')} = ${this.tagParams[i++]}`);
    }
    return out;
  }

  private scanQuery(collection: CollectionName, scan: Scan): string {
    const w = this.w;
    const [table, alias]: [TableName, string] = collection === 'orders' ? ['orders', 'o'] : collection === 'items' ? ['order_items', 'i'] : ['events', 'e'];
    const tenant = w.column(table, alias, 'tenant_id');
    const member = w.column(table, alias, 'member_id');
    const time = timeColumn(w, collection);
    const from = collection === 'items'
      ? `${w.table('order_items')} i join ${w.table('orders')} o on ${w.column('orders', 'o', 'tenant_id')} = ${tenant} and ${w.column('orders', 'o', 'order_id')} = ${w.column('order_items', 'i', 'order_id')}`
      : `${w.table(table)} ${alias}`;
    // rows after asOf never count; when every aggregate has a window, rows before the widest one are not read
    const where = [`${tenant} = ${w.tenant}`, `${time} <= ${w.asOf}`];
    if (scan.lowers.every((l) => l !== undefined)) {
      const lowers = scan.lowers as string[];
      where.push(`${time} > ${lowers.length === 1 ? lowers[0] : `least(${lowers.join(', ')})`}`);
    }
    if (scan.names.every((n) => n !== undefined)) where.push(`${w.column('events', 'e', 'name')} in (${[...new Set(scan.names)].join(', ')})`);
    if (this.restrictMembers) where.push(`${member} = any(${w.members})`);
    return `${scan.alias} as materialized (select ${tenant}, ${member}, ${scan.columns.join(', ')}\n  from ${from}\n  where ${where.join(' and ')}\n  group by ${tenant}, ${member})`;
  }
}
