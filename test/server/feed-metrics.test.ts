import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { newPlace, removePlace, startTestService, type Place, type TestService } from '../helpers/service.js';

/** The feed-state metric shows every state of every feed of every export, whichever process changed it. */
describe('currents_feed_state', () => {
  let place: Place;
  let t: TestService | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    await removePlace(place);
  });

  it('is 1 for the state each feed is in and 0 for the others, paused included', async () => {
    place = await newPlace('sqlite');
    t = await startTestService(place);
    const created = await t.api<{ id: string }>('POST', '/v1/exports', {
      name: 'Metrics',
      contact_email: 'ops@example.com',
      destination: { base_url: 'http://127.0.0.1:9' },
      environment: 'development',
      feeds: { ios: { key: 'k-ios', secret: 's-ios' }, unbound: { key: 'k-u', secret: 's-u' } },
      events: ['users.messages.email.Send'],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Another process decided the ios feed is held (the store is where feed states live).
    await t.service.store.putFeedState(id, 'ios', {
      phase: 'credentials_rejected',
      heldSince: Date.now(),
      lastError: '403',
      lastDeliveryAt: null,
      lastProbeAt: null,
      notifiedAt: null,
      rateLimitPercentUsed: null,
    });
    const state = async (feed: string) => {
      const text = await (await fetch(`${t!.url}/metrics`)).text();
      const samples = parsePrometheus(text);
      return Object.fromEntries(
        ['flowing', 'retrying', 'credentials_rejected', 'paused'].map((s) => [
          s,
          sampleValue(samples, 'currents_feed_state', { export: id, feed, state: s }),
        ]),
      );
    };
    expect(await state('ios')).toEqual({ flowing: 0, retrying: 0, credentials_rejected: 1, paused: 0 });
    expect(await state('unbound')).toEqual({ flowing: 1, retrying: 0, credentials_rejected: 0, paused: 0 });
    expect((await t.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
    expect(await state('ios')).toEqual({ flowing: 0, retrying: 0, credentials_rejected: 0, paused: 1 });
    expect(await state('unbound')).toEqual({ flowing: 0, retrying: 0, credentials_rejected: 0, paused: 1 });
  });
});
