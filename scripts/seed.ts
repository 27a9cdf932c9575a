/**
 * `npm run seed -- --members N --seed S [--tenant NAME]`: generates a tenant's data into DATABASE_URL,
 * or into the embedded Postgres under .data/pg when it is unset (started and stopped here), with
 * progress bars and a summary table. Exit codes: 0 done, 1 failed, 2 bad arguments.
 */

import { startEmbeddedPostgres, type EmbeddedDatabase } from '../connectors/store/embedded.js';
import { createPools } from '../connectors/store/pool.js';
import { migrate } from '../connectors/store/migrate.js';
import { createTenantWithAdminToken, loadTenantData, removingTenantOnFailure, seedDemo, type SeedSummary } from '../connectors/seed/index.js';
import { progressBars } from '../connectors/seed/progress-bar.js';
import { SEED_USAGE, SeedArgsError, parseSeedArgs, type SeedCommand } from '../connectors/seed/seed-args.js';

async function main(): Promise<number> {
  let command: SeedCommand;
  try {
    command = parseSeedArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof SeedArgsError)) throw err;
    console.error(`seed: ${err.message}\n${SEED_USAGE}`);
    return 2;
  }
  let embedded: EmbeddedDatabase | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set: starting the embedded Postgres in .data/pg');
    embedded = await startEmbeddedPostgres({ dir: '.data/pg', port: Number(process.env.EMBEDDED_PG_PORT ?? 54329) });
    url = embedded.url;
  }
  const pools = createPools({ url });
  try {
    await migrate(pools.admin);
    const bars = progressBars();
    let summary: SeedSummary;
    let token: string;
    try {
      if (command.demo) {
        const demo = await seedDemo(pools.admin, { members: command.members, now: command.now, onProgress: bars.listener });
        summary = demo.summary;
        token = demo.adminToken;
      } else {
        const created = await createTenantWithAdminToken(pools.admin, command.tenant);
        token = created.adminToken;
        summary = await removingTenantOnFailure(pools.admin, created.tenantId,
          () => loadTenantData(pools.admin, created.tenantId, { ...command, onProgress: bars.listener }));
      }
    } finally {
      bars.stop();
    }
    printSummary(command, summary);
    console.log(`\nAdmin token of tenant "${command.tenant}" (shown once, stored hashed): ${token}`);
    return 0;
  } catch (err) {
    console.error(`seed failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await pools.close();
    await embedded?.stop();
  }
}

function printSummary(command: SeedCommand, s: SeedSummary): void {
  const rows: Array<[string, number]> = [['members', s.members], ['identities', s.identities], ['orders', s.orders],
    ['order_items', s.items], ['events', s.events]];
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  const line = (name: string, n: number): string =>
    `${name.padEnd(12)} ${n.toLocaleString('en-US').padStart(14)} ${Math.round(n / s.seconds).toLocaleString('en-US').padStart(12)}`;
  console.log(`\nTenant "${command.tenant}" (${s.tenantId}), seed ${command.seed}, ${s.seconds.toFixed(1)} s`);
  console.log(`${'table'.padEnd(12)} ${'rows'.padStart(14)} ${'rows/s'.padStart(12)}`);
  for (const [name, n] of rows) console.log(line(name, n));
  console.log(line('total', total));
}

process.exitCode = await main();
