/**
 * `npm run import -- members|orders FILE --tenant NAME [--batch N] [--rejected PATH]`: streams a CSV
 * file into a tenant through the same import functions as the GraphQL API (docs/connectors.md,
 * "CSV"), with a progress bar (bytes read of the file size), a summary, and FILE.rejected.csv
 * listing each rejected row's line and reason. DATABASE_URL, or the embedded Postgres under .data/pg
 * (port EMBEDDED_PG_PORT, default 54329; a running gateway's embedded server is used as it is). Exit codes: 0 done (even with rejected rows), 1 failed,
 * 2 bad arguments or unknown tenant.
 */

import { stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../connectors/store/embedded.js';
import { createPools } from '../connectors/store/pool.js';
import { migrate } from '../connectors/store/migrate.js';
import { importCsvFile, type CsvImportSummary } from '../connectors/csv/import-file.js';

const USAGE = 'usage: npm run import -- members|orders FILE --tenant NAME [--batch 2000] [--rejected FILE.rejected.csv]';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Args {
  kind: 'members' | 'orders';
  file: string;
  tenant: string;
  batch: number;
  rejected?: string;
}

function parseArgs(argv: string[]): Args | string {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2);
      const value = inline ?? argv[++i];
      if (value === undefined) return `--${name} needs a value`;
      flags[name] = value;
    } else positional.push(a);
  }
  const [kind, file, ...extra] = positional;
  if (kind !== 'members' && kind !== 'orders') return `first argument must be members or orders, got ${JSON.stringify(kind ?? '')}`;
  if (!file) return 'FILE is required';
  if (extra.length > 0) return `unexpected argument ${JSON.stringify(extra[0])}`;
  for (const f of Object.keys(flags)) if (!['tenant', 'batch', 'rejected'].includes(f)) return `unknown option --${f}`;
  if (!flags.tenant) return '--tenant NAME is required';
  const batch = Number(flags.batch ?? 2000);
  if (!Number.isInteger(batch) || batch < 1 || batch > 5000) return '--batch must be an integer from 1 to 5000';
  return { kind, file, tenant: flags.tenant, batch, rejected: flags.rejected };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    console.error(`import: ${args}\n${USAGE}`);
    return 2;
  }
  const size = await stat(args.file).then((s) => s.size, () => -1);
  if (size < 0) {
    console.error(`import: cannot read ${args.file}`);
    return 2;
  }
  let embedded: EmbeddedDatabase | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
    url = await runningEmbedded(port);
    if (url) {
      console.error(`DATABASE_URL is not set: using the embedded Postgres already running on port ${port}`);
    } else {
      console.error('DATABASE_URL is not set: starting the embedded Postgres in .data/pg');
      embedded = await startEmbeddedPostgres({ dir: '.data/pg', port });
      url = embedded.url;
    }
  }
  const pools = createPools({ url });
  const bar = new cliProgress.SingleBar({
    format: `${args.kind} [{bar}] {percentage}% | {mb}/{totalMb} MB | {rows} rows | {duration}s`,
    hideCursor: true, fps: 5, stream: process.stderr, noTTYOutput: false,
  }, cliProgress.Presets.shades_classic);
  try {
    await migrate(pools.admin);
    // The owner connection looks the tenant up by name (a tenant id is accepted as well).
    const found = await pools.admin.query<{ tenant_id: string }>(
      `select tenant_id from tenants where name = $1 or ($2 and tenant_id::text = $1)`, [args.tenant, UUID_RE.test(args.tenant)]);
    if (!found.rows[0]) {
      console.error(`import: no tenant named ${JSON.stringify(args.tenant)}`);
      return 2;
    }
    const mb = (n: number) => (n / 1048576).toFixed(1);
    const tty = process.stderr.isTTY;
    if (tty) bar.start(size, 0, { mb: '0.0', totalMb: mb(size), rows: 0 });
    let nextTenth = 1;
    const summary = await importCsvFile({
      kind: args.kind, file: args.file, tenantId: found.rows[0].tenant_id, pool: pools.app, batchSize: args.batch,
      rejectedFile: args.rejected,
      onProgress: ({ bytes, rows }) => {
        if (tty) return bar.update(bytes, { mb: mb(bytes), totalMb: mb(size), rows });
        // not a terminal (CI logs, pipes): one line per tenth of the file
        if (size > 0 && bytes / size >= nextTenth / 10) {
          console.error(`${args.kind}: ${Math.floor((bytes / size) * 100)}% (${mb(bytes)}/${mb(size)} MB, ${rows.toLocaleString('en-US')} rows)`);
          nextTenth = Math.floor((bytes / size) * 10) + 1;
        }
      },
    });
    if (tty) bar.update(size, { mb: mb(size), rows: summary.rows });
    bar.stop();
    printSummary(args, summary);
    return 0;
  } catch (err) {
    bar.stop();
    console.error(`import failed: ${(err as Error).message} (batches before the failure are committed; re-running is safe)`);
    return 1;
  } finally {
    await pools.close();
    await embedded?.stop();
  }
}

/** The embedded database of a running gateway (`npm start`) on `port`, when one answers. */
async function runningEmbedded(port: number): Promise<string | undefined> {
  const url = `postgres://postgres:cdp-embedded@127.0.0.1:${port}/cdp`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function printSummary(args: Args, s: CsvImportSummary): void {
  const n = (v: number) => v.toLocaleString('en-US').padStart(12);
  console.log(`\n${args.kind} from ${args.file} into tenant "${args.tenant}" in ${s.seconds.toFixed(1)} s (${Math.round(s.rows / Math.max(s.seconds, 0.001)).toLocaleString('en-US')} rows/s)`);
  console.log(`rows       ${n(s.rows)}`);
  console.log(`accepted   ${n(s.accepted)}`);
  console.log(`duplicates ${n(s.duplicates)}`);
  console.log(`held       ${n(s.held)}`);
  console.log(`rejected   ${n(s.rejected)}${s.rejected > 0 ? `  → ${s.rejectedFile}` : ''}`);
}

process.exitCode = await main();
