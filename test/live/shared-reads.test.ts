import { describe, it, expect, beforeAll } from 'vitest';
import { testDatabase, createTestTenant, type TestDatabase } from '../support/db.js';
import { appendChanges, readChanges } from '../../connectors/changes/change-log.js';
import { withTenant, type Queryable } from '../../connectors/store/pool.js';

let db: TestDatabase;
let tenant: string;
let members: string[];

beforeAll(async () => {
  db = await testDatabase();
  tenant = await createTestTenant(db);
  const r = await db.admin.query(`insert into members (tenant_id, name) select $1, 'm' || g from generate_series(1, 10) g returning member_id`, [tenant]);
  members = r.rows.map((x) => x.member_id);
  await db.admin.query(`insert into audiences (tenant_id, name, current_version) values ($1, 'shared', 1)`, [tenant]);
  await withTenant(db.app, tenant, (c) => appendChanges(c, tenant, 'shared', members.slice(0, 2).map((memberId) => ({ memberId, kind: 'ENTERED' as const }))));
});

/** A tenant-bound db that counts its statements; `hold` keeps the next one's result until released. */
function countingDb() {
  let statements = 0;
  let hold: Promise<void> | undefined;
  const db_: Queryable & { statements(): number; holdNext(): () => void } = {
    query: async (text, values) => {
      statements++;
      const gate = hold;
      hold = undefined;
      const r = await withTenant(db.app, tenant, (c) => c.query(text, values));
      if (gate) await gate;
      return r;
    },
    statements: () => statements,
    holdNext: () => {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return release;
    },
  };
  return db_;
}

describe('readChanges shares identical reads', () => {
  it('reads made in the same turn at the same cursor run one statement, each caller getting its own array', async () => {
    const c = countingDb();
    const results = await Promise.all(Array.from({ length: 50 }, () => readChanges(c, tenant, 'shared', '0', 100)));
    expect(c.statements()).toBe(1);
    expect(results[0].map((r) => r.member_id)).toEqual(members.slice(0, 2));
    expect(new Set(results).size).toBe(50);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('a read asked for after the shared one was sent waits for it and runs again: it sees a change committed meanwhile', async () => {
    const c = countingDb();
    const release = c.holdNext();
    const first = readChanges(c, tenant, 'shared', '0', 100);
    while (c.statements() === 0) await new Promise((r) => setImmediate(r)); // sent (and answered, held)
    await withTenant(db.app, tenant, (x) => appendChanges(x, tenant, 'shared', [{ memberId: members[2], kind: 'ENTERED' }]));
    const second = readChanges(c, tenant, 'shared', '0', 100);
    release();
    expect((await first).map((r) => r.member_id)).toEqual(members.slice(0, 2));
    expect((await second).map((r) => r.member_id)).toEqual(members.slice(0, 3));
    expect(c.statements()).toBe(2);
  });
});
