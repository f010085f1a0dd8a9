/**
 * Ingest throughput of the service as Braze's HTTP connector would drive it. Not a test: run it after `npm run build`:
 *
 *   node dist/bench/ingest.js [--events 500000] [--warmup 20000] [--connections 32] [--runs 3] [--form flat|nested]
 *                             [--no-profile]
 *
 * Each run starts `currents serve` (default settings: SQLite, --sync full) on a fresh temp data folder, then a
 * separate client process (bench/ingest-client.ts) pushes the events as 100-event requests over keep-alive
 * connections (undici Pool). Reported per run: events/s at the client (2xx only), the client's request latency, the
 * service's commit latency (p50/p99 estimated from its /metrics histogram), and the CPU both processes used. The
 * median of the runs is printed last. A further run with `node --cpu-prof` on the service summarises where it spends
 * its time (top self-time functions and a breakdown by component).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientReport } from './ingest-client.js';
import { summariseProfile, type CpuProfile } from './ingest-profile.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    warmup: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '100' },
    connections: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    form: { type: 'string', default: 'flat' },
    'no-profile': { type: 'boolean', default: false },
  },
});

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./ingest-client.js', import.meta.url));
const TOKEN = 'bench-ingest-token-0123456789abcdef';
/** USER_HZ on Linux: the unit of the CPU times in /proc/<pid>/stat. */
const TICKS = 100;

/** CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

interface Service {
  proc: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

async function startService(data: string, nodeArgs: string[]): Promise<Service> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CURRENTS_')));
  const proc = spawn(
    process.execPath,
    // As `npm start` runs it (see the shebang of src/cli/main.ts).
    [
      '--max-semi-space-size=64',
      ...nodeArgs,
      MAIN,
      'serve',
      '--port',
      '0',
      '--data',
      data,
      '--sync',
      'full',
      '--log-level',
      'warn',
    ],
    { env: { ...env, CURRENTS_INGEST_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`the service exited (${code}) before listening:\n${out}`)));
  });
  proc.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

interface RunReport extends ClientReport {
  serviceCpuSeconds: number;
}

async function run(label: string, nodeArgs: string[] = []): Promise<RunReport> {
  const data = await mkdtemp(join(tmpdir(), 'currents-bench-'));
  try {
    const service = await startService(data, nodeArgs);
    const pid = service.proc.pid!;
    const args = [CLIENT, '--url', service.url, '--token', TOKEN, '--form', values.form];
    for (const k of ['events', 'warmup', 'batch', 'connections'] as const) args.push(`--${k}`, values[k]);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let serviceAtStart = 0;
    let serviceCpu = 0;
    let report: ClientReport | null = null;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'phase start') serviceAtStart = cpuSeconds(pid);
        else if (line === 'phase end') serviceCpu = cpuSeconds(pid) - serviceAtStart;
        else if (line.startsWith('result ')) report = JSON.parse(line.slice(7)) as ClientReport;
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const exit = await service.stop();
    if (code !== 0 || report === null) throw new Error(`${label}: the client failed (exit ${code})`);
    if (exit !== 0) throw new Error(`${label}: the service did not shut down cleanly (exit ${exit})`);
    const r = report as ClientReport;
    const warmup = Math.ceil(Number(values.warmup) / Number(values.batch)) * Number(values.batch);
    if (r.logEvents !== r.stored + warmup) {
      process.stdout.write(`${label}: the log holds ${r.logEvents} events, the client was told ${r.stored + warmup}\n`);
    }
    return { ...r, serviceCpuSeconds: serviceCpu };
  } finally {
    await rm(data, { recursive: true, force: true });
  }
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);

function line(label: string, r: RunReport): string {
  return (
    `${label.padEnd(8)} ${f0(r.eventsPerSecond).padStart(8)} events/s  ${f0(r.stored)} stored in ${r.seconds.toFixed(1)} s` +
    `${r.failed > 0 ? ` (${f0(r.failed)} failed)` : ''}  request p50 ${f1(r.requestP50Ms)} ms p99 ${f1(r.requestP99Ms)} ms` +
    `  commit p50 ${f1(r.commitP50Ms)} ms p99 ${f1(r.commitP99Ms)} ms mean ${f1(r.commitMeanMs)} ms (${f0(r.commits)})` +
    `  CPU service ${r.serviceCpuSeconds.toFixed(1)} s (${f0((100 * r.serviceCpuSeconds) / r.seconds)}%)` +
    ` client ${r.clientCpuSeconds.toFixed(1)} s (${f0((100 * r.clientCpuSeconds) / r.seconds)}%)`
  );
}

async function orchestrate(): Promise<void> {
  const runs = Number(values.runs);
  process.stdout.write(
    `ingest benchmark: ${f0(Number(values.events))} events per run (+${f0(Number(values.warmup))} warm-up), ` +
      `${values.batch}-event requests over ${values.connections} keep-alive connections, ${values.form} events, ` +
      `service with default settings (SQLite, --sync full)\n`,
  );
  const reports: RunReport[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run(`run ${i + 1}`);
    reports.push(r);
    process.stdout.write(`${line(`run ${i + 1}`, r)}\n`);
  }
  const median = [...reports].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[Math.floor(runs / 2)]!;
  process.stdout.write(`${line('median', median)}\n`);

  if (values['no-profile']) return;
  const profiles = await mkdtemp(join(tmpdir(), 'currents-bench-prof-'));
  try {
    const r = await run('profile', ['--cpu-prof', '--cpu-prof-dir', profiles]);
    process.stdout.write(`${line('profiled', r)}\n`);
    const file = (await readdir(profiles)).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('the service wrote no CPU profile');
    const profile = JSON.parse(await readFile(join(profiles, file), 'utf8')) as CpuProfile;
    process.stdout.write(`${summariseProfile(profile, { top: 25 })}\n`);
  } finally {
    await rm(profiles, { recursive: true, force: true });
  }
}

await orchestrate();
