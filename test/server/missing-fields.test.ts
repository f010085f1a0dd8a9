import { afterEach, describe, expect, it } from 'vitest';
import { allRows, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

/**
 * Braze's own events, as its Custom HTTP connector sends them, through a listening server over a real SQLite file:
 * a field Braze's Avro schemas call non-nullable may be left out (the event is stored and the gap counted), while a
 * field given with the wrong type, or an event without its id or time, is still quarantined with the reason.
 */

const ABORT = 'users.messages.inappmessage.Abort';
const MISSING = 'currents_events_missing_fields_total';

let current: TestApp | null = null;
let base = '';
afterEach(async () => {
  await current?.close();
  current = null;
});

async function start(): Promise<TestApp> {
  current = await startTestApp();
  base = await current.app.listen({ host: '127.0.0.1', port: 0 });
  return current;
}

/** An in-app message Abort in Braze's Custom HTTP form, shaped like Braze's published sample: it has no `version`. */
function abortEvent(id: string, properties: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_type: ABORT,
    id,
    time: 1_764_300_000,
    user: {
      user_id: '0123456789abcdef01234567',
      external_user_id: 'user-1042',
      device_id: 'fedcba87-6543-410f-8dcb-a9876543210f',
      timezone: 'America/Chicago',
    },
    properties: {
      app_id: '01234567-89ab-cdef-0123-456789abcdef',
      campaign_id: '11234567-89ab-cdef-0123-456789abcdef',
      campaign_name: 'Test Campaign',
      message_variation_id: 'c1234567-89ab-cdef-0123-456789abcdef',
      platform: 'android',
      os_version: 'Android (N)',
      device_model: 'Nexus 5X',
      abort_type: 'liquid_abort_message',
      abort_log: 'no coupon for this user',
      ...properties,
    },
  };
}

interface PushAnswer {
  stored: number;
  duplicates: number[];
  quarantined: { index: number; reason: string }[];
}

async function push(events: unknown[]): Promise<PushAnswer> {
  const res = await fetch(`${base}/v1/currents`, {
    method: 'POST',
    headers: pushHeaders(),
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as PushAnswer;
}

async function missingCount(labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return sampleValue(parsePrometheus(text), MISSING, labels);
}

describe('POST /v1/currents: fields Braze leaves out', () => {
  it('stores an in-app message Abort without `version` and counts the missing field once per stored event', async () => {
    const t = await start();
    const answer = await push([abortEvent('abort-1'), abortEvent('abort-2')]);
    expect(answer).toMatchObject({ stored: 2, duplicates: [], quarantined: [] });
    expect(await t.store.countQuarantine()).toBe(0);

    const rows = await allRows(t.store);
    expect(rows.map((r) => [r.eventId, r.type, r.externalUserId])).toEqual([
      ['abort-1', ABORT, 'user-1042'],
      ['abort-2', ABORT, 'user-1042'],
    ]);
    const stored = JSON.parse(rows[0]!.payload) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('version');
    expect(stored).toMatchObject({ abort_type: 'liquid_abort_message', user_id: '0123456789abcdef01234567' });

    expect(await missingCount({ type: ABORT, field: 'version' })).toBe(2);
    // user_id was sent: no series for it.
    expect(await missingCount({ type: ABORT, field: 'user_id' })).toBeUndefined();

    // Braze resends at least once: a duplicate is dropped and not counted again.
    expect(await push([abortEvent('abort-1')])).toMatchObject({ stored: 0, duplicates: [0] });
    expect(await missingCount({ type: ABORT, field: 'version' })).toBe(2);
  });

  it('still quarantines a field present with the wrong type, with the reason, and counts nothing missing', async () => {
    const t = await start();
    const wrong = abortEvent('abort-wrong', { version: 2 });
    const answer = await push([wrong, abortEvent('abort-ok', { version: 'triggered' })]);
    expect(answer.stored).toBe(1);
    expect(answer.quarantined).toEqual([
      { index: 0, reason: `${ABORT}: field "version" must be a string (got number)` },
    ]);
    const [record] = await t.store.listQuarantine({ limit: 10 });
    expect(record).toMatchObject({ reason: answer.quarantined[0]!.reason, eventType: ABORT });
    expect(JSON.parse(record!.raw)).toEqual(wrong);
    expect((await allRows(t.store)).map((r) => r.eventId)).toEqual(['abort-ok']);
    expect(await missingCount({ type: ABORT, field: 'version' })).toBeUndefined();
  });

  it('refuses an event without its id or time, saying what to add', async () => {
    const t = await start();
    const { id: _id, ...noId } = abortEvent('unused');
    const { time: _time, ...noTime } = abortEvent('abort-no-time');
    const answer = await push([noId, noTime]);
    expect(answer.stored).toBe(0);
    expect(answer.quarantined).toEqual([
      {
        index: 0,
        reason:
          `${ABORT}: field "id" is missing: add the event’s Currents id beside "event_type" ` +
          '(a non-empty string, unique per event: the dedup key)',
      },
      {
        index: 1,
        reason:
          `${ABORT}: field "time" is missing: add when the event happened beside "event_type", ` +
          'as UNIX seconds (an integer)',
      },
    ]);
    expect(await t.store.countQuarantine()).toBe(2);
    expect(await allRows(t.store)).toEqual([]);
  });
});
