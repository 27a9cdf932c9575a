import { describe, it, expect, beforeAll } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { ingestHarness, type IngestHarness } from '../ingest/harness.js';
import { issueTestToken } from '../support/gateway.js';

let h: IngestHarness;
let base: string;
let writeKey: string;

beforeAll(async () => {
  h = await ingestHarness();
  base = h.gw.url.replace(/\/graphql$/, '');
  writeKey = await issueTestToken(h.db, h.tenantId, 'web-sdk', ['ingest']);
});

const memberOf = async (userId: string) =>
  (await h.sql(`select member_id from identities where tenant_id = $1 and kind = 'APP_USER_ID' and value = $2`, [h.tenantId, userId]))[0]?.member_id;
const eventsOf = async (memberId: string) =>
  h.sql(`select name, channel, properties from events where tenant_id = $1 and member_id = $2 order by occurred_at, name`, [h.tenantId, memberId]);

function segment(): Analytics {
  const a = new Analytics({ writeKey, host: base, flushAt: 50, maxRetries: 0 });
  a.on('error', (err) => {
    throw err;
  });
  return a;
}

function rudder() {
  return new RudderAnalytics(writeKey, { dataPlaneUrl: base, flushAt: 50, retryCount: 0, logLevel: 'error' });
}

describe('Segment-compatible collection endpoint', () => {
  it('takes identify and track from @segment/analytics-node: traits become member fields and attributes', async () => {
    const a = segment();
    a.identify({ userId: 'seg-u1', traits: { name: '王五', email: 'W5@Example.com', phone: '13512345678', gender: 'female', plan: 'gold',
      address: { state: '上海', city: '上海' } } });
    a.track({ userId: 'seg-u1', event: 'Order Completed', properties: { revenue: 99, channel: 'wechat_mp' } });
    await a.closeAndFlush();
    const member = await memberOf('seg-u1');
    expect(member).toBeDefined();
    const [row] = await h.sql(`select name, email, phone, gender, city, attributes from members where tenant_id = $1 and member_id = $2`, [h.tenantId, member]);
    expect(row).toEqual({ name: '王五', email: 'w5@example.com', phone: '13512345678', gender: 'F', city: '上海', attributes: { plan: 'gold' } });
    expect(await eventsOf(member)).toEqual([{ name: 'Order Completed', channel: 'wechat_mp', properties: { revenue: 99, channel: 'wechat_mp' } }]);
  });

  it('holds anonymous Segment events and attaches them when identify links the anonymousId', async () => {
    const first = segment();
    first.track({ anonymousId: 'anon-seg-2', event: 'Product Viewed', properties: { sku: 'SKU-2' } });
    first.page({ anonymousId: 'anon-seg-2', name: 'Home', properties: { path: '/' } });
    await first.closeAndFlush();
    expect(await h.sql(`select record_kind from held_records where tenant_id = $1 and 'ANONYMOUS_ID:anon-seg-2' = any(identity_keys)`, [h.tenantId]))
      .toEqual([{ record_kind: 'event' }, { record_kind: 'event' }]);
    const second = segment();
    second.identify({ userId: 'seg-u2', anonymousId: 'anon-seg-2', traits: { name: '赵六' } });
    await second.closeAndFlush();
    const events = await eventsOf(await memberOf('seg-u2'));
    expect(events.map((e) => e.name).sort()).toEqual(['Product Viewed', 'page_view']);
    expect(events.find((e) => e.name === 'page_view')).toMatchObject({ channel: 'web', properties: { path: '/', name: 'Home' } });
  });

  it('takes gzipped batches from @rudderstack/rudder-sdk-node, anonymous events included', async () => {
    const r = rudder();
    r.track({ anonymousId: 'anon-rs-1', event: 'add_to_cart', properties: { sku: 'SKU-3' } });
    await r.flush();
    r.identify({ userId: 'rs-u1', anonymousId: 'anon-rs-1', traits: { phone: '13412345678' } });
    r.track({ userId: 'rs-u1', event: 'login' });
    await r.flush();
    const member = await memberOf('rs-u1');
    expect((await eventsOf(member)).map((e) => e.name).sort()).toEqual(['add_to_cart', 'login']);
    expect(await h.sql(`select phone from members where tenant_id = $1 and member_id = $2`, [h.tenantId, member])).toEqual([{ phone: '13412345678' }]);
  });

  it('answers per-message rejections, duplicates, and refuses bad keys, missing scope and bad JSON', async () => {
    const post = (path: string, body: unknown, key = writeKey, raw = false) => fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: raw ? String(body) : JSON.stringify(body),
    });
    const batch = { batch: [
      { type: 'track', messageId: 'm-1', userId: 'http-u1', event: 'share', timestamp: '2026-03-01T00:00:00Z' },
      { type: 'track', messageId: 'm-2', userId: 'http-u1', timestamp: '2026-03-01T00:00:00Z' },
      { type: 'track', messageId: 'm-3', event: 'share' },
      { type: 'identify', userId: 'http-u1', traits: { phone: '12' } },
    ] };
    const r = await post('/v1/batch', batch);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ success: true, accepted: 1, duplicates: 0, held: 0, rejected: [
      { index: 1, message: 'batch[1].event: is required' },
      { index: 2, message: 'batch[2]: needs userId or anonymousId' },
      { index: 3, message: 'batch[3].traits.phone: is not a phone number (11-digit mainland mobile or +country number): "12"' },
    ] });
    expect(await (await post('/v1/batch', batch)).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    const single = await post('/v1/track', { messageId: 'm-4', userId: 'http-u1', event: 'click_coupon' });
    expect(await single.json()).toEqual({ success: true, accepted: 1, duplicates: 0, held: 0, rejected: [] });

    expect((await post('/v1/batch', batch, 'cdp_not_a_real_token_at_all')).status).toBe(401);
    const reader = await issueTestToken(h.db, h.tenantId, 'reader', ['members:read']);
    const forbidden = await post('/v1/batch', batch, reader);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ success: false, error: 'missing scope ingest' });
    const bad = await post('/v1/batch', '{"batch": [', writeKey, true);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ success: false, error: 'request body is not valid JSON' });
    expect((await fetch(`${base}/v1/batch`)).status).toBe(405);
  });
});
