/**
 * Ingest throughput of the service as Braze's HTTP connector would drive it. Not a test: run it after `npm run build`:
 *
 *   node dist/bench/ingest.js [--events 500000] [--connections 32] [--runs 3] [--form flat|nested] [--no-profile]
 *
 * Each run starts `currents serve` (default settings: SQLite, --sync full) on a fresh temp data folder, then a
 * separate client process (this file with --client) pushes the events as 100-event requests over keep-alive
 * connections (undici Pool). Reported per run: events/s at the client (2xx only), the client's request latency, the
 * service's commit latency (p50/p99 estimated from its /metrics histogram), and the CPU both processes used. The
 * median of the runs is printed last. A further run with `node --cpu-prof` on the service summarises where it spends
 * its time (top self-time functions and a breakdown by component).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { sampleEvent } from '../src/catalog/sample.js';
import { histogramQuantile, parsePrometheus, sampleValue, type Sample } from '../test/helpers/prometheus.js';
import { summariseProfile, type CpuProfile } from './ingest-profile.js';

const { values } = parseArgs({
  options: {
    client: { type: 'boolean', default: false },
    url: { type: 'string' },
    token: { type: 'string' },
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
const SELF = fileURLToPath(import.meta.url);
const TOKEN = 'bench-ingest-token-0123456789abcdef';

// ---------------------------------------------------------------------------------------------------------------
// Client (a separate process): realistic events, unique ids, many users, built from templates so that the client's
// own CPU stays small next to the service's.

const TYPES = [
  'users.messages.email.Send',
  'users.messages.email.Open',
  'users.messages.email.Click',
  'users.messages.pushnotification.Send',
  'users.messages.pushnotification.Open',
  'users.messages.inappmessage.Impression',
];

interface Template {
  /** The event's JSON text cut at each placeholder. */
  parts: string[];
  /** Which value (0 id, 1 external user id, 2 Braze user id) goes into each cut. */
  order: number[];
}

const MARKS = ['@ID@', '@EXT@', '@UID@'];

function template(type: string, form: string): Template {
  const flat = sampleEvent(type, { id: '@ID@', externalUserId: '@EXT@', time: 1_764_300_000 });
  flat.user_id = '@UID@';
  let event: Record<string, unknown> = flat;
  if (form === 'nested') {
    const userKeys = new Set(['user_id', 'external_user_id', 'device_id', 'timezone']);
    const user: Record<string, unknown> = {};
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(flat)) {
      if (k !== 'event_type' && k !== 'id' && k !== 'time') (userKeys.has(k) ? user : properties)[k] = v;
    }
    event = { event_type: type, id: flat.id, time: flat.time, user, properties };
  }
  const text = JSON.stringify(event);
  return {
    parts: text.split(/@(?:ID|EXT|UID)@/),
    order: [...text.matchAll(/@(?:ID|EXT|UID)@/g)].map((m) => MARKS.indexOf(m[0])),
  };
}

/** Event number `n`: a fresh UUID, one of 200,000 users. */
function fill(t: Template, n: number): string {
  const user = n % 200_000;
  const fills = [randomUUID(), `cust-${user}`, user.toString(16).padStart(24, '0')];
  let text = t.parts[0]!;
  for (let j = 0; j < t.order.length; j++) text += fills[t.order[j]!]! + t.parts[j + 1]!;
  return text;
}

async function client(): Promise<void> {
  const url = values.url!;
  const token = values.token!;
  const batchSize = Number(values.batch);
  const connections = Number(values.connections);
  const templates = TYPES.map((t) => template(t, values.form));
  let n = 0;
  const body = (): string => {
    const events: string[] = [];
    for (let i = 0; i < batchSize; i++, n++) {
      const k = n % templates.length;
      events.push(fill(templates[k]!, n));
    }
    return `{"events":[${events.join(',')}]}`;
  };
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = {
    authorization: `Bearer ${token}`,
    'braze-currents-version': '1',
    'content-type': 'application/json',
  };

  const push = async (requests: number, latencies: number[] | null): Promise<{ ok: number; failed: number }> => {
    let next = 0;
    let ok = 0;
    let failed = 0;
    const worker = async () => {
      while (next++ < requests) {
        const started = performance.now();
        try {
          const res = await pool.request({ method: 'POST', path: '/v1/currents', headers, body: body() });
          const text = await res.body.text();
          if (res.statusCode >= 200 && res.statusCode < 300) ok += (JSON.parse(text) as { stored: number }).stored;
          else failed += batchSize;
        } catch {
          failed += batchSize;
        }
        latencies?.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    return { ok, failed };
  };

  await push(Math.ceil(Number(values.warmup) / batchSize), null);
  const before = await scrape(url);
  process.stdout.write('phase start\n');
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await push(Math.ceil(Number(values.events) / batchSize), latencies);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  process.stdout.write('phase end\n');
  const after = await scrape(url);
  await pool.close();
  latencies.sort((x, y) => x - y);
  const commit = histogramDelta(before, after, 'currents_commit_seconds');
  const report: ClientReport = {
    stored: result.ok,
    failed: result.failed,
    seconds,
    eventsPerSecond: result.ok / seconds,
    requestP50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
    requestP99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
    commitP50Ms: (histogramQuantile(commit, 'currents_commit_seconds', 0.5) ?? NaN) * 1000,
    commitP99Ms: (histogramQuantile(commit, 'currents_commit_seconds', 0.99) ?? NaN) * 1000,
    commitMeanMs:
      ((sampleValue(commit, 'currents_commit_seconds_sum') ?? NaN) /
        (sampleValue(commit, 'currents_commit_seconds_count') ?? NaN)) *
      1000,
    commits: sampleValue(commit, 'currents_commit_seconds_count') ?? 0,
    clientCpuSeconds: (used.user + used.system) / 1e6,
    logEvents: sampleValue(after, 'currents_log_events') ?? NaN,
  };
  process.stdout.write(`result ${JSON.stringify(report)}\n`);
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  return parsePrometheus(await res.text());
}

/** The histogram's samples for what happened between two scrapes. */
function histogramDelta(before: Sample[], after: Sample[], name: string): Sample[] {
  return after
    .filter((s) => s.name.startsWith(name))
    .map((s) => ({ ...s, value: s.value - (sampleValue(before, s.name, s.labels) ?? 0) }));
}

interface ClientReport {
  stored: number;
  failed: number;
  seconds: number;
  eventsPerSecond: number;
  requestP50Ms: number;
  requestP99Ms: number;
  commitP50Ms: number;
  commitP99Ms: number;
  commitMeanMs: number;
  commits: number;
  clientCpuSeconds: number;
  logEvents: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator: service and client processes, CPU accounting, the report.

const TICKS = 100; // USER_HZ on Linux

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
    [...nodeArgs, MAIN, 'serve', '--port', '0', '--data', data, '--sync', 'full', '--log-level', 'warn'],
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
    const args = [SELF, '--client', '--url', service.url, '--token', TOKEN, '--form', values.form];
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
    return { ...(report as ClientReport), serviceCpuSeconds: serviceCpu };
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

if (values.client) await client();
else await orchestrate();
