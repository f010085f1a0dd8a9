/**
 * How fast the PostgreSQL store appends, the way ingest uses it (many 100-event calls, up to 32 in flight, coalesced
 * by group commit), next to PostgreSQL's own bulk-load rate on the same machine: COPY ... FROM STDIN of the same
 * kind of rows into the same table, through psql as a child process. Not a test: run it after `npm run build`:
 *
 *   node dist/bench/pg-append.js [--url postgres://postgres@127.0.0.1:5432/test] [--events 500000] [--batch 100]
 *     [--inflight 32] [--size 1024] [--runs 3] [--index hash,btree] [--copy true]
 *
 * Each run uses a fresh schema, dropped afterwards. `--index` runs the store with a hash and/or a B-tree index on
 * event_id (the dedup lookup), to compare them. Prints rows/s (median of the runs) and the latency of an append
 * call from the call to its commit (p50, p99).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { driveAppends, eventMaker, meanPayloadBytes } from './append-load.js';
import { median, percentile } from './lib.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    events: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '100' },
    inflight: { type: 'string', default: '32' },
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    index: { type: 'string', default: 'hash' },
    copy: { type: 'string', default: 'true' },
  },
});
const URL_ = values.url;
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const INFLIGHT = Number(values.inflight);
const SIZE = Number(values.size);
const RUNS = Number(values.runs);
const INDEXES = values.index.split(',') as ('hash' | 'btree')[];
const makeEvents = eventMaker(SIZE, 16);
const logger = pino({ level: 'warn' });

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

interface Result {
  rowsPerSecond: number;
  p50: number;
  p99: number;
}

async function storeRun(index: 'hash' | 'btree'): Promise<Result> {
  const schema = `currents_bench_${randomBytes(4).toString('hex')}`;
  const store = await openPostgresStore({ connectionString: URL_, schema, logger, partitionSize: 1_000_000 });
  try {
    if (index === 'btree') {
      await sql(
        `DROP INDEX ${schema}.event_log_event_id; CREATE INDEX event_log_event_id ON ${schema}.event_log (event_id)`,
      );
    }
    const { elapsedMs, latencies } = await driveAppends(store, makeEvents, {
      events: EVENTS,
      batch: BATCH,
      inflight: INFLIGHT,
    });
    return {
      rowsPerSecond: EVENTS / (elapsedMs / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    await store.close();
    await sql(`DROP SCHEMA ${schema} CASCADE`);
  }
}

/** COPY's text format: backslash, tab and newline escaped; \N is null. */
const copyField = (v: string | number | null): string =>
  v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

/** The same rows, made before the clock starts, loaded by psql into a fresh store's event_log (same indexes). */
async function copyRun(): Promise<number> {
  const schema = `currents_bench_${randomBytes(4).toString('hex')}`;
  await (await openPostgresStore({ connectionString: URL_, schema, logger, partitionSize: 1_000_000 })).close();
  try {
    const lines: Buffer[] = [];
    for (let from = 0; from < EVENTS; from += 10_000) {
      const text = makeEvents(from, Math.min(10_000, EVENTS - from))
        .map((e, k) =>
          [from + k + 1, e.eventId, e.type, e.partition, e.externalUserId, e.platform, e.appId, e.time, e.receivedAt]
            .concat(e.payload)
            .map(copyField)
            .join('\t'),
        )
        .join('\n');
      lines.push(Buffer.from(`${text}\n`));
    }
    const columns = 'seq, event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload';
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const psql = spawn(
        'psql',
        [URL_, '-v', 'ON_ERROR_STOP=1', '-qc', `COPY ${schema}.event_log (${columns}) FROM STDIN`],
        {
          stdio: ['pipe', 'ignore', 'inherit'],
        },
      );
      psql.once('error', (e) => reject(new Error(`could not run psql (is it installed and on PATH?): ${e.message}`)));
      psql.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}`))));
      psql.stdin.on('error', reject);
      void (async () => {
        for (const chunk of lines) {
          if (!psql.stdin.write(chunk)) await new Promise((r) => psql.stdin.once('drain', r));
        }
        psql.stdin.end();
      })();
    });
    return EVENTS / ((performance.now() - started) / 1000);
  } finally {
    await sql(`DROP SCHEMA ${schema} CASCADE`);
  }
}

const bytes = meanPayloadBytes(makeEvents);
console.log(
  `pg-append: ${EVENTS} events of ~${Math.round(bytes)} B, ${BATCH} per call, ${INFLIGHT} in flight, ${RUNS} runs, ` +
    `${new URL(URL_).host}`,
);
const rate = (n: number): string => `${Math.round(n).toLocaleString('en')} rows/s`;
for (const index of INDEXES) {
  const results: Result[] = [];
  for (let r = 0; r < RUNS; r++) {
    const result = await storeRun(index);
    results.push(result);
    console.log(
      `  store.append, ${index} index on event_id, run ${r + 1}: ${rate(result.rowsPerSecond)}, ` +
        `commit p50 ${result.p50.toFixed(1)} ms p99 ${result.p99.toFixed(1)} ms`,
    );
  }
  console.log(
    `store.append (${index} index on event_id): median ${rate(median(results.map((x) => x.rowsPerSecond)))}, ` +
      `commit p50 ${median(results.map((x) => x.p50)).toFixed(1)} ms, p99 ${median(results.map((x) => x.p99)).toFixed(1)} ms`,
  );
}
if (values.copy === 'true') {
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    rates.push(await copyRun());
    console.log(`  COPY FROM STDIN through psql, run ${r + 1}: ${rate(rates[r]!)}`);
  }
  console.log(`COPY FROM STDIN through psql (same table and indexes): median ${rate(median(rates))}`);
}
