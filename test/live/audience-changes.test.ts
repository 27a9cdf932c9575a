import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startTestGateway, createTenantWithToken, issueTestToken, type TestGateway } from '../support/gateway.js';
import { subscribe } from '../support/ws-client.js';
import { appendChanges } from '../../connectors/changes/change-log.js';
import { withTenant } from '../../connectors/store/pool.js';

let db: TestDatabase;
let gw: TestGateway;
let tenant: { tenantId: string; token: string };
let members: string[];

const SUB = `subscription ($a: String!, $after: String) { audienceChanges(audience: $a, after: $after) { cursor kind memberId } }`;

async function createAudience(name: string): Promise<void> {
  await db.admin.query(`insert into audiences (tenant_id, name, current_version) values ($1, $2, 1)`, [tenant.tenantId, name]);
}

/** Appends `n` ENTERED changes in one transaction, as a refresh would. */
async function append(audience: string, memberIds: string[], kind: 'ENTERED' | 'EXITED' = 'ENTERED'): Promise<void> {
  await withTenant(db.app, tenant.tenantId, (c) => appendChanges(c, tenant.tenantId, audience, memberIds.map((memberId) => ({ memberId, kind }))));
}

beforeAll(async () => {
  db = await testDatabase();
  gw = await startTestGateway(db);
  tenant = await createTenantWithToken(db, 'live');
  const r = await db.admin.query(`insert into members (tenant_id, name) select $1, 'm' || g from generate_series(1, 50) g returning member_id`,
    [tenant.tenantId]);
  members = r.rows.map((x) => x.member_id);
});

describe('audienceChanges subscription', () => {
  it('replays the log after the cursor, then streams live, in cursor order', async () => {
    await createAudience('churn_recall');
    await append('churn_recall', members.slice(0, 3));
    const sub = subscribe(gw.url, tenant.token, SUB, { a: 'churn_recall' });
    const replayed = await sub.waitFor(3);
    expect(replayed.map((r: any) => r.audienceChanges.memberId)).toEqual(members.slice(0, 3));
    await append('churn_recall', members.slice(3, 5), 'ENTERED');
    await append('churn_recall', members.slice(0, 1), 'EXITED');
    const all = await sub.waitFor(6);
    expect(all.map((r: any) => [r.audienceChanges.memberId, r.audienceChanges.kind])).toEqual([
      ...members.slice(0, 5).map((m) => [m, 'ENTERED']), [members[0], 'EXITED'],
    ]);
    await sub.dispose();
  });

  it('a subscriber that reconnects with its last cursor gets every change exactly once', async () => {
    await createAudience('vip');
    const writer = (async () => {
      for (let i = 0; i < 20; i++) {
        await append('vip', members.slice(i * 2, i * 2 + 2));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const seen: string[] = [];
    let after: string | null = null;
    while (seen.length < 40) {
      const sub = subscribe<any>(gw.url, tenant.token, SUB, { a: 'vip', after });
      await sub.waitFor(1).catch(() => undefined); // the writer may not have written yet
      await new Promise((r) => setTimeout(r, 20));
      const batch: any[] = sub.received.slice();
      await sub.dispose(); // disconnect mid-stream
      for (const r of batch) {
        seen.push(r.audienceChanges.memberId);
        after = r.audienceChanges.cursor;
      }
    }
    await writer;
    expect(seen).toEqual(members.slice(0, 40));
  });

  it('checks audiences:subscribe, narrowed by audience name, at subscribe time', async () => {
    await createAudience('partner_list');
    const narrow = await issueTestToken(db, tenant.tenantId, 'partner', ['audiences:subscribe:partner_list']);
    await append('partner_list', members.slice(0, 1));
    const ok = subscribe(gw.url, narrow, SUB, { a: 'partner_list' });
    expect((await ok.waitFor(1)).length).toBe(1);
    await ok.dispose();
    const denied = subscribe(gw.url, narrow, SUB, { a: 'vip' });
    await expect(denied.waitFor(1, 5000)).rejects.toThrow(/missing scope audiences:subscribe:vip/);
    await denied.dispose();
  });

  it('rejects an unknown audience and a malformed cursor', async () => {
    const unknown = subscribe(gw.url, tenant.token, SUB, { a: 'nope' });
    await expect(unknown.waitFor(1, 5000)).rejects.toThrow(/audience "nope" not found/);
    await unknown.dispose();
    const bad = subscribe(gw.url, tenant.token, SUB, { a: 'vip', after: 'not-a-cursor' });
    await expect(bad.waitFor(1, 5000)).rejects.toThrow(/argument "after" is not a change cursor/);
    await bad.dispose();
  });

  it('refuses a connection without a valid token', async () => {
    const sub = subscribe(gw.url, 'cdp_wrongwrongwrongwrongwrong', SUB, { a: 'vip' });
    const closed = await sub.closed;
    expect(closed.code).toBe(4403);
  });
});
