import { describe, it, expect, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken } from '../support/gateway.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { subscribe } from '../support/ws-client.js';

let db: TestDatabase;
let tenant: { tenantId: string; token: string };
const TOTAL = 100_000;
const QUERY = `subscription ($after: String) { audienceChanges(audience: "flood", after: $after) { cursor kind memberId at } }`;

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTenantWithToken(db, 'slow');
  await db.admin.query(`insert into audiences (tenant_id, name, current_version, last_seq) values ($1, 'flood', 1, $2)`, [tenant.tenantId, TOTAL]);
  await db.admin.query(`insert into audience_changes (tenant_id, audience_name, seq, member_id, kind)
    select $1, 'flood', g, 1000000 + g, 'ENTERED' from generate_series(1, $2::int) g`, [tenant.tenantId, TOTAL]);
});

describe('a slow subscriber', () => {
  it('gets backpressure, then close code 4508, and resumes from its last cursor without loss', async () => {
    const gw = await startGatewayProcess(db.url, { CDP_SLOW_SUBSCRIBER_MS: '2000' });
    const socket = new WebSocket(gw.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const received: string[] = [];
    let lastCursor = '';
    let paused = false;
    const errors: unknown[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${tenant.token}` } })));
    socket.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: QUERY } }));
      } else if (msg.type === 'error') {
        errors.push(msg.payload);
        socket.close();
      } else if (msg.type === 'next') {
        received.push(msg.payload.data.audienceChanges.memberId);
        lastCursor = msg.payload.data.audienceChanges.cursor;
        if (!paused) {
          // stop reading for 10 s, as a consumer stuck on a slow downstream would: the server fills the
          // socket buffers (about 100 bytes a change, 100,000 changes) and then waits on its send
          paused = true;
          (socket as any)._socket.pause();
          setTimeout(() => (socket as any)._socket.resume(), 10_000);
        }
      }
    });
    const close = await closed;
    expect(errors).toEqual([]);
    expect(close.code).toBe(4508);
    expect(close.reason).toMatch(/slow subscriber/);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(TOTAL); // cut off, not buffered without bound

    const rest = subscribe<any>(gw.url, tenant.token, QUERY, { after: lastCursor });
    await rest.waitFor(TOTAL - received.length, 60_000);
    const all = [...received, ...rest.received.map((r) => r.audienceChanges.memberId)];
    await rest.dispose();
    expect(all.length).toBe(TOTAL);
    expect(new Set(all).size).toBe(TOTAL);
    expect(all[0]).toBe('1000001');
    expect(all[TOTAL - 1]).toBe(String(1000000 + TOTAL));
  }, 120_000);
});
