import { readFileSync } from 'node:fs';
import type pg from 'pg';

/**
 * CPU time, which a loaded machine disturbs far less than wall time: this process's (user + system)
 * and that of the Postgres backends serving one database, read from /proc/<pid>/schedstat (Linux,
 * the server on this machine; null otherwise).
 */

/** Milliseconds of CPU this Node process has used. */
export function nodeCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Milliseconds of CPU backend `pid` has used, or null when /proc does not show it. */
export function backendCpuMs(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/** CPU milliseconds of every backend connected to `database`, by pid. */
async function backendsOf(admin: pg.Pool, database: string): Promise<Map<number, number> | null> {
  const pids = (await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database])).rows;
  const cpu = new Map<number, number>();
  for (const { pid } of pids) {
    const ms = backendCpuMs(pid);
    if (ms === null) return null;
    cpu.set(pid, ms);
  }
  return cpu;
}

/**
 * Starts measuring; the returned function gives the Node and backend CPU milliseconds since
 * (backend null when unreadable). A backend that connected meanwhile counts from its start; one
 * that disconnected meanwhile is lost, so keep the pools' connections open across a measurement.
 */
export async function measureCpu(admin: pg.Pool, database: string): Promise<() => Promise<{ node: number; backend: number | null }>> {
  const before = await backendsOf(admin, database);
  const node0 = nodeCpuMs();
  return async () => {
    const node = nodeCpuMs() - node0;
    const after = await backendsOf(admin, database);
    if (!before || !after) return { node, backend: null };
    let backend = 0;
    for (const [pid, ms] of after) backend += ms - (before.get(pid) ?? 0);
    return { node, backend };
  };
}
