import { describe, it, expect } from 'vitest';
import { testDatabase } from '../support/db.js';
import { spawnGatewayProcess, startGatewayProcess } from '../support/gateway-process.js';

/**
 * `npm start` seeds the demo tenant on an empty database. A SIGTERM in the middle of it (a service
 * manager, `docker stop`, a `kill`) must not leave half a demo behind: the next start would find
 * tenants, seed nothing and show no token.
 */
describe('npm start interrupted while it seeds the demo', () => {
  it('removes the unfinished demo tenant, exits 0, and the next start seeds the demo whole', async () => {
    const db = await testDatabase();
    const { child, output, exited } = spawnGatewayProcess(db.url, { CDP_DEMO: '1', LOG_LEVEL: 'info' });
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (/members\s+\d+%/.test(output())) resolve(); // the seeding's progress: members are being loaded
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', () => reject(new Error(`exited before seeding:\n${output()}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('removing the unfinished demo tenant');
    expect(output()).not.toContain('Demo tenant admin token');
    const left = await db.admin.query(`select (select count(*) from tenants)::int as tenants, (select count(*) from members)::int as members,
      (select count(*) from orders)::int as orders, (select count(*) from events)::int as events`);
    expect(left.rows[0]).toEqual({ tenants: 0, members: 0, orders: 0, events: 0 });

    const again = await startGatewayProcess(db.url, { CDP_DEMO: '1' });
    // the token is printed just after the "ready" line, maybe in a later chunk of output
    for (let i = 0; i < 100 && !/Demo tenant admin token: cdp_\S+\n/.test(again.output()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(again.output()).toMatch(/Demo tenant admin token: cdp_\S+/);
    const seeded = await db.admin.query(`select t.name, count(m.*)::int as members from tenants t join members m using (tenant_id) group by 1`);
    expect(seeded.rows).toEqual([{ name: 'demo', members: 10_000 }]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
