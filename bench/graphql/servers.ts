import { createGateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { createPools } from '../../connectors/store/pool.js';
import { MemoryBucketStore } from '../../tenants/rate-limit.js';
import { startPostGraphile } from './postgraphile.js';
import { startFloor, startFloorWithTransaction } from './floor.js';
import { POOL_SIZE, type BenchData, type ServerKind } from './setup.js';

/**
 * One benchmark server in its own process (so the load generator never shares its event loop):
 * `servers.ts ours|ours-memory-limits|postgraphile|floor-tx|floor PORT`, bench data as JSON in BENCH_DATA. Prints "ready" when
 * listening; exits on SIGTERM.
 */

async function main(): Promise<void> {
  const [kind, portText] = process.argv.slice(2) as [ServerKind, string];
  const port = Number(portText);
  const data = JSON.parse(process.env.BENCH_DATA ?? '') as BenchData;
  let stop: () => Promise<void>;
  if (kind === 'ours' || kind === 'ours-memory-limits') {
    const pools = createPools({ url: data.url, max: POOL_SIZE });
    // ours-memory-limits: the rate-limit buckets in process memory instead of Postgres (one statement
    // less per request), to show what the shared budget store costs
    const governance = kind === 'ours-memory-limits' ? { sharedStore: new MemoryBucketStore() } : undefined;
    const gateway = await createGateway({ pools, log: createLogger('silent'), development: false, governance });
    await gateway.listen(port, '127.0.0.1');
    stop = async () => { await gateway.stop(); await pools.close(); };
  } else {
    const start = { postgraphile: startPostGraphile, 'floor-tx': startFloorWithTransaction, floor: startFloor }[kind];
    const server = await start(data, port, POOL_SIZE);
    stop = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  }
  // SIGUSR2: report the process's CPU seconds so far (the runner takes the difference over a run)
  process.on('SIGUSR2', () => {
    const cpu = process.cpuUsage();
    console.log(`cpu ${(cpu.user + cpu.system) / 1e6}`);
  });
  process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));
  console.log('ready');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
