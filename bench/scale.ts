import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { arg, machine, median, startChild, type Child } from './lib.js';
import { ADMIN, api, INGEST, pushAll, sandboxStats, TYPES, waitDelivered } from './traffic.js';

/**
 * Scale-out on PostgreSQL: end-to-end throughput with 1, 2 and 3 delivery processes (`--role deliver`) behind one
 * ingest process (`--role ingest`), all on one database, sending to the sandbox (rate limit off).
 *
 *   node dist/bench/scale.js [--url postgres://postgres@127.0.0.1:5432/test] [--events 200000] [--runs 2]
 *
 * Each run: a fresh schema; the export is created paused, N events are pushed (the ingest rate into PostgreSQL
 * through the service is printed), then it is resumed and the time until the sandbox has accepted every event gives
 * the delivery throughput of the N processes together (timed from the first event the sandbox accepts, as the
 * processes notice the resume by polling).
 */

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const URL_ = option('url', 'postgres://postgres@127.0.0.1:5432/test');

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function run(deliverers: number, events: number): Promise<{ ingest: number; delivery: number }> {
  const schema = `currents_bench_${Date.now()}`;
  const env = {
    DATABASE_URL: URL_,
    CURRENTS_DATABASE_SCHEMA: schema,
    CURRENTS_ADMIN_TOKEN: ADMIN,
    CURRENTS_INGEST_TOKEN: INGEST,
    CURRENTS_SECRET_KEY: 'bench-secret-key-0123456789',
    CURRENTS_LEASE_TTL_MS: '5000',
    CURRENTS_IDLE_POLL_MS: '50',
  };
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'currents-bench-scale-'));
    dirs.push(d);
    return d;
  };
  const children: Child[] = [];
  try {
    const sandbox = await startChild(
      ['sandbox', '--port', '0', '--rate-limit', 'off', '--feed', 'bench-key:bench-secret', '--store-limit', '1000'],
      {},
    );
    children.push(sandbox);
    const ingest = await startChild(['serve', '--port', '0', '--data', dir(), '--role', 'ingest'], env);
    children.push(ingest);
    for (let i = 0; i < deliverers; i++) {
      children.push(await startChild(['serve', '--port', '0', '--data', dir(), '--role', 'deliver'], env));
    }
    const created = (await api(ingest, 'POST', '/v1/exports', {
      name: 'bench',
      contact_email: 'bench@example.com',
      destination: { base_url: sandbox.url },
      feeds: { unbound: { key: 'bench-key', secret: 'bench-secret' } },
      events: TYPES,
      rate_limit: 0,
    })) as { id: string };
    await api(ingest, 'POST', `/v1/exports/${created.id}/pause`);
    const pool = new Pool(ingest.url, { connections: 16 });
    const t0 = performance.now();
    await pushAll(pool, events);
    const ingestRate = events / ((performance.now() - t0) / 1000);
    await pool.close();
    // Let every delivery process see the export and take its share of the partitions.
    await new Promise((r) => setTimeout(r, 3000));
    await api(ingest, 'POST', `/v1/exports/${created.id}/resume`);
    // Timed from the first delivery: the processes learn of the resume by polling, then claim their leases.
    let first = 0;
    while ((first = (await sandboxStats(sandbox)).events) === 0) await new Promise((r) => setTimeout(r, 20));
    const t1 = performance.now();
    await waitDelivered(sandbox, events);
    const delivery = (events - first) / ((performance.now() - t1) / 1000);
    if ((await sandboxStats(sandbox)).events !== events) throw new Error('the sandbox accepted more events than sent');
    return { ingest: ingestRate, delivery };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

async function main(): Promise<void> {
  const events = arg('events', 200_000);
  const runs = arg('runs', 2);
  console.log(`machine: ${machine()}; PostgreSQL at ${new URL(URL_).host}`);
  for (const n of [1, 2, 3]) {
    const results = [];
    for (let r = 0; r < runs; r++) {
      const result = await run(n, events);
      results.push(result);
      console.log(
        `  ${n} delivery process(es), run ${r + 1}: delivery ${Math.round(result.delivery)} events/s ` +
          `(ingest ${Math.round(result.ingest)} events/s)`,
      );
    }
    console.log(
      `${n} delivery process(es): median delivery ${Math.round(median(results.map((x) => x.delivery)))} events/s, ` +
        `ingest ${Math.round(median(results.map((x) => x.ingest)))} events/s`,
    );
  }
}

await main();
