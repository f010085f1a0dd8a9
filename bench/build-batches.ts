import { flatten } from '../src/ingest/normalize.js';
import { buildBatches, packRequests } from '../src/mparticle/index.js';
import type { CurrentsEvent } from '../src/types.js';
import { arg, machine, median } from './lib.js';
import { makeEvent, setUsers } from './traffic.js';

/**
 * Delivery's work on one chunk in isolation (no store, no network): the stored rows of a read parsed, mapped, built
 * into batches and packed into request bodies, encoded as undici encodes them, as a lane does. CPU per event from process.cpuUsage() of this process,
 * garbage collection included; median of rounds.
 *
 *   node --max-semi-space-size=64 dist/bench/build-batches.js [--chunk 500] [--chunks 400] [--rounds 7] [--users 50000]
 */
function main(): void {
  const chunk = arg('chunk', 500);
  const chunks = arg('chunks', 400);
  const rounds = arg('rounds', 7);
  setUsers(arg('users', 50_000));
  const now = Date.now();
  const reads = Array.from({ length: chunks }, (_, c) =>
    Array.from({ length: chunk }, (_, i) => ({
      seq: c * chunk + i + 1,
      payload: JSON.stringify(flatten(makeEvent(now))),
    })),
  );
  const settings = { environment: 'development' as const, identity: 'customer_id' as const, eventNames: {} };
  const perEvent: number[] = [];
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const cpu0 = process.cpuUsage();
    for (const rows of reads) {
      const events = rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.payload) as CurrentsEvent }));
      const built = buildBatches(events, { settings, merge: true, feedId: 'bench', generation: 0, now });
      // Each body as undici sends a string: Buffer.from, which flattens it first when it is a rope.
      for (const request of packRequests(built.batches)) bytes += Buffer.from(request.body).length;
    }
    const cpu = process.cpuUsage(cpu0);
    perEvent.push((cpu.user + cpu.system) / (chunk * chunks));
  }
  console.log(`machine: ${machine()}`);
  console.log(
    `parse + build + pack: ${median(perEvent).toFixed(2)} µs CPU an event (median of ${rounds}: ` +
      `${perEvent.map((v) => v.toFixed(2)).join(' · ')}), ${(bytes / rounds / (chunk * chunks)).toFixed(0)} bytes sent an event`,
  );
}

main();
