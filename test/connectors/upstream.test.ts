import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { ingestHarness, IMPORT_MEMBERS, type IngestHarness } from '../ingest/harness.js';
import { HttpSource, UpstreamError } from '../../connectors/upstream/http-source.js';

/** A coupon service on a local port that the test starts, stops, slows down and breaks. */
class CouponService {
  mode: 'ok' | 'error' | 'hang' = 'ok';
  calls: string[] = [];
  private server?: http.Server;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.calls.push(`${req.url} ${req.headers['x-cdp-tenant']}`);
      if (this.mode === 'hang') return; // never answers
      if (this.mode === 'error') return void res.writeHead(503).end();
      const m = /^\/members\/(\d+)\/coupon-balance$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ balance: 12.5 }));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server!.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

let h: IngestHarness;
let memberId: string;
const service = new CouponService();
const QUERY = `query ($id: ID!) { member(id: $id) { id phone couponBalance } }`;

beforeAll(async () => {
  h = await ingestHarness();
  await h.ok(IMPORT_MEMBERS, { members: [{ identities: [], phone: '13300000001' }] });
  memberId = (await h.sql(`select member_id from members where tenant_id = $1`, [h.tenantId]))[0].member_id;
  await service.start();
  process.env.CDP_UPSTREAM_COUPON_URL = `http://127.0.0.1:${service.port}`;
  process.env.CDP_UPSTREAM_TIMEOUT_MS = '150';
  process.env.CDP_UPSTREAM_RETRIES = '1';
  process.env.CDP_UPSTREAM_RESET_MS = '400';
});

afterAll(async () => {
  await service.stop();
  delete process.env.CDP_UPSTREAM_COUPON_URL;
});

describe('Member.couponBalance from the coupon service', () => {
  it('is served live, with the tenant in a header', async () => {
    const r = await h.gw.graphql(QUERY, { id: memberId }, h.token);
    expect(r.body).toMatchObject({ data: { member: { id: memberId, phone: '13300000001', couponBalance: 12.5 } } });
    expect(r.body.errors).toBeUndefined();
    expect(service.calls.at(-1)).toBe(`/members/${memberId}/coupon-balance ${h.tenantId}`);
  });

  it('is null with an error when the service is down, while the rest of the query answers', async () => {
    service.mode = 'error';
    const r = await h.gw.graphql(QUERY, { id: memberId }, h.token);
    expect(r.body.data).toEqual({ member: { id: memberId, phone: '13300000001', couponBalance: null } });
    expect(r.body.errors).toHaveLength(1);
    expect(r.body.errors![0]).toMatchObject({ path: ['member', 'couponBalance'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('stops calling a dead service once the circuit opens, and recovers after the reset timeout', async () => {
    service.mode = 'ok';
    await service.stop();
    for (let i = 0; i < 3; i++) await h.gw.graphql(QUERY, { id: memberId }, h.token);
    service.calls = [];
    await service.start(service.port); // back up, but the circuit is open: calls fail fast without reaching it
    const started = Date.now();
    const fast = await h.gw.graphql(QUERY, { id: memberId }, h.token);
    expect(fast.body.data?.member).toEqual({ id: memberId, phone: '13300000001', couponBalance: null });
    expect(Date.now() - started).toBeLessThan(150);
    expect(service.calls).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    const healed = await h.gw.graphql(QUERY, { id: memberId }, h.token);
    expect(healed.body.data?.member.couponBalance).toBe(12.5);
  });
});

describe('HttpSource', () => {
  it('times out each attempt, retries, then fails with the reason; 404 is no value', async () => {
    service.mode = 'hang';
    const src = new HttpSource({ name: 'coupon', baseUrl: `http://127.0.0.1:${service.port}`, timeoutMs: 100, retries: 2, backoffMs: 10 });
    service.calls = [];
    const started = Date.now();
    await expect(src.getJson('members/1/coupon-balance')).rejects.toEqual(new UpstreamError('coupon', 'no answer within 100 ms'));
    expect(service.calls).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    service.mode = 'ok';
    expect(await src.getJson('nothing/here')).toBeNull();
    src.shutdown();
  });
});
