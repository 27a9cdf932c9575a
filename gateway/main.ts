import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { openDatabase } from './database.js';
import { createGateway } from './server.js';
import { createPools } from '../connectors/store/pool.js';
import { migrate } from '../connectors/store/migrate.js';
import { ensureRootToken } from '../tenants/root-token.js';
import { seedDemo } from '../connectors/seed/index.js';
import { progressBars } from '../connectors/seed/progress-bar.js';
import { installDemoDefinitions } from '../connectors/tags/demo-definitions.js';
import { startBackgroundWork } from './background.js';

/**
 * `npm start`: database (embedded unless DATABASE_URL) → migrations → root token → demo tenant on an
 * empty database → HTTP + websocket server. Stops cleanly on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const log = createLogger();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const database = await openDatabase(config, log);
  const pools = createPools({ url: database.url, appUrl: config.appDatabaseUrl, max: config.poolSize });
  const migrated = await migrate(pools.admin);
  log.info({ applied: migrated.applied }, 'migrations applied');
  const root = await ensureRootToken(pools.admin, config.rootToken);

  const tokenFile = path.join(config.dataDir, 'demo-admin-token');
  let demoToken: string | undefined;
  const empty = (await pools.admin.query('select not exists (select 1 from tenants) as empty')).rows[0].empty;
  if (empty && config.demo) {
    console.log('Seeding the demo tenant (10,000 members, ~60,000 orders, ~200,000 events)...');
    const bars = progressBars();
    const demo = await seedDemo(pools.admin, { onProgress: bars.listener }).finally(() => bars.stop());
    const s = demo.summary;
    console.log(`Seeded ${s.members} members, ${s.identities} identities, ${s.orders} orders, ${s.items} items, ${s.events} events in ${s.seconds.toFixed(1)} s`);
    console.log('Defining and refreshing the demo tags and audiences (tag-dsl.md examples)...');
    const job = await installDemoDefinitions(pools, demo.tenantId);
    if (job.state !== 'succeeded') log.warn({ job }, 'demo definitions did not refresh');
    demoToken = demo.adminToken;
    if (database.embedded) {
      await mkdir(config.dataDir, { recursive: true });
      await writeFile(tokenFile, `${demoToken}\n`, { mode: 0o600 });
    }
  } else if (database.embedded) {
    // the embedded demo keeps its admin token beside its data so a laptop restart can show it again
    demoToken = (await readFile(tokenFile, 'utf8').catch(() => '')).trim() || undefined;
  }

  const gateway = await createGateway({ pools, log, development: config.environment === 'development', compiledReads: config.compiledReads });
  const background = startBackgroundWork({ pools, log });
  const port = await gateway.listen(config.port, config.host);
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  console.log(`\nCDP gateway ready at http://${shownHost}:${port}/graphql (websocket: ws://${shownHost}:${port}/graphql)`);
  if (root.generated) console.log(`Platform root token (shown once, stored hashed): ${root.generated}`);
  if (demoToken) console.log(`Demo tenant admin token: ${demoToken}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 20_000).unref();
    await gateway.stop(`server shutting down (${signal})`);
    await background.stop();
    await pools.close();
    await database.stop();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
