import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { arg, machine, MAIN, median, sleep, startProcess, type Child } from './lib.js';
import { ADMIN, api, createExport, INGEST, pushAll, setUsers, waitDelivered } from './traffic.js';

/**
 * The drain alone, for builds side by side: one backlog is taken in once (export paused), then each round copies it
 * and lets each build drain its copy into a fresh sandbox (rate limit off), alternating the builds, so the machine's
 * noise hits them alike. CPU per delivered event from the service's own process.cpuUsage() (its /metrics), and per
 * thread from /proc (main, the busiest other thread: the store's worker, and the rest: V8's helpers, libuv).
 *
 *   node dist/bench/drain.js [--events 200000] [--rounds 3] [--build dist/src/cli/main.js ...]
 *
 * A build is the path of a built `src/cli/main.js` (default: this one), optionally followed by node flags of its own
 * in the same argument; give `--build` twice to compare two.
 */

interface Run {
  cpuUs: number;
  rate: number;
  threads: { main: number; store: number; others: number };
}

const env = { CURRENTS_ADMIN_TOKEN: ADMIN, CURRENTS_INGEST_TOKEN: INGEST, CURRENTS_IDLE_POLL_MS: '50' };
const flags = (): string[] => (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');

/** A build: the path of its `src/cli/main.js`, then node flags of its own ("dist/src/cli/main.js --single-threaded-gc"). */
function serve(build: string, data: string): Promise<Child> {
  const [main, ...own] = build.split(' ').filter((f) => f !== '');
  return startProcess(
    ['--max-semi-space-size=64', ...flags(), ...own, main!, 'serve', '--port', '0', '--data', data],
    env,
  );
}

function sandbox(build: string): Promise<Child> {
  return startProcess([
    build.split(' ')[0]!,
    'sandbox',
    '--port',
    '0',
    '--rate-limit',
    'off',
    '--feed',
    'bench-key:bench-secret',
  ]);
}

async function cpuSeconds(service: Child): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const m = /^currents_process_process_cpu_seconds_total (\S+)$/m.exec(text);
  if (m === null) throw new Error('the service reports no process_cpu_seconds_total on /metrics');
  return Number(m[1]);
}

/** CPU ticks per thread (every thread is called "node": told apart by id, the main thread's is the process's). */
function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended.
    }
  }
  return out;
}

/** µs an event: the main thread, the busiest other (the store's worker while draining), and all others. */
function perThread(pid: number, before: Map<number, number>, after: Map<number, number>, events: number) {
  const us = (ticks: number): number => ((ticks / 100) * 1e6) / events;
  const others = [...after]
    .filter(([tid]) => tid !== pid)
    .map(([tid, t]) => us(t - (before.get(tid) ?? 0)))
    .sort((a, b) => b - a);
  return {
    main: us((after.get(pid) ?? 0) - (before.get(pid) ?? 0)),
    store: others[0] ?? 0,
    others: others.slice(1).reduce((a, b) => a + b, 0),
  };
}

async function prepare(main: string, events: number): Promise<{ dir: string; exportId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'currents-bench-drain-'));
  const sb = await sandbox(main);
  const service = await serve(main, join(dir, 'data'));
  const pool = new Pool(service.url, { connections: 16, pipelining: 1 });
  try {
    const exportId = await createExport(service, 'http://127.0.0.1:9', { paused: true });
    await pushAll(pool, events);
    return { dir, exportId: exportId };
  } finally {
    await pool.close();
    await service.stop();
    await sb.stop();
  }
}

async function drainOnce(main: string, template: string, exportId: string, events: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'currents-bench-drain-run-'));
  cpSync(template, join(dir, 'data'), { recursive: true });
  const sb = await sandbox(main);
  const service = await serve(main, join(dir, 'data'));
  try {
    await api(service, 'PATCH', `/v1/exports/${exportId}`, { destination: { base_url: sb.url } });
    // The first /metrics counts the backlog (every partition's rows): done here, before the drain is measured (the
    // count is cached for 15 s; the last one, on an empty backlog, costs nothing).
    await cpuSeconds(service);
    await sleep(500);
    const cpu0 = await cpuSeconds(service);
    const ticks0 = threadTicks(service.proc.pid!);
    const started = performance.now();
    await api(service, 'POST', `/v1/exports/${exportId}/resume`);
    await waitDelivered(sb, events, 1_800_000);
    const seconds = (performance.now() - started) / 1000;
    const cpuUs = (((await cpuSeconds(service)) - cpu0) * 1e6) / events;
    const threads = perThread(service.proc.pid!, ticks0, threadTicks(service.proc.pid!), events);
    return { cpuUs, rate: events / seconds, threads };
  } finally {
    await service.stop();
    await sb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const events = arg('events', 200_000);
  const rounds = arg('rounds', 3);
  setUsers(arg('users', 50_000));
  const builds = process.argv.flatMap((a, i) => {
    if (a !== '--build') return [];
    const [path, ...own] = process.argv[i + 1]!.split(' ');
    return [[resolve(path!), ...own].join(' ')];
  });
  if (builds.length === 0) builds.push(MAIN);
  console.log(`machine: ${machine()}; ${events} events, builds: ${builds.join(', ')}`);
  const { dir, exportId } = await prepare(builds[0]!, events);
  const runs: Run[][] = builds.map(() => []);
  try {
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first, so neither always runs on the warmer machine.
      const order = builds.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const b of order) {
        const run = await drainOnce(builds[b]!, join(dir, 'data'), exportId, events);
        runs[b]!.push(run);
        const t = run.threads;
        const threads = `main ${t.main.toFixed(1)}, store ${t.store.toFixed(1)}, others ${t.others.toFixed(1)}`;
        console.log(
          `round ${r + 1} build ${b + 1}: ${run.cpuUs.toFixed(1)} µs CPU an event, ${Math.round(run.rate)}/s (${threads})`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  builds.forEach((build, b) => {
    const list = runs[b]!;
    console.log(
      `build ${b + 1} (${build}): median ${median(list.map((r) => r.cpuUs)).toFixed(1)} µs CPU an event ` +
        `(${list.map((r) => r.cpuUs.toFixed(1)).join(' · ')}), ${Math.round(median(list.map((r) => r.rate)))}/s`,
    );
  });
}

await main();
