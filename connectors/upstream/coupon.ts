import { HttpSource, UpstreamError } from './http-source.js';

/**
 * Member.couponBalance, served live from the coupon service and never stored:
 * GET {CDP_UPSTREAM_COUPON_URL}/members/{memberId}/coupon-balance with header x-cdp-tenant,
 * answering `{ "balance": 12.5 }` (CNY). A 404 means no coupon account (balance null, no error).
 * Tuning: CDP_UPSTREAM_TIMEOUT_MS (per attempt, default 800), CDP_UPSTREAM_RETRIES (default 2),
 * CDP_UPSTREAM_RESET_MS (open-circuit pause, default 10000).
 */
const sources = new Map<string, HttpSource>();

/** The coupon source for the current environment, or null when CDP_UPSTREAM_COUPON_URL is unset. */
export function couponSource(env: NodeJS.ProcessEnv = process.env): HttpSource | null {
  const baseUrl = env.CDP_UPSTREAM_COUPON_URL;
  if (!baseUrl) return null;
  const timeoutMs = Number(env.CDP_UPSTREAM_TIMEOUT_MS ?? 800);
  const retries = Number(env.CDP_UPSTREAM_RETRIES ?? 2);
  const resetTimeoutMs = Number(env.CDP_UPSTREAM_RESET_MS ?? 10_000);
  const key = JSON.stringify([baseUrl, timeoutMs, retries, resetTimeoutMs]);
  let source = sources.get(key);
  if (!source) {
    source = new HttpSource({ name: 'coupon', baseUrl, timeoutMs, retries, resetTimeoutMs, volumeThreshold: 3 });
    sources.set(key, source);
  }
  return source;
}

/** The member's coupon balance (CNY), null without an account; throws UpstreamError when unavailable. */
export async function couponBalance(source: HttpSource, tenantId: string, memberId: string): Promise<number | null> {
  const body = await source.getJson(`members/${encodeURIComponent(memberId)}/coupon-balance`, { 'x-cdp-tenant': tenantId });
  if (body === null) return null;
  const balance = (body as { balance?: unknown }).balance;
  if (balance === null || balance === undefined) return null;
  if (typeof balance !== 'number' || !Number.isFinite(balance)) throw new UpstreamError('coupon', 'answer has no numeric "balance"');
  return balance;
}
