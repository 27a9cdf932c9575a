/**
 * The two doors through which anything reaches compiled SQL text. Values (every literal, every
 * name that is data such as a tag name or an attribute key) only through `param`, which pushes a
 * bind parameter and writes `$n::type`. Identifiers only through `column`/`table`, which accept
 * nothing but the fixed names of migrations/001_core.sql listed here. Everything else in the SQL
 * text is constant strings of the compiler.
 */

/** The columns of each table the compiler reads. */
const SCHEMA: Record<string, readonly string[]> = {
  members: ['tenant_id', 'member_id', 'name', 'gender', 'birthday', 'phone', 'email', 'id_card_sha256', 'province', 'city',
    'registered_at', 'registered_channel', 'level', 'points', 'married', 'has_children', 'attributes'],
  orders: ['tenant_id', 'order_id', 'member_id', 'channel', 'channel_order_id', 'status', 'amount', 'discount', 'created_at',
    'paid_at', 'store_id'],
  order_items: ['tenant_id', 'order_id', 'line_no', 'member_id', 'sku', 'product_name', 'category', 'quantity', 'price'],
  events: ['tenant_id', 'id', 'member_id', 'name', 'channel', 'occurred_at', 'properties'],
  tag_values: ['tenant_id', 'tag_name', 'member_id', 'value'],
  audience_members: ['tenant_id', 'audience_name', 'member_id'],
};

export type TableName = keyof typeof SCHEMA & string;

/** SQL types a parameter may be cast to. */
export type ParamType = 'text' | 'numeric' | 'boolean' | 'int' | 'date' | 'timestamp' | 'timestamptz';

/** A parameterised query in node-postgres's own shape. */
export interface CompiledQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * Collects parameters for one query. `$1` is the tenant id, `$2` asOf and, for a member-scoped
 * query, `$3` the member ids: their values are placeholders (null) until bindQuery fills them.
 * Literals follow.
 */
export class SqlWriter {
  readonly values: unknown[];
  private zone: string | undefined;

  constructor(readonly memberScoped: boolean, private readonly timeZoneName: string) {
    this.values = memberScoped ? [null, null, null] : [null, null];
  }

  readonly tenant = '$1::uuid';
  readonly members = '$3::bigint[]';
  /** Whether the text refers to asOf; Postgres cannot type a parameter the text never uses. */
  asOfUsed = false;

  get asOf(): string {
    this.asOfUsed = true;
    return '$2::timestamptz';
  }

  /** The one door for values: pushes `value` as a bind parameter and returns `$n::type`. */
  param(value: string | boolean, type: ParamType): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /** The time zone calendar computations use, as one parameter shared by every use. */
  timeZone(): string {
    this.zone ??= this.param(this.timeZoneName, 'text');
    return this.zone;
  }

  /** The one door for identifiers: `alias.column`, only for a column of the fixed schema above. */
  column(table: TableName, alias: string, column: string): string {
    if (!SCHEMA[table]?.includes(column) || !/^[a-z]+[0-9]*$/.test(alias)) throw new Error(`not a known column: ${table}.${column}`);
    return `${alias}.${column}`;
  }

  /** A table of the fixed schema. */
  table(table: TableName): string {
    if (!Object.hasOwn(SCHEMA, table)) throw new Error(`not a known table: ${table}`);
    return table;
  }

  /** The finished query, frozen. */
  finish(text: string): CompiledQuery {
    return Object.freeze({ text, values: Object.freeze([...this.values]) });
  }
}

/** What to bind to the fixed parameters of a compiled query. */
export interface QueryParams {
  tenantId: string;
  asOf: Date | string;
  /** Required for a member-scoped query. */
  memberIds?: readonly (string | number | bigint)[];
}

/**
 * A copy of a compiled query with the tenant (`$1`), asOf (`$2`) and, for a member-scoped query,
 * the member ids (`$3`) filled in. The query text is unchanged.
 */
export function bindQuery(query: CompiledQuery, params: QueryParams): CompiledQuery {
  const values = [...query.values];
  values[0] = params.tenantId;
  values[1] = params.asOf instanceof Date ? params.asOf.toISOString() : params.asOf;
  // literal parameters are never null or arrays: a null or an array in third place is the member list
  if (values[2] === null || Array.isArray(values[2])) values[2] = (params.memberIds ?? []).map(String);
  return Object.freeze({ text: query.text, values: Object.freeze(values) });
}
