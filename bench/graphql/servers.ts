import cluster from 'node:cluster';
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
  if (kind === 'ours-2-processes') return clustered(data, port);
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

/**
 * ours-2-processes: the gateway in two processes sharing the port (node:cluster; keep-alive
 * connections are spread over them), each with half the pool, so the database sees the same number
 * of connections as every other server. CPU reported is the sum over the primary and both.
 */
async function clustered(data: BenchData, port: number): Promise<void> {
  const WORKERS = 2;
  if (cluster.isPrimary) {
    const workers = Array.from({ length: WORKERS }, () => cluster.fork());
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('listening', resolve))));
    process.on('SIGUSR2', async () => {
      const cpus = await Promise.all(workers.map((w) => new Promise<number>((resolve) => {
        w.once('message', (m: { cpu: number }) => resolve(m.cpu));
        w.send('cpu');
      })));
      const own = process.cpuUsage();
      console.log(`cpu ${cpus.reduce((a, b) => a + b, (own.user + own.system) / 1e6)}`);
    });
    process.on('SIGTERM', () => {
      for (const w of workers) w.kill('SIGTERM');
      Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r)))).then(() => process.exit(0));
    });
    console.log('ready');
    return;
  }
  const pools = createPools({ url: data.url, max: POOL_SIZE / WORKERS });
  const gateway = await createGateway({ pools, log: createLogger('silent'), development: false });
  await gateway.listen(port, '127.0.0.1');
  process.on('message', (m) => {
    if (m !== 'cpu') return;
    const cpu = process.cpuUsage();
    process.send!({ cpu: (cpu.user + cpu.system) / 1e6 });
  });
  process.on('SIGTERM', () => void gateway.stop().then(() => pools.close()).finally(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
