import { budgetOf, type Budget, type BucketStore } from './rate-limit.js';

// The same token bucket as cdp_rate_take, atomic in Redis. The Redis clock is the one clock every
// gateway process shares; keys expire two minutes after their last use (a full refill takes one).
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if b[1] then
  tokens = math.min(capacity, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * capacity / 60000)
end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 120000)
return { allowed, tostring(tokens), tostring(now) }
`;

/** The one call this store needs from a Redis client (ioredis's `eval`). */
export interface RedisEval {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  quit?(): Promise<unknown>;
}

/** Token buckets in Redis (optional: CDP_RATE_LIMIT_REDIS_URL). Throws when Redis cannot be reached. */
export class RedisBucketStore implements BucketStore {
  constructor(private readonly redis: RedisEval, private readonly prefix = 'cdp:rate:') {}

  async take(key: string, capacity: number, cost: number): Promise<Budget> {
    const [allowed, tokens, now] = (await this.redis.eval(TAKE_SCRIPT, 1, this.prefix + key, capacity, cost)) as [number, string, string];
    return budgetOf(allowed === 1, Number(tokens), capacity, cost, Number(now), 'shared');
  }
}

/**
 * Connects to Redis with ioredis (loaded only when a Redis URL is configured; it is not a direct
 * dependency, so a deployment that sets the URL must have it installed). Commands fail fast while
 * disconnected so that the insurance limiter answers instead of requests queueing.
 */
export async function connectRedisStore(url: string): Promise<{ store: RedisBucketStore; close(): Promise<void> }> {
  const moduleName = 'ioredis';
  const mod = (await import(moduleName)) as { default: new (url: string, opts: object) => RedisEval & { quit(): Promise<unknown> } };
  const redis = new mod.default(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false, connectTimeout: 2000 });
  const events = redis as unknown as { on(e: string, f: () => void): void; once(e: string, f: () => void): void };
  events.on('error', () => undefined);
  // commands fail while disconnected (no offline queue): wait for the first connection, up to 2 s
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2000);
    events.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { store: new RedisBucketStore(redis), close: async () => void (await redis.quit().catch(() => undefined)) };
}
