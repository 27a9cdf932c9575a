import pg from 'pg';

/** A named statement of a pipeline and its bind values. */
export interface PipelinedStatement {
  /** The prepared-statement name: parsed once per connection, as pg does for named queries. */
  name: string;
  text: string;
  values: readonly unknown[];
}

// The protocol calls pg's Query makes on a connection (pg/lib/query.js); not in pg's typings.
interface Connection {
  parsedStatements: Record<string, string>;
  parse(msg: { text: string; name: string; types: number[] }): void;
  bind(msg: { portal: string; statement: string; values: readonly unknown[]; binary: boolean; valueMapper: (v: unknown) => unknown }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(msg: { portal: string }): void;
  sync(): void;
  stream: { cork?: () => void; uncork?: () => void };
}

interface QueryBase {
  handleReadyForQuery(con: Connection): void;
}
const Query = (pg as unknown as { Query: new (config: object) => QueryBase }).Query;

// Values as pg's own prepareValue sends the ones we bind: bytes as bytes, everything else as text.
const toWire = (v: unknown) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : String(v));

/**
 * Several named statements in one round trip: Parse (first use on the connection), Bind, Describe
 * and Execute for each, then one Sync, as libpq's pipeline mode sends them. Postgres runs them in
 * order in one implicit transaction; an error ends the pipeline there and nothing after it runs.
 * The callback gets one result per statement.
 */
class PipelinedQuery extends Query {
  private parsing: PipelinedStatement[] = [];

  constructor(private readonly statements: readonly PipelinedStatement[], callback: (err: Error | null, results?: pg.QueryResult | pg.QueryResult[]) => void) {
    super({ text: `pipeline: ${statements.map((s) => s.name).join(', ')}`, callback });
  }

  requiresPreparation(): boolean {
    return true;
  }

  submit(connection: Connection): Error | null {
    for (const s of this.statements) {
      const parsed = connection.parsedStatements[s.name];
      // as pg's own Query: a name stands for one text on a connection, or the wrong statement would run
      if (parsed !== undefined && parsed !== s.text) return new Error(`Prepared statements must be unique - '${s.name}' was used for a different statement`);
    }
    connection.stream.cork?.();
    try {
      for (const s of this.statements) {
        if (connection.parsedStatements[s.name] === undefined) {
          connection.parse({ text: s.text, name: s.name, types: [] });
          this.parsing.push(s);
        }
        connection.bind({ portal: '', statement: s.name, values: s.values, binary: false, valueMapper: toWire });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      }
    } catch (err) {
      // a value that could not be written: what was queued runs up to the Sync, and the caller gets the error
      (this as unknown as { _canceledDueToError: unknown })._canceledDueToError = err;
    } finally {
      connection.sync();
      connection.stream.uncork?.();
    }
    return null;
  }

  override handleReadyForQuery(con: Connection): void {
    // reached when no statement failed (a failure is reported, and the client moves on, before
    // this), or after a value that could not be written
    if (!(this as unknown as { _canceledDueToError: unknown })._canceledDueToError) {
      for (const s of this.parsing) con.parsedStatements[s.name] = s.text;
    }
    super.handleReadyForQuery(con);
  }
}

/**
 * Runs `statements` on `client` in one round trip and returns their results in order. On an error
 * the connection's prepared statements may be in a state pg does not know: release that client
 * with the error (pool.release(err)) so it is closed.
 */
export function runPipeline(client: pg.ClientBase, statements: readonly PipelinedStatement[]): Promise<pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    const query = new PipelinedQuery(statements, (err, results) => {
      if (err) return reject(err);
      const list = Array.isArray(results) ? results : [results!];
      if (list.length !== statements.length) return reject(new Error(`pipeline of ${statements.length} statements returned ${list.length} results`));
      resolve(list);
    });
    (client as unknown as { query(q: unknown): unknown }).query(query);
  });
}
