import { arg, machine, median, percentile, sleep } from './lib.js';
import {
  api,
  deliveryLatencies,
  makeEvent,
  pushAll,
  pushRequest,
  sandboxStats,
  setup,
  setUsers,
  teardown,
  waitDelivered,
} from './traffic.js';

/**
 * End-to-end benchmark: events pushed to the service (100-event requests over keep-alive connections, from this
 * process) until the sandbox (another process, rate limit off) has accepted them.
 *
 *   node dist/bench/e2e.js [--events 300000] [--runs 3] [--steady-seconds 20] [--backlog 1000000] [--users 50000]
 *
 * 1. throughput: push N events as fast as the service takes them, with delivery running; events/s from the first
 *    push to the last event accepted by the sandbox (median of runs), and batches per event.
 * 2. latency at a steady 5,000 events/s: push to sandbox, p50 and p99.
 * 3. memory with a backlog: the export paused while 1,000,000 events are pushed, then resumed; the service's peak
 *    resident memory while it drains, next to its memory before.
 */

async function throughput(events: number): Promise<{ e2e: number; ingest: number; batchesPerEvent: number }> {
  const s = await setup();
  try {
    const started = performance.now();
    await pushAll(s.pool, events);
    const pushed = performance.now();
    await waitDelivered(s.sandbox, events);
    const done = performance.now();
    const stats = await sandboxStats(s.sandbox);
    return {
      e2e: events / ((done - started) / 1000),
      ingest: events / ((pushed - started) / 1000),
      batchesPerEvent: stats.batches / stats.events,
    };
  } finally {
    await teardown(s);
  }
}

async function steadyLatency(seconds: number, perSecond = 5000): Promise<{ p50: number; p99: number; n: number }> {
  const s = await setup();
  const pushedAt = new Map<string, number>();
  try {
    const perTick = perSecond / 100;
    const start = performance.now();
    let tick = 0;
    const inflight: Promise<void>[] = [];
    while (tick < seconds * 100) {
      const due = start + tick * 10;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const now = Date.now();
      const batch = Array.from({ length: perTick }, () => makeEvent(now));
      for (const e of batch) pushedAt.set(e.id as string, now);
      inflight.push(pushRequest(s.pool, batch));
      tick += 1;
    }
    await Promise.all(inflight);
    await waitDelivered(s.sandbox, pushedAt.size);
    const { latencies } = await deliveryLatencies(s.sandbox, pushedAt);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length };
  } finally {
    await teardown(s);
  }
}

interface Drain {
  before: number;
  peak: number;
  /** RSS once the service has been quiet for 10 s after the drain (memory given back: CURRENTS_IDLE_RELEASE_MS). */
  settled: number;
  drainRate: number;
  /** CPU time per event delivered while draining, in µs: the service's and the sandbox's. */
  serviceCpuUs: number;
  sandboxCpuUs: number;
}

async function backlogMemory(events: number): Promise<Drain> {
  const s = await setup({ paused: true });
  try {
    await pushAll(s.pool, events);
    await sleep(1000);
    const before = s.service.usage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, s.service.usage().rss)), 200);
    const started = performance.now();
    const cpu0 = { service: s.service.usage().cpuSeconds, sandbox: s.sandbox.usage().cpuSeconds };
    await api(s.service, 'POST', `/v1/exports/${s.exportId}/resume`);
    await waitDelivered(s.sandbox, events, 1_800_000);
    clearInterval(sampler);
    const drainRate = events / ((performance.now() - started) / 1000);
    const cpu = { service: s.service.usage().cpuSeconds, sandbox: s.sandbox.usage().cpuSeconds };
    await sleep(10_000);
    return {
      before,
      peak,
      settled: s.service.usage().rss,
      drainRate,
      serviceCpuUs: ((cpu.service - cpu0.service) * 1e6) / events,
      sandboxCpuUs: ((cpu.sandbox - cpu0.sandbox) * 1e6) / events,
    };
  } finally {
    await teardown(s);
  }
}

async function main(): Promise<void> {
  const events = arg('events', 300_000);
  const runs = arg('runs', 3);
  const steadySeconds = arg('steady-seconds', 20);
  const backlog = arg('backlog', 1_000_000);
  setUsers(arg('users', 50_000));
  console.log(`machine: ${machine()}`);

  const results = [];
  for (let i = 0; i < runs; i++) {
    const r = await throughput(events);
    results.push(r);
    console.log(
      `run ${i + 1}: end-to-end ${Math.round(r.e2e)} events/s (ingest ${Math.round(r.ingest)} events/s), ` +
        `${r.batchesPerEvent.toFixed(3)} batches per event`,
    );
  }
  if (runs > 0)
    console.log(
      `throughput (median of ${runs}): end-to-end ${Math.round(median(results.map((r) => r.e2e)))} events/s, ` +
        `ingest ${Math.round(median(results.map((r) => r.ingest)))} events/s, ` +
        `${median(results.map((r) => r.batchesPerEvent)).toFixed(3)} batches per event`,
    );

  if (steadySeconds > 0) {
    const l = await steadyLatency(steadySeconds);
    console.log(`latency at 5,000 events/s for ${steadySeconds} s: p50 ${l.p50} ms, p99 ${l.p99} ms (${l.n} events)`);
  }
  if (backlog > 0) {
    const m = await backlogMemory(backlog);
    console.log(
      `backlog of ${backlog} events: service RSS ${(m.before / 2 ** 20).toFixed(0)} MiB before draining, ` +
        `peak ${(m.peak / 2 ** 20).toFixed(0)} MiB while draining at ${Math.round(m.drainRate)} events/s, ` +
        `${(m.settled / 2 ** 20).toFixed(0)} MiB 10 s after; ` +
        `CPU per event: service ${m.serviceCpuUs.toFixed(1)} µs, sandbox ${m.sandboxCpuUs.toFixed(1)} µs`,
    );
  }
}

await main();
