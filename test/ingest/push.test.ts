import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../src/ingest/normalize.js';
import { validatorVersion } from '../../src/ingest/validator.js';
import { parsePush, type PushResult } from '../../src/ingest/push.js';
import { sampleEvent } from '../catalog/samples.js';

const ctx = { requestId: 'req-1', receivedAt: 1_764_300_000_000, partitions: 16, maxEvents: 100, source: 'brand-a' };

function ok(result: PushResult): Extract<PushResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${result.status} ${result.error}`);
  return result;
}

/** The HTTP connector's nested form of a flat sample event. */
function nested(flat: Record<string, unknown>): Record<string, unknown> {
  const userKeys = new Set(['user_id', 'external_user_id', 'device_id', 'timezone']);
  const user: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    if (k === 'event_type' || k === 'id' || k === 'time') continue;
    (userKeys.has(k) ? user : properties)[k] = v;
  }
  return { event_type: flat.event_type, id: flat.id, time: flat.time, user, properties };
}

describe('parsePush: body shape', () => {
  it.each([
    ['an array', [], /got an array/],
    ['a string', 'hello', /got a string/],
    ['null', null, /got null/],
    ['an object without events', { data: [] }, /no "events" field/],
    ['events that is not an array', { events: {} }, /"events" is an object/],
  ])('answers 400 for %s, saying what is expected', (_label, body, message) => {
    const result = parsePush(body, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.status).toBe(400);
      expect(result.error).toMatch(/expected a JSON object \{"events": \[\.\.\.\]\}/);
      expect(result.error).toMatch(message);
    }
  });

  it('answers 413 over the limit, naming the limit and asking to split', () => {
    const events = Array.from({ length: 101 }, () => sampleEvent('users.messages.email.Send'));
    const result = parsePush({ events }, ctx);
    expect(result).toEqual({
      ok: false,
      status: 413,
      error:
        'the request carries 101 events; the limit is 100 per request: split it into requests of at most 100 events, ' +
        'or raise the limit with --max-events (CURRENTS_MAX_EVENTS_PER_REQUEST)',
    });
    expect(parsePush({ events: events.slice(0, 100) }, ctx).ok).toBe(true);
  });

  it('accepts an empty array (Braze’s credentials check) with nothing to store', () => {
    expect(parsePush({ events: [] }, ctx)).toEqual({
      ok: true,
      events: [],
      eventIndexes: [],
      quarantined: [],
      rejected: [],
      lacking: [],
    });
  });
});

describe('parsePush: events', () => {
  it('keeps valid events and quarantines each invalid one with its index', () => {
    const good1 = sampleEvent('users.messages.email.Send', { id: 'g1' });
    const good2 = nested(sampleEvent('users.messages.pushnotification.Open', { id: 'g2' }));
    const badType = { ...sampleEvent('users.messages.email.Send', { id: 'b1' }), event_type: 'users.nope.Send' };
    const badField = sampleEvent('users.messages.email.Send', { id: 'b2', overrides: { email_address: 5 } });
    const result = ok(parsePush({ events: [good1, 'junk', badType, good2, badField, null] }, ctx));

    expect(result.events.map((e) => e.eventId)).toEqual(['g1', 'g2']);
    expect(result.eventIndexes).toEqual([0, 3]);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2, 4, 5]);
    expect(result.rejected[0]!.reason).toBe('events[1] must be a JSON object (a Currents event), got a string');
    expect(result.rejected[1]!.reason).toContain('"users.nope.Send" is not a Currents event type');
    expect(result.rejected[2]!.reason).toBe(
      'users.messages.email.Send: field "email_address" must be a string (got number)',
    );

    expect(result.quarantined).toHaveLength(4);
    const q = result.quarantined[2]!;
    expect(q).toEqual({
      reason: result.rejected[2]!.reason,
      source: { kind: 'http', requestId: 'req-1', index: 4, of: 6, sourceId: 'brand-a' },
      raw: JSON.stringify(badField),
      eventType: 'users.messages.email.Send',
      receivedAt: ctx.receivedAt,
      validator: validatorVersion(),
    });
    expect(result.quarantined[0]).toMatchObject({ raw: '"junk"', eventType: null });
    expect(result.quarantined[1]!.eventType).toBeNull();
    expect(result.quarantined[3]).toMatchObject({ raw: 'null', source: { index: 5 } });
  });

  it('takes the nested and the flat form to the same log row', () => {
    const flat = sampleEvent('users.messages.pushnotification.Open', { id: 'same' });
    const a = ok(parsePush({ events: [flat] }, ctx)).events[0]!;
    const b = ok(parsePush({ events: [nested(flat)] }, ctx)).events[0]!;
    expect({ ...b, payload: JSON.parse(b.payload) as unknown }).toEqual({ ...a, payload: flat });
    expect(JSON.parse(a.payload)).toEqual(flat);
    expect(a).toMatchObject({ platform: 'ios', receivedAt: ctx.receivedAt, time: flat.time });
  });

  it('keeps a nested event without a non-nullable field, and lists what it lacks by index of the kept events', () => {
    const type = 'users.messages.pushnotification.Open';
    const complete = nested(sampleEvent(type, { id: 'complete' }));
    const event = nested(sampleEvent(type, { id: 'no-user-id' }));
    delete (event.user as Record<string, unknown>).user_id;
    const result = ok(parsePush({ events: ['junk', complete, event] }, ctx));
    expect(result.events.map((e) => e.eventId)).toEqual(['complete', 'no-user-id']);
    expect(result.lacking).toEqual([{ at: 1, type, fields: ['user_id'] }]);
  });

  it('quarantines a nested event without its id or time, saying what to add', () => {
    const noId = nested(sampleEvent('users.messages.pushnotification.Open'));
    delete noId.id;
    delete noId.time;
    const result = ok(parsePush({ events: [noId] }, ctx));
    expect(result.events).toEqual([]);
    expect(result.lacking).toEqual([]);
    const reason = result.rejected[0]!.reason;
    expect(reason).toContain('field "id" is missing: add the event’s Currents id beside "event_type"');
    expect(reason).toContain('field "time" is missing: add when the event happened beside "event_type"');
  });

  it('puts one user in one partition, and spreads users over the partitions', () => {
    const events = [];
    for (let u = 0; u < 400; u++) {
      for (let k = 0; k < 2; k++) {
        events.push(sampleEvent('users.messages.email.Send', { overrides: { external_user_id: `user-${u}` } }));
      }
    }
    const rows = [];
    for (let i = 0; i < events.length; i += 100)
      rows.push(...ok(parsePush({ events: events.slice(i, i + 100) }, ctx)).events);
    const byUser = new Map<string, Set<number>>();
    for (const row of rows) {
      const set = byUser.get(row.externalUserId!) ?? new Set();
      set.add(row.partition);
      byUser.set(row.externalUserId!, set);
    }
    for (const [user, parts] of byUser) {
      expect(parts.size).toBe(1);
      expect([...parts][0]).toBe(partitionOf(user, 16));
    }
    const counts = new Array<number>(16).fill(0);
    for (const row of rows) counts[row.partition]!++;
    // 400 users over 16 partitions: 25 each on average; every partition gets some, none gets most.
    for (const c of counts) {
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThan(200);
    }
  });
});
