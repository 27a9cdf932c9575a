import CircuitBreaker from 'opossum';

/** Settings of one upstream REST service. */
export interface HttpSourceOptions {
  /** Names the source in errors and logs (e.g. `coupon`). */
  name: string;
  baseUrl: string;
  /** Per attempt, milliseconds (default 800). */
  timeoutMs?: number;
  /** Further attempts after a failed one (default 2). */
  retries?: number;
  /** First back-off, doubled per retry, with ±50% jitter (default 50 ms). */
  backoffMs?: number;
  /** The circuit opens when at least `volumeThreshold` calls in the window fail at `errorThresholdPercentage`. */
  errorThresholdPercentage?: number;
  volumeThreshold?: number;
  /** How long an open circuit fails fast before letting one call through (default 10 s). */
  resetTimeoutMs?: number;
  headers?: Record<string, string>;
}

/** The upstream did not answer usefully; `reason` says why (timeout, status, circuit open). */
export class UpstreamError extends Error {
  constructor(readonly source: string, readonly reason: string) {
    super(`upstream ${source} unavailable: ${reason}`);
  }
}

/** Failures that a retry may fix: network errors, timeouts, 5xx, 408, 429. */
class Retryable extends Error {}

/**
 * A REST service read live (never stored): GET with a timeout per attempt, retries with exponential
 * back-off and jitter, and an opossum circuit breaker around the whole (retried) call, so that a
 * dead upstream costs one fast failure per call instead of timeouts, and is tried again after the
 * reset timeout. getJson() resolves the parsed body, null for 404, and otherwise rejects with an
 * UpstreamError.
 */
export class HttpSource {
  private readonly breaker: CircuitBreaker<[string, Record<string, string>], unknown>;

  constructor(readonly opts: HttpSourceOptions) {
    this.breaker = new CircuitBreaker((path: string, headers: Record<string, string>) => this.attempts(path, headers), {
      name: opts.name,
      timeout: false, // each attempt has its own timeout; the breaker counts outcomes of whole calls
      errorThresholdPercentage: opts.errorThresholdPercentage ?? 50,
      volumeThreshold: opts.volumeThreshold ?? 5,
      resetTimeout: opts.resetTimeoutMs ?? 10_000,
      rollingCountTimeout: 10_000,
    });
  }

  /** `open`, `half-open` or `closed`. */
  get state(): 'open' | 'half-open' | 'closed' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** GETs `path` (relative to baseUrl) as JSON. */
  async getJson(path: string, headers: Record<string, string> = {}): Promise<unknown> {
    try {
      return await this.breaker.fire(path, headers);
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if ((err as { code?: string }).code === 'EOPENBREAKER') throw new UpstreamError(this.opts.name, 'circuit open after repeated failures');
      throw new UpstreamError(this.opts.name, (err as Error).message);
    }
  }

  /** Stops the breaker's timers. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private async attempts(path: string, headers: Record<string, string>): Promise<unknown> {
    const retries = this.opts.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(path, headers);
      } catch (err) {
        if (!(err instanceof Retryable) || attempt >= retries) throw new UpstreamError(this.opts.name, (err as Error).message);
        const delay = (this.opts.backoffMs ?? 50) * 2 ** attempt * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async once(path: string, headers: Record<string, string>): Promise<unknown> {
    const url = `${this.opts.baseUrl.replace(/\/$/, '')}/${path.replace(/^\//, '')}`;
    const timeout = this.opts.timeoutMs ?? 800;
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json', ...this.opts.headers, ...headers }, signal: AbortSignal.timeout(timeout) });
    } catch (err) {
      const name = (err as Error).name;
      throw new Retryable(name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeout} ms` : `cannot connect (${(err as Error).message})`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429) {
      await res.body?.cancel();
      throw new Retryable(`HTTP ${res.status}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new UpstreamError(this.opts.name, `HTTP ${res.status}`);
    }
    try {
      return await res.json();
    } catch {
      throw new UpstreamError(this.opts.name, 'answer is not JSON');
    }
  }
}
