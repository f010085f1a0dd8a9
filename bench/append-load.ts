import { randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../src/store/port.js';
import type { NewEvent } from '../src/types.js';

/** The load of the store benchmarks (store-append, pg-append): ingest-shaped appends of flat Currents events. */

export type MakeEvents = (from: number, count: number) => NewEvent[];

/**
 * Events of about `size` bytes, numbered from `from`, spread over `partitions`. A pool of 512 payloads is made once;
 * the id and the user vary per event. Ids are random UUIDs, as Currents' are: their order is what makes dedup costly.
 */
export function eventMaker(size: number, partitions: number): MakeEvents {
  const pool = Array.from({ length: 512 }, (_, i) => {
    const base = {
      event_type: 'users.messages.email.Send',
      time: 1_760_000_000 + i,
      campaign_id: randomBytes(12).toString('hex'),
      campaign_name: 'Autumn newsletter',
      message_variation_id: randomBytes(12).toString('hex'),
      email_address: `someone${i}@example.com`,
      app_group_id: randomBytes(12).toString('hex'),
    };
    // The id and user added per event bring it to `size`.
    const filler = Math.max(0, size - JSON.stringify(base).length - 100);
    return JSON.stringify({
      ...base,
      filler: randomBytes(Math.ceil(filler / 2))
        .toString('hex')
        .slice(0, filler),
    });
  });
  return (from, count) => {
    const now = Date.now();
    return Array.from({ length: count }, (_, k) => {
      const i = from + k;
      const eventId = randomUUID();
      const user = `user-${i % 50_000}`;
      return {
        eventId,
        type: 'users.messages.email.Send',
        partition: i % partitions,
        externalUserId: user,
        platform: null,
        appId: null,
        time: 1_760_000_000 + (i % 86_400),
        receivedAt: now,
        payload: pool[i % pool.length]!.replace('"time"', `"id":"${eventId}","external_user_id":"${user}","time"`),
        source: 'default',
      };
    });
  };
}

/** Mean payload size of the first 1,000 events, for the header line. */
export const meanPayloadBytes = (make: MakeEvents): number =>
  make(0, 1000).reduce((n, e) => n + Buffer.byteLength(e.payload), 0) / 1000;

/**
 * Append `events` events in calls of `batch`, `inflight` calls at a time, as concurrent HTTP pushes do. Returns the
 * wall time and each call's latency (call to commit), in ms.
 */
export async function driveAppends(
  store: Store,
  make: MakeEvents,
  opts: { events: number; batch: number; inflight: number },
): Promise<{ elapsedMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const sender = async (): Promise<void> => {
    while (next < opts.events) {
      const from = next;
      next += opts.batch;
      const evs = make(from, Math.min(opts.batch, opts.events - from));
      const t0 = performance.now();
      const result = await store.append(evs);
      latencies.push(performance.now() - t0);
      if (result.stored !== evs.length) throw new Error(`expected ${evs.length} stored, got ${result.stored}`);
    }
  };
  await Promise.all(Array.from({ length: opts.inflight }, sender));
  return { elapsedMs: performance.now() - started, latencies };
}
