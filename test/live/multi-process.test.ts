import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { createTenantWithToken } from '../support/gateway.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { subscribe } from '../support/ws-client.js';
import { appendChanges } from '../../connectors/changes/change-log.js';
import { withTenant } from '../../connectors/store/pool.js';

let db: TestDatabase;
let tenant: { tenantId: string; token: string };
let members: string[];

const SUB = `subscription ($after: String) { audienceChanges(audience: "churn_recall", after: $after) { cursor memberId } }`;

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTenantWithToken(db, 'multi');
  const r = await db.admin.query(`insert into members (tenant_id, name) select $1, 'm' || g from generate_series(1, 80) g returning member_id`,
    [tenant.tenantId]);
  members = r.rows.map((x) => x.member_id);
  await db.admin.query(`insert into audiences (tenant_id, name, current_version) values ($1, 'churn_recall', 1)`, [tenant.tenantId]);
});

describe('subscriptions across gateway processes', () => {
  it('a subscriber whose process is SIGKILLed resumes on another process with every change exactly once', async () => {
    const [a, b] = await Promise.all([startGatewayProcess(db.url), startGatewayProcess(db.url)]);
    let written = 0;
    let writing = true;
    // a writer in a third process's role (this test process) appends changes throughout
    const writer = (async () => {
      while (written < members.length && writing) {
        const batch = members.slice(written, written + 2);
        await withTenant(db.app, tenant.tenantId, (c) =>
          appendChanges(c, tenant.tenantId, 'churn_recall', batch.map((memberId) => ({ memberId, kind: 'ENTERED' as const }))));
        written += batch.length;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();

    const first = subscribe<any>(a.url, tenant.token, SUB, {});
    await first.waitFor(10);
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const closed = await first.closed;
    expect(closed.code).not.toBe(1000);
    const before = first.received.map((r) => r.audienceChanges);
    await first.dispose();

    const last = before[before.length - 1].cursor;
    const second = subscribe<any>(b.url, tenant.token, SUB, { after: last });
    await writer;
    await second.waitFor(members.length - before.length, 30_000);
    const after = second.received.map((r) => r.audienceChanges);
    await second.dispose();
    writing = false;

    const all = [...before, ...after].map((c) => c.memberId);
    expect(all).toEqual(members);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
