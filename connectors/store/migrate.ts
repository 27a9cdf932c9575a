import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type pg from 'pg';

/** Folder holding the ordered `NNN_name.sql` migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_306_141_010;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/**
 * Applies the pending migrations in file-name order, each in its own transaction, and records them
 * in `schema_migrations`. Safe to run twice and from several processes at once: a session advisory
 * lock serialises runners, and a recorded migration is never applied again. Throws when a recorded
 * migration's file has changed since it was applied (checksum mismatch).
 */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  const result: MigrationResult = { applied: [], skipped: [] };
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`create table if not exists schema_migrations (
      version text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    const done = new Map<string, string>(
      (await client.query<{ version: string; checksum: string }>('select version, checksum from schema_migrations'))
        .rows.map((r) => [r.version, r.checksum]),
    );
    for (const file of files) {
      const sql = await readFile(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const version = file.replace(/\.sql$/, '');
      const recorded = done.get(version);
      if (recorded !== undefined) {
        if (recorded !== checksum) throw new Error(`migration ${file} changed after it was applied`);
        result.skipped.push(version);
        continue;
      }
      await client.query('begin');
      try {
        await client.query(sql);
        await client.query('insert into schema_migrations (version, checksum) values ($1, $2)', [version, checksum]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      result.applied.push(version);
    }
    return result;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** Versions of the migrations on disk that the database has not recorded. */
export async function pendingMigrations(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const exists = await pool.query(`select to_regclass('schema_migrations') is not null as ok`);
  if (!exists.rows[0].ok) return files.map((f) => f.replace(/\.sql$/, ''));
  const done = new Set((await pool.query<{ version: string }>('select version from schema_migrations')).rows.map((r) => r.version));
  return files.map((f) => f.replace(/\.sql$/, '')).filter((v) => !done.has(v));
}
