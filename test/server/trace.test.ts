import { afterEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { adminHeaders, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * GET /v1/events/:id for the states a live delivery passes through too quickly to catch: the feed's cursor is set
 * in the real SQLite store as a sender would leave it (the delivery engine is not running here).
 */

const SEND = 'users.messages.email.Send';
const HOUR = 3_600_000;

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

interface Trace {
  log: { seq: number; partition: number; received_at: string };
  exports: {
    fate: string;
    message: string;
    feed: string | null;
    cursor: number | null;
    drop_deadline: string | null;
  }[];
}

async function push(app: TestApp, event: Record<string, unknown>): Promise<void> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v1/currents',
    headers: pushHeaders(),
    payload: { events: [event] },
  });
  expect(res.statusCode).toBe(200);
}

async function traceOf(app: TestApp, id: string): Promise<Trace> {
  const res = await app.app.inject({ url: `/v1/events/${id}`, headers: adminHeaders });
  expect(res.statusCode).toBe(200);
  return res.json<Trace>();
}

async function setup(): Promise<{ app: TestApp; exportId: string; eventId: string; trace: () => Promise<Trace> }> {
  const app = await startTestApp();
  t = app;
  // No sender runs: the test moves the cursor itself.
  await app.engine.stop();
  const created = await app.app.inject({
    method: 'POST',
    url: '/v1/exports',
    headers: adminHeaders,
    payload: {
      name: 'Trace states',
      contact_email: 'data@example.com',
      destination: { base_url: 'http://127.0.0.1:9' },
      feeds: { unbound: { key: 'k', secret: 's' } },
      events: [SEND],
      hold_window_hours: 2,
    },
  });
  expect(created.statusCode).toBe(201);
  await push(app, sampleEvent(SEND, { id: 'trace-state-1', externalUserId: 'user-1' }));
  const trace = (): Promise<Trace> => traceOf(app, 'trace-state-1');
  return { app, exportId: created.json<{ id: string }>().id, eventId: 'trace-state-1', trace };
}

describe('GET /v1/events/:id, state by state', () => {
  it('follows the feed: waiting, in flight, held with its drop deadline, dead-lettered, delivered', async () => {
    const { app, exportId, eventId, trace } = await setup();
    const first = await trace();
    const { seq, partition } = first.log;
    expect(first.exports).toHaveLength(1);
    expect(first.exports[0]).toMatchObject({ fate: 'waiting', feed: 'unbound', drop_deadline: null });
    expect(first.exports[0]!.cursor).toBeLessThan(seq);

    const cursor = { exportId, feed: 'unbound', partition, generation: 0, seq: seq - 1, passed: [] };
    const chunk = { to: seq, at: Date.now(), plan: null, done: [], unsure: null, legacyDone: 0 };
    await app.store.putCursors([{ ...cursor, inflight: chunk }]);
    expect((await trace()).exports[0]).toMatchObject({ fate: 'in_flight', cursor: seq - 1 });
    // Its batch delivered while the rest of the chunk is still being sent: it has its fate.
    await app.store.putCursors([{ ...cursor, inflight: { ...chunk, done: [seq] } }]);
    expect((await trace()).exports[0]).toMatchObject({ fate: 'delivered', cursor: seq - 1 });
    await app.store.putCursors([{ ...cursor, inflight: chunk }]);

    // Held: the deadline is the hold window after the later of its receipt and the start of the hold.
    const heldSince = Date.parse(first.log.received_at) + 60_000;
    await app.store.putFeedState(exportId, 'unbound', {
      phase: 'credentials_rejected',
      heldSince,
      lastError: '403',
      lastDeliveryAt: null,
      lastProbeAt: null,
      notifiedAt: null,
      rateLimitPercentUsed: null,
    });
    const held = (await trace()).exports[0]!;
    expect(held).toMatchObject({ fate: 'waiting', drop_deadline: new Date(heldSince + 2 * HOUR).toISOString() });
    expect(held.message).toContain("refuses the unbound feed's credentials");

    // Past the cursor with a dead letter that holds it.
    await app.store.commitProgress({
      exportId,
      feed: 'unbound',
      partition,
      generation: 0,
      seq,
      inflight: null,
      passed: [],
      counters: [{ feed: 'unbound', type: SEND, outcome: 'dead_lettered', count: 1 }],
      deadLetters: [
        {
          exportId,
          feed: 'unbound',
          batch: '{}',
          eventIds: [eventId],
          types: [SEND],
          status: 400,
          error: 'data.event_name is required',
          createdAt: Date.now(),
          attempts: 1,
        },
      ],
      drops: [],
      delivered: null,
    });
    const dead = (await trace()).exports[0]!;
    expect(dead.fate).toBe('dead_lettered');
    expect(dead.message).toContain('data.event_name is required');

    const [letter] = await app.store.listDeadLetters(exportId, { limit: 1 });
    await app.store.resolveDeadLetter(letter!.id, [], Date.now());
    expect((await trace()).exports[0]).toMatchObject({ fate: 'delivered', cursor: seq });
  });

  it('says when a delivered event went to the historical endpoint', async () => {
    const { app, exportId } = await setup();
    const time = Math.floor(Date.now() / 1000) - 40 * 86_400;
    await push(app, sampleEvent(SEND, { id: 'trace-old-1', externalUserId: 'user-2', time }));
    const { seq, partition } = (await traceOf(app, 'trace-old-1')).log;
    await app.store.putCursors([
      { exportId, feed: 'unbound', partition, generation: 0, seq, inflight: null, passed: [] },
    ]);
    const delivered = (await traceOf(app, 'trace-old-1')).exports[0]!;
    expect(delivered.fate).toBe('delivered');
    expect(delivered.message).toContain('/v2/bulkevents/historical');
    // A recent one says nothing of it.
    const recent = (await traceOf(app, 'trace-state-1')).log;
    await app.store.putCursors([
      {
        exportId,
        feed: 'unbound',
        partition: recent.partition,
        generation: 0,
        seq: recent.seq,
        inflight: null,
        passed: [],
      },
    ]);
    expect((await traceOf(app, 'trace-state-1')).exports[0]!.message).not.toContain('historical');
  });

  it('says a paused export holds the event', async () => {
    const { app, exportId, trace } = await setup();
    const paused = await app.app.inject({
      method: 'POST',
      url: `/v1/exports/${exportId}/pause`,
      headers: adminHeaders,
    });
    expect(paused.statusCode).toBe(200);
    const inExport = (await trace()).exports[0]!;
    expect(inExport.fate).toBe('waiting');
    expect(inExport.message).toContain('paused');
  });
});
