import { spawn, execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareBenchDatabase, type ServerKind } from './setup.js';
import { MEMBER_QUERY } from './member-query.js';

/**
 * `npx tsx bench/graphql/instructions.ts [--warm 2500] [--requests 300] [kinds...]`
 *
 * The member page's cost in CPU instructions of the server process, counted by valgrind's callgrind:
 * each server runs under callgrind with counting off, answers `--warm` requests (one at a time, one
 * keep-alive connection) until its code is compiled, then counts `--requests` requests. Unlike
 * requests per second on this shared 2-core machine, the count does not depend on what else the
 * machine is doing (run to run it varies by a few per cent, from the JIT). It counts user-space
 * instructions of the server process and its threads; the kernel's work for its system calls and the
 * database's work are not in it. Part of the count is the JIT compiler still at work under
 * valgrind's slowdown (reported apart: `jitCompiler`). Prints a table and writes
 * bench/results/graphql-instructions.json. Needs valgrind (Debian package `valgrind`).
 */

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const WARM = arg('warm', 2500);
const REQUESTS = arg('requests', 300);
const named = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const KINDS = (named.length ? named : ['ours', 'floor-tx', 'floor']) as ServerKind[];
const PORT = 4397;
const PG_SERVER = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Row { server: ServerKind; instructionsPerRequest: number; jitCompiler: number; withoutJitCompiler: number }

function request(agent: http.Agent, token: string, id: string): Promise<string> {
  const body = JSON.stringify({ query: MEMBER_QUERY, variables: { id } });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: PORT, path: '/graphql', method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Instructions of the JIT compiler (TurboFan/Maglev) in a callgrind profile, and the total. */
function split(profile: string): { total: number; compiler: number } {
  const out = execFileSync('callgrind_annotate', ['--threshold=100', profile], { maxBuffer: 1 << 28 }).toString();
  let total = 0;
  let compiler = 0;
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2].includes('PROGRAM TOTALS')) continue;
    const n = Number(m[1].replace(/,/g, ''));
    total += n;
    if (/compiler::|maglev/i.test(m[2])) compiler += n;
  }
  return { total, compiler };
}

async function measure(kind: ServerKind, data: Awaited<ReturnType<typeof prepareBenchDatabase>>, dir: string): Promise<Row> {
  const profile = path.join(dir, `callgrind.${kind}`);
  const script = fileURLToPath(new URL('./servers.ts', import.meta.url));
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${profile}`,
    process.execPath, '--import', 'tsx', script, kind, String(PORT)],
  { env: { ...process.env, BENCH_DATA: JSON.stringify(data), NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('ready')) resolve(); });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < WARM; i++) await request(agent, data.token, data.memberIds[i % data.memberIds.length]);
    execFileSync('callgrind_control', ['-i', 'on', String(child.pid)]);
    for (let i = 0; i < REQUESTS; i++) await request(agent, data.token, data.memberIds[i % data.memberIds.length]);
    execFileSync('callgrind_control', ['-i', 'off', String(child.pid)]);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  const { total, compiler } = split(profile);
  const per = (n: number) => Math.round(n / REQUESTS);
  return { server: kind, instructionsPerRequest: per(total), jitCompiler: per(compiler), withoutJitCompiler: per(total - compiler) };
}

async function main(): Promise<void> {
  const data = await prepareBenchDatabase(PG_SERVER);
  const dir = path.join(os.tmpdir(), `cdp-callgrind-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const rows: Row[] = [];
  for (const kind of KINDS) {
    console.log(`${kind}: ${WARM} requests to warm up, then ${REQUESTS} counted (under valgrind: minutes)...`);
    rows.push(await measure(kind, data, dir));
  }
  console.log('\n| server | instructions per request | of which JIT compiler | without the compiler |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.server} | ${r.instructionsPerRequest.toLocaleString('en')} | ${r.jitCompiler.toLocaleString('en')} | ${r.withoutJitCompiler.toLocaleString('en')} |`);
  }
  const out = fileURLToPath(new URL('../results/graphql-instructions.json', import.meta.url));
  const previous = JSON.parse(await readFile(out, 'utf8').catch(() => '{}')) as { runs?: unknown[] };
  const run = { at: new Date().toISOString(), command: `npx tsx bench/graphql/instructions.ts ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version, warm: WARM, requests: REQUESTS, results: rows };
  await writeFile(out, `${JSON.stringify({ runs: [...(previous.runs ?? []), run] }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
