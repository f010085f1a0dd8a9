import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { event, startService, type Service } from './harness.js';

/**
 * Memory given back once the service is quiet (CURRENTS_IDLE_RELEASE_MS): after a burst of pushes the heap's young
 * generation stays at its grown size while nothing runs, unless the service releases it. Read from the service's own
 * /metrics (prom-client's heap figures), as an operator watching it would.
 */

const MiB = 2 ** 20;

async function youngGeneration(service: Service): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const m = /^currents_process_nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text);
  if (m === null) throw new Error('the service reports no new-space size on /metrics');
  return Number(m[1]);
}

/** Pushes enough ~1 KB events to fill the young generation many times over; returns the first one's id. */
async function burst(service: Service): Promise<string> {
  let first = '';
  for (let r = 0; r < 40; r++) {
    const events = Array.from({ length: 100 }, (_, i) => event('users.messages.email.Send', `user-${r}-${i}`));
    first ||= String(events[0]!.id);
    const res = await service.push(events);
    expect(res.status).toBe(200);
  }
  return first;
}

describe('memory after a burst', () => {
  it('is given back once the service has been quiet for CURRENTS_IDLE_RELEASE_MS, and the service goes on', async () => {
    const service = await startService({ env: { CURRENTS_IDLE_RELEASE_MS: '1000' } });
    try {
      const first = await burst(service);
      // Measured at once: the release needs a second of quiet.
      expect(await youngGeneration(service)).toBeGreaterThan(4 * MiB);
      // Looked at every 2 s: a scrape is work too, so polling fast would keep the service from ever being quiet.
      let released = Infinity;
      for (let tries = 0; tries < 8 && released > 2 * MiB; tries++) {
        await sleep(2_000);
        released = await youngGeneration(service);
      }
      expect(released).toBeLessThanOrEqual(2 * MiB);
      // The store let its cache go, not its data: the burst's events are there and the service still takes more.
      expect((await service.api('GET', `/v1/events/${first}`)).status).toBe(200);
      const after = event('users.messages.email.Open', 'after');
      expect((await service.push([after])).status).toBe(200);
      expect((await service.api('GET', `/v1/events/${String(after.id)}`)).status).toBe(200);
    } finally {
      await service.stop();
      service.cleanup();
    }
  }, 60_000);

  it('is kept when CURRENTS_IDLE_RELEASE_MS is 0', async () => {
    const service = await startService({ env: { CURRENTS_IDLE_RELEASE_MS: '0' } });
    try {
      await burst(service);
      await sleep(4_000);
      expect(await youngGeneration(service)).toBeGreaterThan(4 * MiB);
    } finally {
      await service.stop();
      service.cleanup();
    }
  }, 60_000);
});
