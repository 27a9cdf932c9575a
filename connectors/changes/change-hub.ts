import pg from 'pg';
import { CHANGES_CHANNEL } from './change-log.js';

/**
 * One LISTEN connection per gateway process that wakes the subscribers of an audience when any
 * process commits changes to its log. A wake-up carries no data: subscribers re-read the log from
 * their cursor, so a lost or duplicated notification loses or repeats nothing. Subscribers also
 * poll at `pollMs` as a safety net (and while the connection is being re-established).
 */
export class ChangeHub {
  private client: pg.Client | undefined;
  private waiters = new Map<string, Set<() => void>>();
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

  /** Resolves at the next wake-up for (tenant, audience), after `pollMs`, or when `signal` aborts. */
  wait(tenantId: string, audience: string, signal?: AbortSignal): Promise<void> {
    const key = `${tenantId}:${audience}`;
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const done of [...set]) done();
  }

  private wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.wake(key);
  }

  /** Number of subscribers currently waiting (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.wakeAll();
    await this.client?.end().catch(() => undefined);
  }
}
