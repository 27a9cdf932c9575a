/**
 * A gateway process for the benchmark (run by run.ts as a child): the HTTP/websocket server and
 * the refresh worker over BENCH_URL, on BENCH_PORT. Prints "ready"; answers the IPC message "mem"
 * with its memory after a garbage collection (node --expose-gc).
 */
import { createPools } from '../../connectors/store/pool.js';
import { createGateway } from '../../gateway/server.js';
import { createLogger } from '../../gateway/logger.js';
import { RefreshWorker } from '../../connectors/refresh/worker.js';

const pools = createPools({ url: process.env.BENCH_URL!, max: Number(process.env.BENCH_POOL ?? 20) });
const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
const gateway = await createGateway({ pools, log, development: false });
const worker = new RefreshWorker({ pools, log, pollMs: 200, fullRefreshIntervalMs: null });
await worker.start();
await gateway.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
process.on('message', (msg) => {
  if (msg === 'mem') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ mem: process.memoryUsage() });
  }
});
process.on('SIGTERM', async () => {
  await gateway.stop('bench done').catch(() => undefined);
  await worker.stop();
  await pools.close();
  process.exit(0);
});
console.log('ready');
