import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Every gateway a test file started is killed when the file ends, also when the test that started
// it registered no hook of its own (a hook registered inside a running test never runs) and when
// the test worker exits; otherwise an orphaned gateway keeps polling its dropped database.
const running = new Set<ChildProcess>();
const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
afterAll(killAll);
process.once('exit', killAll);

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string | null>;
}

/** `gateway/main.ts` spawned as its own process on `databaseUrl` (as `npm start` runs it), not waited for. */
export function spawnGatewayProcess(databaseUrl: string, env: Record<string, string> = {}): Omit<GatewayProcess, 'url'> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', CDP_DEMO: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, exited };
}

/** Starts `gateway/main.ts` as its own process on `databaseUrl` (as `npm start` does), on a free port. */
export async function startGatewayProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const { child, output, exited } = spawnGatewayProcess(databaseUrl, env);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output()}`)), 60_000);
    const check = () => {
      const m = /ready at (http:\/\/[^\s]+\/graphql)/.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`gateway exited:\n${output()}`)));
  });
  return { child, url, output, exited };
}
