import pg from 'pg';
import { CHANGES_CHANNEL } from './change-log.js';

/**
 * One LISTEN connection per gateway process that wakes the subscribers of an audience when any
 * process commits changes to its log. A wake-up carries no data: subscribers re-read the log from
 * their cursor, so a lost or duplicated notification loses or repeats nothing. Subscribers also
 * poll at `pollMs` as a safety net (and while the connection is being re-established): one timer
 * per audience wakes all its waiters together, so their reads share one statement (readChanges)
 * instead of each subscriber reading on a timer of its own.
 */
export class ChangeHub {
  private client: pg.Client | undefined;
  private waiters = new Map<string, { set: Set<() => void>; timer: NodeJS.Timeout }>();
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly connection: pg.ClientConfig, readonly pollMs = 2000) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.connection);
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGES_CHANNEL || !msg.payload) return;
      const key = msg.payload.slice(0, msg.payload.lastIndexOf(':'));
      this.wake(key);
    });
    client.on('error', () => this.scheduleReconnect(client));
    client.on('end', () => this.scheduleReconnect(client));
    try {
      await client.connect();
      await client.query(`listen ${CHANGES_CHANNEL}`);
      this.client = client;
      this.wakeAll(); // anything committed while we were not listening is re-read now
    } catch {
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    if (this.stopped || this.reconnectTimer) return;
    if (this.client === client) this.client = undefined;
    client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, 500);
  }

  /** Resolves at the next wake-up for (tenant, audience), within `pollMs`, or when `signal` aborts. */
  wait(tenantId: string, audience: string, signal?: AbortSignal): Promise<void> {
    const key = `${tenantId}:${audience}`;
    return new Promise((resolve) => {
      let entry = this.waiters.get(key);
      if (!entry) {
        entry = { set: new Set(), timer: setInterval(() => this.wake(key), this.pollMs) };
        this.waiters.set(key, entry);
      }
      const e = entry;
      const done = () => {
        signal?.removeEventListener('abort', done);
        e.set.delete(done);
        if (e.set.size === 0 && this.waiters.get(key) === e) {
          clearInterval(e.timer);
          this.waiters.delete(key);
        }
        resolve();
      };
      if (signal?.aborted) return done();
      signal?.addEventListener('abort', done, { once: true });
      e.set.add(done);
    });
  }

  private wake(key: string): void {
    const entry = this.waiters.get(key);
    if (entry) for (const done of [...entry.set]) done();
  }

  private wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.wake(key);
  }

  /** Number of subscribers currently waiting (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const e of this.waiters.values()) n += e.set.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.wakeAll();
    await this.client?.end().catch(() => undefined);
  }
}
