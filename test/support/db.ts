import { inject, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPools, type Pools } from '../../connectors/store/pool.js';
import { databaseUrl } from './urls.js';

export interface TestDatabase extends Pools {
  /** Owner connection string of this file's database. */
  url: string;
  name: string;
}

/**
 * A fresh, migrated database of this test file's own, cloned from the run's template; dropped after
 * the file's tests. `admin` is the owner pool, `app` runs as cdp_app under row-level security.
 */
export async function testDatabase(): Promise<TestDatabase> {
  const base = inject('pgServerUrl');
  const template = inject('pgTemplate');
  const name = `${template.replace('tpl', 'f')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl(base, 'postgres') });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${template}`);
        break;
      } catch (err) {
        // two files cloning the template at the same instant: one waits and tries again
        if (attempt > 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrl(base, name);
  const pools = createPools({ url });
  const db: TestDatabase = { ...pools, url, name };
  afterAll(async () => {
    await pools.close();
    const c = new pg.Client({ connectionString: databaseUrl(base, 'postgres') });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await c.end();
  });
  return db;
}

/** Creates a tenant directly (owner pool) and returns its id. */
export async function createTestTenant(db: TestDatabase, name = `t_${randomBytes(3).toString('hex')}`): Promise<string> {
  const r = await db.admin.query<{ tenant_id: string }>('insert into tenants (name) values ($1) returning tenant_id', [name]);
  return r.rows[0].tenant_id;
}
