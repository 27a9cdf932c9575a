import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, ConfigError, type GatewayConfig } from './config.js';
import { createLogger } from './logger.js';
import { openDatabase } from './database.js';
import { createGateway } from './server.js';
import { createPools } from '../connectors/store/pool.js';
import { migrate } from '../connectors/store/migrate.js';
import { ensureRootToken } from '../tenants/root-token.js';
import { removingTenantOnFailure, seedDemo } from '../connectors/seed/index.js';
import { progressBars } from '../connectors/seed/progress-bar.js';
import { installDemoDefinitions } from '../connectors/tags/demo-definitions.js';
import { startBackgroundWork } from './background.js';

/**
 * `npm start`: database (embedded unless DATABASE_URL) → migrations → root token → demo tenant on an
 * empty database → HTTP + websocket server. Stops cleanly on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  const log = createLogger();
  let config: GatewayConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  /** The demo tenant's set-up while it runs (a shutdown waits for it to remove what it wrote). */
  let demoSetUp: Promise<string> | undefined;
  const database = await openDatabase(config, log);
  // From here on a signal stops what has started, in reverse order, also in the middle of seeding:
  // the embedded Postgres is a child process that would outlive us (a terminal's Ctrl-C reaches it
  // too, a SIGTERM to this process alone does not).
  const started: (() => Promise<unknown>)[] = [() => database.stop()];
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const pools = createPools({ url: database.url, appUrl: config.appDatabaseUrl, max: config.poolSize });
  started.push(() => pools.close());
  const migrated = await migrate(pools.admin);
  log.info({ applied: migrated.applied }, 'migrations applied');
  const root = await ensureRootToken(pools.admin, config.rootToken);

  const tokenFile = path.join(config.dataDir, 'demo-admin-token');
  let demoToken: string | undefined;
  const empty = (await pools.admin.query('select not exists (select 1 from tenants) as empty')).rows[0].empty;
  if (empty && config.demo) {
    // one unit: a signal in the middle of it removes the demo tenant before the database stops, so
    // the next start finds an empty database and seeds again (rather than half a demo and no token)
    demoSetUp = setUpDemo();
    demoToken = await demoSetUp;
    demoSetUp = undefined;
  } else if (database.embedded) {
    // the embedded demo keeps its admin token beside its data so a laptop restart can show it again
    demoToken = (await readFile(tokenFile, 'utf8').catch(() => '')).trim() || undefined;
  }

  const gateway = await createGateway({ pools, log, development: config.environment === 'development', compiledReads: config.compiledReads });
  started.push(() => gateway.stop(`server shutting down (${stopping})`));
  const background = startBackgroundWork({ pools, log });
  started.push(() => background.stop());
  const port = await gateway.listen(config.port, config.host);
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  console.log(`\nCDP gateway ready at http://${shownHost}:${port}/graphql (websocket: ws://${shownHost}:${port}/graphql)`);
  if (root.generated) console.log(`Platform root token (shown once, stored hashed): ${root.generated}`);
  if (demoToken) console.log(`Demo tenant admin token: ${demoToken}`);

  async function setUpDemo(): Promise<string> {
    console.log('Seeding the demo tenant (10,000 members, ~60,000 orders, ~200,000 events)...');
    const bars = progressBars();
    const demo = await seedDemo(pools.admin, {
      onProgress: (done, total, phase) => {
        if (stopping) throw new Error(`seeding stopped (${stopping})`); // seedDemo removes what it wrote
        bars.listener(done, total, phase);
      },
    }).finally(() => bars.stop());
    return removingTenantOnFailure(pools.admin, demo.tenantId, async () => {
      const s = demo.summary;
      console.log(`Seeded ${s.members} members, ${s.identities} identities, ${s.orders} orders, ${s.items} items, ${s.events} events in ${s.seconds.toFixed(1)} s`);
      console.log('Defining and refreshing the demo tags and audiences (tag-dsl.md examples)...');
      const job = await installDemoDefinitions(pools, demo.tenantId);
      if (job.state !== 'succeeded') log.warn({ job }, 'demo definitions did not refresh');
      if (stopping) throw new Error(`demo set-up stopped (${stopping})`);
      if (database.embedded) {
        await mkdir(config.dataDir, { recursive: true });
        await writeFile(tokenFile, `${demo.adminToken}\n`, { mode: 0o600 });
      }
      return demo.adminToken;
    });
  }

  async function stop(signal: string): Promise<void> {
    if (stopping) return;
    stopping = signal;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 20_000).unref();
    if (demoSetUp) {
      log.info('removing the unfinished demo tenant');
      await demoSetUp.catch(() => undefined);
    }
    for (const part of started.reverse()) await part().catch((err) => log.warn({ err }, 'while shutting down'));
    clearTimeout(timer);
    process.exit(0);
  }
}

/** The signal that is stopping the process, once one arrived (start-up work then fails on purpose). */
let stopping: string | false = false;

main().catch((err) => {
  if (stopping) return; // what a shutdown interrupted; stop() exits when it is done
  console.error(err);
  process.exit(1);
});
