import mParticle from 'mparticle';
import { flatten } from '../src/ingest/normalize.js';
import { mapEvent } from '../src/mparticle/map.js';
import type { CurrentsEvent } from '../src/types.js';
import { arg } from './lib.js';
import { makeEvent, setUsers } from './traffic.js';

/**
 * mParticle's official Node SDK forwarding the benchmark's traffic, as a team without this service would: each event
 * mapped (the service's own pure mapping, so both send the same data), built as the SDK's objects and uploaded as one
 * batch per event on `/v2/events`, `--concurrency` uploads in flight. Run by bench/compare.js as its own process:
 *
 *   node dist/bench/sdk-forward.js --url SANDBOX_URL --events 200000 [--concurrency 16] [--users 50000]
 *
 * The events are made before the clock starts. Prints one JSON line: events, seconds, events/s, and the process's
 * CPU time (process.cpuUsage) and RSS over the forwarding.
 */

async function main(): Promise<void> {
  const url = process.argv[process.argv.indexOf('--url') + 1]!;
  const total = arg('events', 200_000);
  const concurrency = arg('concurrency', 16);
  setUsers(arg('users', 50_000));
  const now = Date.now();
  const events = Array.from({ length: total }, () => flatten(makeEvent(now)) as CurrentsEvent);

  const api = new mParticle.EventsApi(new mParticle.Configuration('bench-key', 'bench-secret'));
  api.apiClient.basePath = `${url}/v2`;
  const settings = { environment: 'development' as const, identity: 'customer_id' as const, eventNames: {} };

  const upload = (event: CurrentsEvent): Promise<void> => {
    const mapped = mapEvent(event, settings);
    if (mapped.kind !== 'event') throw new Error(`the benchmark's event was not mapped: ${mapped.kind}`);
    const batch = new mParticle.Batch(mapped.envelope.environment);
    batch.user_identities = Object.assign(new mParticle.UserIdentities(), mapped.envelope.user_identities);
    if (mapped.envelope.user_attributes) batch.user_attributes = mapped.envelope.user_attributes;
    if (mapped.envelope.device_info)
      batch.device_info = Object.assign(new mParticle.DeviceInformation(), mapped.envelope.device_info);
    const data = mapped.event.data as unknown as Record<string, unknown>;
    const sdkEvent = new mParticle.AppEvent('other', String(data.event_name ?? event.event_type));
    sdkEvent.timestamp_unixtime_ms = data.timestamp_unixtime_ms;
    if (data.source_message_id !== undefined) sdkEvent.source_message_id = data.source_message_id;
    sdkEvent.custom_attributes = data.custom_attributes;
    batch.addEvent(sdkEvent);
    return new Promise((resolve, reject) =>
      api.uploadEvents(batch, (error) => (error ? reject(new Error(`upload failed: ${String(error)}`)) : resolve())),
    );
  };

  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  let peakRss = process.memoryUsage.rss();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const event = events[next]!;
        next += 1;
        await upload(event);
        if (next % 1000 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      events: total,
      seconds,
      rate: total / seconds,
      cpuUsPerEvent: (cpu.user + cpu.system) / total,
      peakRss,
    }),
  );
}

await main();
