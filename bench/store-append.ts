/**
 * How fast the SQLite store appends, the way ingest uses it: many HTTP pushes of 100 events each, up to 32 in flight,
 * coalesced by group commit. Not a test: run it after `npm run build`:
 *
 *   node dist/bench/store-append.js [--events 500000] [--batch 100] [--inflight 32] [--size 1024] [--runs 3]
 *
 * Prints rows/s (median of the runs) and the latency of an append call (from the call to its commit), for
 * synchronous=full and synchronous=normal, each run on a fresh file in a temp folder.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { driveAppends, eventMaker, meanPayloadBytes } from './append-load.js';
import { median, percentile } from './lib.js';

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
const makeEvents = eventMaker(SIZE, 16);

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
    const cpu = process.cpuUsage();
    const { elapsedMs, latencies } = await driveAppends(store, makeEvents, {
      events: EVENTS,
      batch: BATCH,
      inflight: INFLIGHT,
    });
    const used = process.cpuUsage(cpu);
    const closing = performance.now();
    await store.close();
    const closeMs = performance.now() - closing;
    const fileMiB = (await stat(path)).size / 2 ** 20;
    return {
      rowsPerSecond: EVENTS / (elapsedMs / 1000),
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

console.log(
  `store-append: ${EVENTS} events of ~${Math.round(meanPayloadBytes(makeEvents))} B, ${BATCH} per call, ${INFLIGHT} in flight, ` +
    `${RUNS} runs, temp folder ${tmpdir()}`,
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
