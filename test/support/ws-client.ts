import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T> {
  /** Every `next` payload received, in order. */
  received: T[];
  errors: unknown[];
  /** Close event of the socket, once closed: code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves when at least `n` payloads have arrived (rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<T[]>;
  dispose(): Promise<void>;
  client: Client;
}

/** Subscribes over graphql-ws like a partner would, with the token in connection_init. */
export function subscribe<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const received: T[] = [];
  const errors: unknown[] = [];
  let waiters: Array<() => void> = [];
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: (e) => errors.push(e),
    on: {
      closed: (event: any) => {
        resolveClosed({ code: event?.code, reason: String(event?.reason ?? '') });
        for (const w of waiters) w();
      },
    },
  });
  client.subscribe<T>({ query, variables }, {
    next: (v) => {
      if (v.errors) errors.push(...v.errors);
      if (v.data) received.push(v.data as T);
      for (const w of waiters) w();
    },
    error: (e) => {
      errors.push(e);
      for (const w of waiters) w();
    },
    complete: () => undefined,
  });
  return {
    received,
    errors,
    closed,
    client,
    waitFor(n, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`got ${received.length} of ${n} changes; errors: ${messages(errors)}`)), ms);
        const check = () => {
          if (received.length >= n) {
            clearTimeout(timer);
            waiters = waiters.filter((w) => w !== check);
            resolve(received.slice());
          } else if (errors.length) {
            clearTimeout(timer);
            reject(new Error(`subscription error: ${messages(errors)}`));
          }
        };
        waiters.push(check);
        check();
      });
    },
    async dispose() {
      await client.dispose();
    },
  };
}

function messages(errors: unknown[]): string {
  return errors.map((e: any) => (Array.isArray(e) ? messages(e) : e?.message ?? String(e?.reason ?? e))).join('; ');
}
