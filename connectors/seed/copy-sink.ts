/**
 * One `COPY ... FROM STDIN` on a connection of its own, fed text chunks with backpressure: `write`
 * resolves once the socket has room again, so a generator never runs ahead of the server.
 */

import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';

/** A running COPY. Open with `CopySink.open`, `write` chunks, then `finish` (commits) or `abort`. */
export class CopySink {
  private failure: Error | undefined;
  private readonly failed: Promise<never>;

  private constructor(private readonly client: pg.Client, private readonly stream: CopyStreamQuery) {
    this.failed = new Promise<never>((_, reject) => {
      stream.on('error', (err: Error) => {
        this.failure ??= err;
        reject(err);
      });
    });
    this.failed.catch(() => undefined); // observed through write/finish
  }

  /**
   * Connects with `config` (the admin pool's own settings) and starts `copySql`. The connection is
   * not taken from the pool, so several seeds sharing one small pool cannot starve each other.
   */
  static async open(config: pg.ClientConfig, copySql: string): Promise<CopySink> {
    const client = new pg.Client(config);
    client.on('error', () => undefined); // a dropped connection surfaces as the COPY stream's error
    await client.connect();
    try {
      // this session's commit need not wait for the WAL flush; the load is re-runnable from its seed
      await client.query('set synchronous_commit = off');
      return new CopySink(client, client.query(copyFrom(copySql)));
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /** Sends one chunk; waits for the stream to drain when its buffer is full. Throws the COPY's error. */
  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  /** Ends the COPY (it commits: one statement, one transaction) and returns the server's row count. */
  async finish(): Promise<number> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await Promise.race([finished(this.stream), this.failed]);
    const rows = this.stream.rowCount;
    await this.client.end();
    return rows;
  }

  /** Abandons the COPY: closing the connection makes the server roll it back. */
  async abort(): Promise<void> {
    this.stream.destroy();
    await this.client.end().catch(() => undefined);
  }
}
