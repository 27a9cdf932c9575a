import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { hashToken } from '../../connectors/seed/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});

describe('npm run seed', () => {
  it('seeds DATABASE_URL, prints a summary table and the admin token once, exits 0', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', '--members', '150', '--seed', '3', '--tenant', 'cli'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 });
    expect(run.stderr).not.toContain('seed failed');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^members\s+150\s+[\d,]+$/m);
    expect(run.stdout).toMatch(/^events\s+[\d,]+\s+[\d,]+$/m);
    expect(run.stderr).toMatch(/identities\s+100%/);
    const token = /Admin token of tenant "cli" \(shown once, stored hashed\): (cdp_\S+)/.exec(run.stdout)?.[1];
    expect(token).toBeDefined();
    const row = await db.admin.query(`select count(*)::int as n from tokens k join tenants t using (tenant_id)
      where t.name = 'cli' and k.secret_sha256 = $1`, [hashToken(token!)]);
    expect(row.rows[0].n).toBe(1);

    const again = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed.ts', '--members', '5', '--seed', '3', '--tenant', 'cli'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('seed failed: tenant "cli" already exists');
  });
});
