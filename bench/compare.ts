import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { arg, machine, median, sleep, startChild, startProcess, type Child } from './lib.js';
import {
  ADMIN,
  api,
  createExport,
  INGEST,
  pushAll,
  sandboxStats,
  setUsers,
  startSandbox,
  waitDelivered,
} from './traffic.js';

/**
 * The service beside its two yardsticks, in one command and one run (so the machine's noise hits all alike):
 *
 *   node dist/bench/compare.js [--events 200000] [--rounds 3] [--users 50000] [--sdk-events N]
 *
 * Each round, on fresh data:
 * 1. ingest floor: a bare process (bench/bare-append) takes the pushes, parses each body and appends each event to
 *    SQLite on one thread; the same client pushes the same traffic to the service (its export paused). Ratio of the
 *    two rates.
 * 2. drain: the service's export resumed, its backlog drained into the sandbox (rate limit off): events/s, the
 *    service's CPU per delivered event from its own process.cpuUsage() (its /metrics), its RSS after ingest and at
 *    its peak while draining.
 * 3. the SDK: mParticle's official Node SDK (bench/sdk-forward) sends the same kind of events into the same sandbox,
 *    one batch per event, 16 in flight. Ratio of the drain rates.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));

interface Round {
  bareIngest: number;
  serviceIngest: number;
  ingestCpuUs: number;
  rssAfterIngest: number;
  drain: number;
  drainCpuUs: number;
  sandboxCpuUs: number;
  peakRss: number;
  sdk: number;
  sdkCpuUs: number;
}

/** Seconds of CPU the service has used, from process.cpuUsage() as prom-client reports it on /metrics. */
async function serviceCpuSeconds(service: Child): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const m = /^currents_process_process_cpu_seconds_total (\S+)$/m.exec(text);
  if (m === null) throw new Error('the service reports no process_cpu_seconds_total on /metrics');
  return Number(m[1]);
}

async function bareIngest(events: number, dir: string): Promise<number> {
  const bare = await startProcess([join(HERE, 'bare-append.js'), join(dir, 'bare.db')]);
  const pool = new Pool(bare.url, { connections: 16, pipelining: 1 });
  try {
    const started = performance.now();
    await pushAll(pool, events);
    return events / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
    await bare.stop();
  }
}

async function sdkForward(sandbox: Child, events: number, users: number): Promise<{ rate: number; cpuUs: number }> {
  const before = (await sandboxStats(sandbox)).events;
  const out = await new Promise<string>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [join(HERE, 'sdk-forward.js'), '--url', sandbox.url, '--events', String(events), '--users', String(users)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let text = '';
    proc.stdout.on('data', (c: Buffer) => (text += c.toString()));
    proc.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`sdk-forward exited with ${code}`))));
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { rate: number; cpuUsPerEvent: number };
  const accepted = (await sandboxStats(sandbox)).events - before;
  if (accepted !== events) throw new Error(`the sandbox accepted ${accepted} of the SDK's ${events} events`);
  return { rate: r.rate, cpuUs: r.cpuUsPerEvent };
}

async function round(events: number, sdkEvents: number, users: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'currents-bench-compare-'));
  const sandbox = await startSandbox();
  let service: Child | null = null;
  let pool: Pool | null = null;
  try {
    const bare = await bareIngest(events, dir);

    service = await startChild(['serve', '--port', '0', '--data', join(dir, 'service')], {
      CURRENTS_ADMIN_TOKEN: ADMIN,
      CURRENTS_INGEST_TOKEN: INGEST,
      CURRENTS_IDLE_POLL_MS: '50',
    });
    const exportId = await createExport(service, sandbox.url, { paused: true });
    pool = new Pool(service.url, { connections: 16, pipelining: 1 });
    const ingestCpu0 = await serviceCpuSeconds(service);
    const ingestStarted = performance.now();
    await pushAll(pool, events);
    const serviceIngest = events / ((performance.now() - ingestStarted) / 1000);
    const ingestCpuUs = (((await serviceCpuSeconds(service)) - ingestCpu0) * 1e6) / events;
    await sleep(1000);

    const rssAfterIngest = service.usage().rss;
    let peakRss = rssAfterIngest;
    const svc = service;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, svc.usage().rss)), 100);
    const cpu0 = await serviceCpuSeconds(service);
    const sandboxCpu0 = sandbox.usage().cpuSeconds;
    const started = performance.now();
    await api(service, 'POST', `/v1/exports/${exportId}/resume`);
    await waitDelivered(sandbox, events, 1_800_000);
    const drain = events / ((performance.now() - started) / 1000);
    const drainCpuUs = (((await serviceCpuSeconds(service)) - cpu0) * 1e6) / events;
    const sandboxCpuUs = ((sandbox.usage().cpuSeconds - sandboxCpu0) * 1e6) / events;
    clearInterval(sampler);
    await pool.close();
    pool = null;
    await service.stop();
    service = null;

    const sdk = await sdkForward(sandbox, sdkEvents, users);
    return {
      bareIngest: bare,
      serviceIngest,
      ingestCpuUs,
      rssAfterIngest,
      drain,
      drainCpuUs,
      sandboxCpuUs,
      peakRss,
      sdk: sdk.rate,
      sdkCpuUs: sdk.cpuUs,
    };
  } finally {
    await pool?.close();
    await service?.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const events = arg('events', 200_000);
  const rounds = arg('rounds', 3);
  const users = arg('users', 50_000);
  const sdkEvents = arg('sdk-events', Math.min(events, 100_000));
  setUsers(users);
  console.log(`machine: ${machine()}; ${events} events a round, ${users} users, SDK ${sdkEvents} events`);
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await round(events, sdkEvents, users);
    results.push(r);
    console.log(
      `round ${i + 1}: ingest ${Math.round(r.serviceIngest)}/s (${r.ingestCpuUs.toFixed(1)} µs CPU an event) against ` +
        `bare ${Math.round(r.bareIngest)}/s = ${(r.serviceIngest / r.bareIngest).toFixed(2)}×; ` +
        `drain ${Math.round(r.drain)}/s, service ${r.drainCpuUs.toFixed(1)} µs CPU an event (sandbox ` +
        `${r.sandboxCpuUs.toFixed(1)}), RSS ${mib(r.rssAfterIngest)} after ingest, peak ${mib(r.peakRss)} draining; ` +
        `SDK ${Math.round(r.sdk)}/s (${r.sdkCpuUs.toFixed(1)} µs CPU an event) = ${(r.drain / r.sdk).toFixed(1)}×`,
    );
  }
  const med = (f: (r: Round) => number): number => median(results.map(f));
  console.log(
    `median of ${rounds}: ingest ${med((r) => r.serviceIngest / r.bareIngest).toFixed(2)}× bare; ` +
      `service CPU ${med((r) => r.drainCpuUs).toFixed(1)} µs per delivered event; ` +
      `drain ${med((r) => r.drain / r.sdk).toFixed(1)}× the SDK (${Math.round(med((r) => r.drain))}/s against ` +
      `${Math.round(med((r) => r.sdk))}/s); RSS ${mib(med((r) => r.rssAfterIngest))} after ingest, ` +
      `peak ${mib(med((r) => r.peakRss))} draining`,
  );
}

await main();
