/**
 * How fast the SQLite store appends, the way ingest uses it: many HTTP pushes of 100 events each, up to 32 in flight,
 * coalesced by group commit. Not a test: run it after `npm run build`:
 *
 *   node dist/bench/store-append.js [--events 500000] [--batch 100] [--inflight 32] [--size 1024] [--runs 3]
 *
 * Prints rows/s (median of the runs) and the latency of an append call (from the call to its commit), for
 * synchronous=full and synchronous=normal, each run on a fresh file in a temp folder.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { NewEvent } from '../src/types.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '100' },
    inflight: { type: 'string', default: '32' },
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'full,normal' },
  },
});
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const INFLIGHT = Number(values.inflight);
const SIZE = Number(values.size);
const RUNS = Number(values.runs);
const MODES = values.modes.split(',') as ('full' | 'normal')[];
const PARTITIONS = 16;

/** A pool of ~SIZE-byte flat Currents events; the id and user vary per event, the rest repeats from the pool. */
const POOL = Array.from({ length: 512 }, (_, i) => {
  const base = {
    event_type: 'users.messages.email.Send',
    time: 1_760_000_000 + i,
    campaign_id: randomBytes(12).toString('hex'),
    campaign_name: 'Autumn newsletter',
    message_variation_id: randomBytes(12).toString('hex'),
    email_address: `someone${i}@example.com`,
    app_group_id: randomBytes(12).toString('hex'),
  };
  // The id and user added per event bring it to SIZE.
  const filler = Math.max(0, SIZE - JSON.stringify(base).length - 100);
  return JSON.stringify({
    ...base,
    filler: randomBytes(Math.ceil(filler / 2))
      .toString('hex')
      .slice(0, filler),
  });
});

/** Currents ids are random UUIDs: their order is what makes dedup costly, so the bench uses them too. */
function makeEvents(from: number, count: number): NewEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const eventId = randomUUID();
    const user = `user-${i % 50_000}`;
    return {
      eventId,
      type: 'users.messages.email.Send',
      partition: i % PARTITIONS,
      externalUserId: user,
      platform: null,
      appId: null,
      time: 1_760_000_000 + (i % 86_400),
      receivedAt: now,
      payload: POOL[i % POOL.length]!.replace('"time"', `"id":"${eventId}","external_user_id":"${user}","time"`),
    };
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface RunResult {
  rowsPerSecond: number;
  /** Rows per second of CPU used by this process: steadier than wall time on a machine shared with other work. */
  rowsPerCpuSecond: number;
  p50: number;
  p99: number;
  closeMs: number;
  fileMiB: number;
}

async function run(mode: 'full' | 'normal'): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'currents-bench-'));
  const path = join(dir, 'bench.db');
  try {
    const store = await openSqliteStore({ path, synchronous: mode });
    const latencies: number[] = [];
    let next = 0;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const sender = async (): Promise<void> => {
      while (next < EVENTS) {
        const from = next;
        next += BATCH;
        const evs = makeEvents(from, Math.min(BATCH, EVENTS - from));
        const t0 = performance.now();
        const result = await store.append(evs);
        latencies.push(performance.now() - t0);
        if (result.stored !== evs.length) throw new Error(`expected ${evs.length} stored, got ${result.stored}`);
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, sender));
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const closing = performance.now();
    await store.close();
    const closeMs = performance.now() - closing;
    const fileMiB = (await stat(path)).size / 2 ** 20;
    latencies.sort((a, b) => a - b);
    return {
      rowsPerSecond: EVENTS / (elapsed / 1000),
      rowsPerCpuSecond: EVENTS / ((used.user + used.system) / 1e6),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      closeMs,
      fileMiB,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `store-append: ${EVENTS} events of ~${Math.round(
    makeEvents(0, 1000).reduce((n, e) => n + Buffer.byteLength(e.payload), 0) / 1000,
  )} B, ${BATCH} per call, ${INFLIGHT} in flight, ` + `${RUNS} runs, temp folder ${tmpdir()}`,
);
for (const mode of MODES) {
  const results: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) {
    const result = await run(mode);
    results.push(result);
    console.log(
      `  synchronous=${mode} run ${r + 1}: ${Math.round(result.rowsPerSecond).toLocaleString('en')} rows/s ` +
        `(${Math.round(result.rowsPerCpuSecond).toLocaleString('en')} per CPU second), ` +
        `append p50 ${result.p50.toFixed(1)} ms p99 ${result.p99.toFixed(1)} ms, close ${Math.round(result.closeMs)} ms, ` +
        `file ${result.fileMiB.toFixed(0)} MiB`,
    );
  }
  console.log(
    `synchronous=${mode}: median ${Math.round(median(results.map((x) => x.rowsPerSecond))).toLocaleString('en')} rows/s ` +
      `(${Math.round(median(results.map((x) => x.rowsPerCpuSecond))).toLocaleString('en')} per CPU second), ` +
      `append p50 ${median(results.map((x) => x.p50)).toFixed(1)} ms, p99 ${median(results.map((x) => x.p99)).toFixed(1)} ms`,
  );
}
