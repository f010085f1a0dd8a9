import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliveredIds,
  event,
  feedKeys,
  startSandbox,
  startService,
  waitFor,
  type Sandbox,
  type Service,
} from './harness.js';

/**
 * SIGKILL of the service while it delivers a backlog: after a restart on the same data folder every event arrives,
 * and what was sent twice is only what mParticle's dedup on source_request_id recognises (the sandbox keeps each
 * batch once), because an interrupted read is read and packed again exactly.
 */

let sandbox: Sandbox;
let service: Service | null = null;

beforeAll(async () => {
  sandbox = await startSandbox(['--latency-ms', '25']);
});

afterAll(async () => {
  await service?.stop();
  service?.cleanup();
  await sandbox?.stop();
});

describe('a crash mid-delivery', () => {
  it('delivers every event after a restart, duplicates only where source_request_id covers them', async () => {
    service = await startService({ env: { CURRENTS_READ_CHUNK: '300' } });
    const keys = feedKeys('crash', ['unbound']);
    await sandbox.addFeed(keys.unbound!.key, keys.unbound!.secret);
    const created = await service.api<{ id: string }>('POST', '/v1/exports', {
      name: 'crash',
      contact_email: 'ops@example.com',
      destination: { base_url: sandbox.url },
      feeds: keys,
      events: ['users.messages.email.Send', 'users.messages.email.Open'],
    });
    expect(created.status).toBe(201);
    const events = Array.from({ length: 4000 }, (_, i) =>
      event(i % 2 ? 'users.messages.email.Send' : 'users.messages.email.Open', `crash-user-${i % 700}`),
    );
    for (let i = 0; i < events.length; i += 100)
      expect((await service.push(events.slice(i, i + 100))).status).toBe(200);

    const key = keys.unbound!.key;
    await waitFor(async () => (await deliveredIds(sandbox, [key])).size > 400, 'delivery to be under way');
    expect(await service.stop('SIGKILL')).toBeNull();
    const partial = (await deliveredIds(sandbox, [key])).size;
    expect(partial).toBeLessThan(events.length);

    service = await startService({ dataDir: service.dataDir, env: { CURRENTS_READ_CHUNK: '300' } });
    const ids = await waitFor(
      async () => {
        const got = await deliveredIds(sandbox, [key]);
        return got.size === events.length ? got : undefined;
      },
      'every event after the restart',
      60_000,
    );
    expect([...ids.values()].filter((n) => n > 1)).toEqual([]);
    // Counters are kept with the cursor: the events of requests that were in flight at the kill count once.
    const delivered = await waitFor(async () => {
      const st = await service!.api<{ totals: { delivered: number } }>('GET', `/v1/exports/${created.body.id}/status`);
      return st.body.totals.delivered >= events.length ? st.body.totals.delivered : undefined;
    }, 'the counters to catch up');
    expect(delivered).toBe(events.length);
  });
});
