import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedState } from '../../src/types.js';
import { nestedEvent } from '../helpers/events.js';
import { newPlace, removePlace, startTestService, type Place, type TestService } from '../helpers/service.js';
import { pgUnavailable } from '../store/postgres-helper.js';

/**
 * `--role ingest` takes events in and answers the API, and leaves delivery to the processes that deliver: it writes
 * no cursor, lease or feed state, probes nothing and sends nothing, whatever the API is asked. A process that
 * delivers, started afterwards on the same store, then sends everything that was taken in.
 */

/** A stand-in for mParticle's Events API: answers 202 to everything and keeps what it was sent. */
interface FakeMparticle {
  url: string;
  requests: { path: string; body: string }[];
  close(): Promise<void>;
}

async function fakeMparticle(): Promise<FakeMparticle> {
  const requests: FakeMparticle['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FAST = { CURRENTS_PROBE_INTERVAL_MS: '100', CURRENTS_IDLE_POLL_MS: '50', CURRENTS_LOG_LEVEL: 'warn' };

async function start(place: Place, role: 'ingest' | 'deliver' | 'all'): Promise<TestService> {
  const s = await startTestService(place, { ...FAST, CURRENTS_ROLE: role });
  cleanups.push(() => s.close('keep'));
  return s;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The feed refused its credentials a while ago: a delivering process would probe it and, on a 2xx, resume it. */
const held = (now: number): FeedState => ({
  phase: 'credentials_rejected',
  heldSince: now - 60_000,
  lastError: 'mParticle refused the key (401)',
  lastDeliveryAt: null,
  lastProbeAt: now - 60_000,
  notifiedAt: now - 60_000,
  rateLimitPercentUsed: null,
});

describe.each([
  ['sqlite', null, 'all'],
  ['postgres', pgUnavailable, 'deliver'],
] as const)('a process of role ingest on %s', (kind, unavailable, deliverer) => {
  it.skipIf(unavailable !== null)(
    'takes events and answers the API, yet sends nothing and writes no delivery state',
    { timeout: 60_000 },
    async () => {
      const mp = await fakeMparticle();
      cleanups.push(mp.close);
      const place = await newPlace(kind);
      cleanups.push(() => removePlace(place));
      const ingest = await start(place, 'ingest');
      const { store } = ingest.service;

      const created = await ingest.api<{ id: string }>('POST', '/v1/exports', {
        name: 'roles',
        contact_email: 'ops@example.com',
        destination: { base_url: mp.url },
        feeds: { unbound: { key: 'roles-key', secret: 'roles-secret' } },
        events: ['users.messages.email.Send'],
        rate_limit: 0,
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      // A feed held on refused credentials, as a delivery process left it.
      expect((await ingest.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
      const state = held(Date.now());
      await store.putFeedState(id, 'unbound', state);
      expect((await ingest.api('POST', `/v1/exports/${id}/resume`)).status).toBe(200);

      const events = Array.from({ length: 5 }, () => nestedEvent());
      expect(await ingest.push(events)).toMatchObject({ status: 200, body: { stored: 5 } });
      const tests = await ingest.api<{ sent: { id: string }[] }>('POST', `/v1/exports/${id}/test-events`, {});
      expect(tests.status).toBe(202);
      const replay = await ingest.api('POST', `/v1/exports/${id}/replay`, { from: '2024-01-01T00:00:00Z' });
      expect(replay.status).toBe(202);
      // New credentials: a delivering process would probe the held feed at once.
      const patched = await ingest.api('PATCH', `/v1/exports/${id}`, { feeds: { unbound: { secret: 'new-secret' } } });
      expect(patched.status).toBe(200);

      // Long enough for many idle polls and probe intervals of a process that delivers.
      await sleep(1_500);
      expect(mp.requests).toEqual([]);
      expect(await store.getCursors(id)).toEqual([]);
      expect(await store.getFeedStates(id)).toEqual({ unbound: state });
      expect(await store.listLeases(id)).toEqual([]);
      const status = await ingest.api<{ totals: { delivered: number } }>('GET', `/v1/exports/${id}/status`);
      expect(status.body.totals.delivered).toBe(0);
      await ingest.close('keep');

      // What it took in is all there for a process that delivers.
      const delivery = await start(place, deliverer);
      const ids = [...events.map((e) => e.id as string), ...tests.body.sent.map((e) => e.id)];
      const deadline = Date.now() + 30_000;
      const missing = () => ids.filter((eventId) => !mp.requests.some((r) => r.body.includes(eventId)));
      while (missing().length > 0 && Date.now() < deadline) await sleep(100);
      expect(missing()).toEqual([]);
      expect((await delivery.service.store.getFeedStates(id)).unbound?.phase).toBe('flowing');
    },
  );

  it.skipIf(unavailable !== null)(
    "answers the operator's own requests to mParticle (test credentials, dead-letter retry) by itself",
    { timeout: 30_000 },
    async () => {
      const mp = await fakeMparticle();
      cleanups.push(mp.close);
      const place = await newPlace(kind);
      cleanups.push(() => removePlace(place));
      const ingest = await start(place, 'ingest');
      const { store } = ingest.service;
      const created = await ingest.api<{ id: string }>('POST', '/v1/exports', {
        name: 'roles',
        contact_email: 'ops@example.com',
        destination: { base_url: mp.url },
        feeds: { unbound: { key: 'roles-key', secret: 'roles-secret' } },
        events: ['users.messages.email.Send'],
      });
      const id = created.body.id;
      // A batch mParticle refused earlier, recorded as a delivery process records it.
      const batch = {
        environment: 'production',
        user_identities: { customer_id: 'cust-1' },
        events: [
          { event_type: 'custom_event', data: { event_name: 'Email Sends', timestamp_unixtime_ms: Date.now() } },
        ],
      };
      await store.commitProgress({
        exportId: id,
        feed: 'unbound',
        partition: 0,
        generation: 0,
        seq: 0,
        inflight: null,
        passed: [],
        counters: [{ feed: 'unbound', type: 'users.messages.email.Send', outcome: 'dead_lettered', count: 1 }],
        deadLetters: [
          {
            exportId: id,
            feed: 'unbound',
            batch: JSON.stringify(batch),
            eventIds: ['e-1'],
            types: ['users.messages.email.Send'],
            status: 400,
            error: 'refused',
            createdAt: Date.now(),
            attempts: 1,
          },
        ],
        drops: [],
        delivered: null,
      });

      const checked = await ingest.api<{ feeds: { accepted: boolean }[] }>(
        'POST',
        `/v1/exports/${id}/test-credentials`,
        {},
      );
      expect(checked.body.feeds).toMatchObject([{ accepted: true }]);
      const retried = await ingest.api('POST', `/v1/exports/${id}/dead-letters/retry`, {});
      expect(retried.body).toEqual({ delivered: 1, failed: [] });
      expect(mp.requests.map((r) => r.path)).toEqual(['/v2/bulkevents', '/v2/bulkevents']);
      expect(JSON.parse(mp.requests[1]!.body)).toEqual([batch]);
      // Neither touched a feed's state.
      expect(await store.getFeedStates(id)).toEqual({});
    },
  );
});
