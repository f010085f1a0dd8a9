import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, allRows, pushHeaders, startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js';
import { batch, flatEvent, nestedEvent } from '../helpers/events.js';

/** POST /v1/currents in-process over a real SQLite file: what Braze's Custom HTTP connector (or curl) would see. */

let current: TestApp | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function start(options: TestAppOptions = {}): Promise<TestApp> {
  current = await startTestApp(options);
  return current;
}

function push(t: TestApp, body: unknown, headers: Record<string, string> = pushHeaders()) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/currents',
    headers,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function nothingStored(t: TestApp): Promise<void> {
  expect(await allRows(t.store)).toEqual([]);
  expect(await t.store.countQuarantine()).toBe(0);
}

describe('POST /v1/currents: the ingest token', () => {
  it('answers 401 without a token, saying which token and how to send it, and stores nothing', async () => {
    const t = await start();
    const headers = pushHeaders();
    delete headers.authorization;
    const res = await push(t, { events: batch(3) }, headers);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    const body = res.json<{ error: string; code: string }>();
    expect(body.code).toBe('unauthorized');
    expect(body.error).toContain('missing bearer token');
    expect(body.error).toContain('CURRENTS_INGEST_TOKEN');
    expect(body.error).toContain('"Authorization: Bearer <token>"');
    await nothingStored(t);
  });

  it.each([
    ['a wrong token', 'Bearer not-the-ingest-token-at-all'],
    ['the admin token', `Bearer ${ADMIN_TOKEN}`],
    ['another scheme', `Basic ${Buffer.from('user:pass').toString('base64')}`],
  ])('answers 401 to %s and stores nothing', async (_label, authorization) => {
    const t = await start();
    const res = await push(t, { events: batch(2) }, { ...pushHeaders(), authorization });
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: string }>().error).toMatch(/ingest token .*"Authorization: Bearer <token>"/);
    expect(res.body).not.toContain('test-ingest-token');
    await nothingStored(t);
  });

  it('treats an empty events array as a credentials check: 200 with the right token, 401 with a wrong one', async () => {
    const t = await start();
    const ok = await push(t, { events: [] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ received: 0, stored: 0, duplicates: [], quarantined: [] });
    const refused = await push(t, { events: [] }, pushHeaders('wrong-token-wrong-token-wrong'));
    expect(refused.statusCode).toBe(401);
    await nothingStored(t);
  });
});

describe('POST /v1/currents: bodies that are not {"events":[...]}', () => {
  it('answers 400 to malformed JSON, saying it is not JSON and what to send', async () => {
    const t = await start();
    const res = await push(t, '{"events": [ {"id": "a", ');
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; code: string }>();
    expect(body.code).toBe('malformed_json');
    expect(body.error).toContain('not valid JSON');
    expect(body.error).toContain('{"events":[...]}');
    await nothingStored(t);
  });

  it('answers 400 to an empty body', async () => {
    const t = await start();
    const res = await push(t, '');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toContain('{"events":[...]}');
  });

  it.each([
    ['an array', '[]', /got an array/],
    ['a string', '"events"', /got a string/],
    ['a number', '42', /got a number/],
    ['null', 'null', /got null/],
    ['an object without events', '{"data":[]}', /no "events" field/],
    ['events as an object', '{"events":{"0":{}}}', /"events" is an object/],
    ['events as a string', '{"events":"[]"}', /"events" is a string/],
  ])('answers 400 to %s, naming what is wrong', async (_label, text, reason) => {
    const t = await start();
    const res = await push(t, text);
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; code: string }>();
    expect(body.code).toBe('bad_body');
    expect(body.error).toMatch(/expected a JSON object \{"events": \[\.\.\.\]\}/);
    expect(body.error).toMatch(reason);
    await nothingStored(t);
  });

  it('answers 413 over the event limit (100 by default), asking to split, and stores nothing', async () => {
    const t = await start();
    const res = await push(t, { events: batch(101) });
    expect(res.statusCode).toBe(413);
    const body = res.json<{ error: string; code: string }>();
    expect(body.code).toBe('too_many_events');
    expect(body.error).toContain('the limit is 100 per request');
    expect(body.error).toContain('split');
    expect(body.error).toContain('--max-events (CURRENTS_MAX_EVENTS_PER_REQUEST)');
    expect(res.json()).toMatchObject({ limit_events: 100, setting: 'CURRENTS_MAX_EVENTS_PER_REQUEST' });
    await nothingStored(t);
    expect((await push(t, { events: batch(100) })).statusCode).toBe(200);
  });

  it('takes its event limit from --max-events', async () => {
    const t = await start({ flags: { maxEvents: 5 } });
    expect((await push(t, { events: batch(6) })).statusCode).toBe(413);
    expect((await push(t, { events: batch(5) })).json()).toMatchObject({ stored: 5 });
  });

  it('answers 413 to a body over the size limit, and stores nothing', async () => {
    const t = await start({ flags: { bodyLimit: 4096 } });
    const events = batch(10);
    expect(JSON.stringify({ events }).length).toBeGreaterThan(4096);
    const res = await push(t, { events });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'body_too_large' });
    expect(res.json<{ error: string }>().error).toContain('split the events over several requests');
    expect(res.json<{ error: string }>().error).toContain('larger than the 4,096 bytes (4 KiB) this service accepts');
    expect(res.json<{ error: string }>().error).toContain('--body-limit (CURRENTS_BODY_LIMIT_BYTES)');
    expect(res.json()).toMatchObject({ limit_bytes: 4096, setting: 'CURRENTS_BODY_LIMIT_BYTES' });
    await nothingStored(t);
    expect((await push(t, { events: batch(2) })).statusCode).toBe(200);
  });

  it('accepts a push without Braze-Currents-Version (curl), as version 1', async () => {
    const t = await start();
    const headers = pushHeaders();
    delete headers['braze-currents-version'];
    expect((await push(t, { events: batch(1) }, headers)).json()).toMatchObject({ stored: 1 });
  });

  it('answers 415 to a body that is not sent as JSON, saying how to send it', async () => {
    const t = await start();
    const res = await push(t, 'events=1', { ...pushHeaders(), 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(res.json<{ error: string }>().error).toContain('application/json');
    await nothingStored(t);
  });

  it('refuses an unsupported Braze-Currents-Version, naming the version it speaks', async () => {
    const t = await start();
    const res = await push(t, { events: batch(1) }, { ...pushHeaders(), 'braze-currents-version': '2' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'unsupported_version' });
    expect(res.json<{ error: string }>().error).toContain('version 1');
    await nothingStored(t);
  });
});

describe('POST /v1/currents: events', () => {
  it('answers 200 after the events are committed, readable from the store in the flat form', async () => {
    const t = await start();
    const events = [nestedEvent('users.messages.email.Send'), nestedEvent('users.messages.pushnotification.Open')];
    const res = await push(t, { events });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 2, stored: 2, duplicates: [], quarantined: [] });
    expect(res.json<{ request_id: string }>().request_id).toMatch(/^[0-9a-f-]{36}$/);

    const rows = await allRows(t.store);
    expect(rows.map((r) => r.eventId)).toEqual(events.map((e) => e.id));
    const first = JSON.parse(rows[0]!.payload) as Record<string, unknown>;
    const nested = events[0] as { user: Record<string, unknown>; properties: Record<string, unknown> };
    expect(first).toEqual({
      event_type: 'users.messages.email.Send',
      id: events[0]!.id,
      time: 1_764_300_000,
      ...nested.properties,
      ...nested.user,
    });
    expect(first).not.toHaveProperty('user');
    expect(rows[0]!.externalUserId).toBe(nested.user.external_user_id);
    expect(rows[1]!.type).toBe('users.messages.pushnotification.Open');
    expect(rows[1]!.platform).toBe('ios');
  });

  it('stores the nested (user/properties) and the flat form of one event identically', async () => {
    const t = await start();
    const nested = nestedEvent('users.messages.sms.Delivery', { id: 'nested-1', externalUserId: 'u-1' });
    const flat = flatEvent('users.messages.sms.Delivery', { id: 'flat-1', externalUserId: 'u-1' });
    const res = await push(t, { events: [nested, flat] });
    expect(res.json()).toMatchObject({ stored: 2, quarantined: [] });
    const rows = await allRows(t.store);
    const payloads = rows.map((r) => {
      const { id: _id, ...rest } = JSON.parse(r.payload) as Record<string, unknown>;
      return rest;
    });
    expect(payloads[0]).toEqual(payloads[1]);
    expect(rows[0]!.partition).toBe(rows[1]!.partition);
  });

  it('stores the valid events of a mixed request and quarantines the others, listed by index with the reason', async () => {
    const t = await start();
    const good = batch(3, 'good');
    const missingTime = nestedEvent('users.messages.email.Send', { id: 'bad-missing' });
    delete missingTime.time;
    const wrongType = nestedEvent('users.messages.email.Send', { id: 'bad-type', extra: {} });
    (wrongType as Record<string, unknown>).time = '1764300000';
    const unknownType = { ...nestedEvent(), event_type: 'users.messages.email.Sent', id: 'bad-unknown' };
    const events = [good[0], missingTime, good[1], 'not an event', wrongType, unknownType, good[2]];
    const res = await push(t, { events });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      request_id: string;
      received: number;
      stored: number;
      quarantined: { index: number; reason: string }[];
    }>();
    expect(body.received).toBe(7);
    expect(body.stored).toBe(3);
    expect(body.quarantined.map((q) => q.index)).toEqual([1, 3, 4, 5]);
    const reasons = body.quarantined.map((q) => q.reason);
    expect(reasons[0]).toContain('field "time" is missing: add when the event happened');
    expect(reasons[1]).toContain('events[3] must be a JSON object');
    expect(reasons[2]).toContain('field "time" must be an integer (got string): send numbers as JSON numbers');
    expect(reasons[3]).toContain('"users.messages.email.Sent" is not a Currents event type');

    expect((await allRows(t.store)).map((r) => r.eventId)).toEqual(['good-0', 'good-1', 'good-2']);
    const records = await t.store.listQuarantine({ limit: 10 });
    expect(records).toHaveLength(4);
    records.forEach((record, i) => {
      const { index, reason } = body.quarantined[i]!;
      expect(record.reason).toBe(reason);
      expect(record.source).toEqual({
        kind: 'http',
        requestId: body.request_id,
        index,
        of: events.length,
        sourceId: 'default',
      });
      expect(JSON.parse(record.raw)).toEqual(events[index]);
    });
    expect(records[0]!.eventType).toBe('users.messages.email.Send');
    expect(records[3]!.eventType).toBeNull();
  });

  it('keeps a request whose every event is invalid in quarantine, with nothing in the log', async () => {
    const t = await start();
    const res = await push(t, { events: [{ id: 'x' }, 7] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: 2, stored: 0, duplicates: [] });
    expect(await t.store.countQuarantine()).toBe(2);
    expect(await allRows(t.store)).toEqual([]);
  });

  it('drops duplicates within a request and across requests, listed by index, stored once', async () => {
    const t = await start();
    const [a, b, c] = batch(3, 'dup');
    const first = await push(t, { events: [a, b, { ...a }, c, { ...b }] });
    expect(first.json()).toMatchObject({ received: 5, stored: 3, duplicates: [2, 4], quarantined: [] });

    const again = await push(t, { events: [nestedEvent(), c, a] });
    expect(again.json()).toMatchObject({ received: 3, stored: 1, duplicates: [1, 2] });
    const rows = await allRows(t.store);
    expect(rows.map((r) => r.eventId).filter((id) => id.startsWith('dup-'))).toEqual(['dup-0', 'dup-1', 'dup-2']);
    expect(rows).toHaveLength(4);
  });

  it('counts duplicate indexes against the request, not the valid events, when some are quarantined', async () => {
    const t = await start();
    const [a] = batch(1, 'seen');
    await push(t, { events: [a] });
    const res = await push(t, { events: ['bad', { id: 'worse' }, a] });
    expect(res.json()).toMatchObject({ stored: 0, duplicates: [2] });
    expect(res.json<{ quarantined: { index: number }[] }>().quarantined.map((q) => q.index)).toEqual([0, 1]);
  });
});

describe('POST /v1/currents: when the events cannot be kept', () => {
  it('answers 503 with Retry-After when the store is full, and stores nothing', async () => {
    const t = await start({ maxSizeBytes: 1 });
    const res = await push(t, { events: batch(100) });
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const body = res.json<{ error: string; code: string }>();
    expect(body.code).toBe('store_unavailable');
    expect(body.error).toContain('nothing from this request was kept');
    expect(body.error).toContain('free space');
    await nothingStored(t);
  });

  it('answers 503 to a mixed request on a full store without keeping its invalid events either', async () => {
    // The invalid events are small enough to fit in the quarantine table's free page space; the valid ones are not.
    const t = await start({ maxSizeBytes: 1 });
    const res = await push(t, { events: [...batch(50), { id: 'bad-1' }, { id: 'bad-2' }] });
    expect(res.statusCode).toBe(503);
    await nothingStored(t);
  });

  it('answers 503 with Retry-After when free disk space is under the minimum, and stores nothing', async () => {
    const t = await start({ env: { CURRENTS_MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) } });
    const res = await push(t, { events: [...batch(2), 'invalid'] });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    const body = res.json<{ error: string }>();
    expect(body.error).toContain('below the minimum');
    expect(body.error).toContain('CURRENTS_MIN_FREE_DISK_MB');
    await nothingStored(t);
    // A credentials check does not write, so it still answers.
    expect((await push(t, { events: [] })).statusCode).toBe(200);
  });
});
