import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../connectors/store/embedded.js';
import { migrate } from '../../connectors/store/migrate.js';
import { serverUrl, databaseUrl } from './urls.js';
import { freePort } from './ports.js';

let embedded: EmbeddedDatabase | undefined;
let embeddedDir: string | undefined;
let base = '';
let template = '';

/**
 * Runs once per `vitest run`: picks the server (DATABASE_URL, or a fresh embedded Postgres when it is
 * unset), migrates one template database, and hands its name to the test files, which each clone it
 * into a database of their own (test/support/db.ts) so that files can run in parallel.
 */
export async function setup(project: TestProject): Promise<void> {
  const runId = `${process.pid}_${randomBytes(3).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    base = serverUrl(process.env.DATABASE_URL);
  } else {
    embeddedDir = `.data/test-${runId}`;
    embedded = await startEmbeddedPostgres({ dir: `${embeddedDir}/pg`, port: await freePort(), database: 'postgres' });
    base = serverUrl(embedded.url);
  }
  template = `cdp_tpl_${runId}`;
  const admin = new pg.Client({ connectionString: databaseUrl(base, 'postgres') });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: databaseUrl(base, template), max: 1 });
  await migrate(pool);
  await pool.end();
  project.provide('pgServerUrl', base);
  project.provide('pgTemplate', template);
  project.provide('pgEmbedded', Boolean(embedded));
}

export async function teardown(): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl(base, 'postgres') });
  await admin.connect();
  const dbs = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname = $1 or datname like $2`, [template, `${template.replace('tpl', 'f')}%`]);
  for (const { datname } of dbs.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.end();
  if (embedded) await embedded.stop();
  if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    pgTemplate: string;
    pgEmbedded: boolean;
  }
}
