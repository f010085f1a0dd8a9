import { describe, expect, it } from 'vitest';
import { buildBatches, type BuildOptions } from '../../src/mparticle/batches.js';
import { sourceRequestId } from '../../src/mparticle/ids.js';
import { validateBatch } from '../../src/mparticle/schema.js';
import type { CurrentsEvent } from '../../src/types.js';
import { makeEvent, type Variant } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 15);
const NOW_S = Math.floor(NOW / 1000);
const DAY = 86_400;

const OPTS: BuildOptions = {
  settings: { environment: 'production', identity: 'customer_id', eventNames: {} },
  merge: true,
  feedId: 'ios+unbound',
  generation: 0,
  now: NOW,
};

function rows(events: CurrentsEvent[]): { seq: number; event: CurrentsEvent }[] {
  return events.map((event, i) => ({ seq: i + 1, event }));
}

function push(user: string, time: number, variant: Partial<Variant> = {}): CurrentsEvent {
  return makeEvent('users.messages.pushnotification.Open', { externalUserId: user, time, ...variant });
}

describe('buildBatches', () => {
  it('without merge sends one event per batch, in log order', () => {
    const events = [push('u1', NOW_S - 30), push('u1', NOW_S - 20), push('u2', NOW_S - 10)];
    const { batches } = buildBatches(rows(events), { ...OPTS, merge: false });
    expect(batches.map((b) => b.seqs)).toEqual([[1], [2], [3]]);
    expect(batches.map((b) => b.eventIds)).toEqual(events.map((e) => [e.id]));
  });

  it('with merge puts a user’s events in one batch, in time order, stable for equal times', () => {
    const events = [
      push('u1', NOW_S - 10),
      push('u2', NOW_S - 50),
      push('u1', NOW_S - 30),
      push('u1', NOW_S - 10),
      push('u1', NOW_S - 60),
    ];
    const { batches } = buildBatches(rows(events), OPTS);
    expect(batches).toHaveLength(2);
    const [u1, u2] = batches;
    expect(u1?.seqs).toEqual([5, 3, 1, 4]);
    expect(u1?.batch.events.map((e) => e.data.timestamp_unixtime_ms)).toEqual(
      [60, 30, 10, 10].map((ago) => (NOW_S - ago) * 1000),
    );
    expect(u1?.batch.user_identities).toEqual({ customer_id: 'u1' });
    expect(u2?.seqs).toEqual([2]);
  });

  it('keeps events of one user on different devices in separate batches', () => {
    const events = [
      push('u1', NOW_S - 3, { platform: 'ios' }),
      push('u1', NOW_S - 2, { platform: 'android' }),
      push('u1', NOW_S - 1, { platform: 'ios' }),
    ];
    const { batches } = buildBatches(rows(events), OPTS);
    expect(batches.map((b) => b.seqs)).toEqual([[1, 3], [2]]);
    expect(batches.map((b) => b.batch.device_info?.platform)).toEqual(['iOS', 'Android']);
  });

  it('lists users without an external id as skipped and sends the rest', () => {
    const events = [
      push('u1', NOW_S),
      push('', NOW_S),
      makeEvent('users.messages.email.Send', { externalUserId: null }),
    ];
    const { batches, skipped } = buildBatches(rows(events), OPTS);
    expect(batches.flatMap((b) => b.seqs)).toEqual([1]);
    expect(skipped).toEqual([
      { seq: 2, type: 'users.messages.pushnotification.Open', reason: 'no_external_user_id' },
      { seq: 3, type: 'users.messages.email.Send', reason: 'no_external_user_id' },
    ]);
  });

  it('splits a merged user by the event count limit', () => {
    const events = Array.from({ length: 250 }, (_, i) => push('u1', NOW_S - 1000 + i));
    const { batches } = buildBatches(rows(events), OPTS);
    expect(batches.map((b) => b.eventIds.length)).toEqual([100, 100, 50]);
    expect(batches.flatMap((b) => b.seqs)).toEqual(events.map((_, i) => i + 1));
    const small = buildBatches(rows(events.slice(0, 10)), { ...OPTS, maxEventsPerBatch: 4 });
    expect(small.batches.map((b) => b.eventIds.length)).toEqual([4, 4, 2]);
  });

  it('keeps each batch under the byte limit, with bytes and JSON exact', () => {
    const events = Array.from({ length: 60 }, (_, i) => {
      // Multi-byte text in the envelope (the identity) as well as in the events.
      const e = push('usuário-ñ1', NOW_S - 100 + i);
      e.campaign_name = 'é'.repeat(1500); // two bytes per character in UTF-8
      return e;
    });
    const { batches } = buildBatches(rows(events), { ...OPTS, maxBatchBytes: 32 * 1024 });
    expect(batches.length).toBeGreaterThan(3);
    expect(batches.flatMap((b) => b.seqs)).toHaveLength(60);
    for (const b of batches) {
      expect(b.bytes).toBe(Buffer.byteLength(b.json));
      expect(b.bytes).toBeLessThan(32 * 1024);
      expect(JSON.parse(b.json)).toEqual(b.batch);
    }
    // Full batches are nearly full: the limit, not the count, split them.
    expect(batches[0]!.bytes).toBeGreaterThan(32 * 1024 - 3200);
  });

  it('returns an event too large to send on its own in a separate list and sends the rest', () => {
    const big = push('u1', NOW_S - 5);
    big.campaign_name = 'x'.repeat(130 * 1024);
    const events = [push('u1', NOW_S - 9), big, push('u1', NOW_S - 1)];
    const { batches, tooLarge } = buildBatches(rows(events), OPTS);
    expect(batches.flatMap((b) => b.seqs)).toEqual([1, 3]);
    expect(tooLarge).toHaveLength(1);
    expect(tooLarge[0]?.batch.seqs).toEqual([2]);
    expect(tooLarge[0]?.reason).toBe('too_large');
    expect(tooLarge[0]?.error).toMatch(/131072-byte limit/);
  });

  it('refuses an invalid event with ajv’s error text and still sends its merged companions', () => {
    const bad = push('u1', Number.NaN);
    const events = [push('u1', NOW_S - 9), bad, push('u1', NOW_S - 1)];
    const { batches, invalid } = buildBatches(rows(events), OPTS);
    expect(batches.flatMap((b) => b.seqs).sort()).toEqual([1, 3]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.batch.seqs).toEqual([2]);
    expect(invalid[0]?.error).toMatch(/timestamp_unixtime_ms/);
    for (const b of batches) expect(validateBatch(b.batch, 'official')).toBeNull();
  });

  it('checks batches for identities other_id_5..10 against the live schema, which knows them', () => {
    const settings = { ...OPTS.settings, identity: 'other_id_9' as const };
    const { batches, invalid } = buildBatches(rows([push('u1', NOW_S)]), { ...OPTS, settings });
    expect(invalid).toEqual([]);
    expect(batches[0]?.batch.user_identities).toEqual({ other_id_9: 'u1' });
  });

  it('puts events older than 30 days in historical batches, never mixed with live ones', () => {
    const events = [
      push('u1', NOW_S - 40 * DAY),
      push('u1', NOW_S - 1 * DAY),
      push('u1', NOW_S - 31 * DAY),
      push('u2', NOW_S - 29 * DAY),
    ];
    const { batches } = buildBatches(rows(events), OPTS);
    expect(batches.map((b) => [b.seqs, b.historical])).toEqual([
      [[1, 3], true],
      [[2], false],
      [[4], false],
    ]);
    const single = buildBatches(rows(events), { ...OPTS, merge: false });
    expect(single.batches.map((b) => b.historical)).toEqual([true, false, true, false]);
  });

  it('gives a batch a source_request_id from its feed, events and generation', () => {
    const events = [push('u1', NOW_S - 2), push('u1', NOW_S - 1)];
    const first = buildBatches(rows(events), OPTS).batches[0]!;
    const again = buildBatches(rows(events), OPTS).batches[0]!;
    const replay = buildBatches(rows(events), { ...OPTS, generation: 1 }).batches[0]!;
    const otherFeed = buildBatches(rows(events), { ...OPTS, feedId: 'android' }).batches[0]!;
    expect(first.batch.source_request_id).toBe(sourceRequestId('ios+unbound', first.eventIds, 0));
    expect(again.json).toBe(first.json);
    expect(replay.batch.source_request_id).not.toBe(first.batch.source_request_id);
    expect(otherFeed.batch.source_request_id).not.toBe(first.batch.source_request_id);
  });
});

describe('sourceRequestId', () => {
  it('is UUID-shaped, deterministic and independent of event order', () => {
    const id = sourceRequestId('web', ['a', 'b', 'c'], 3);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sourceRequestId('web', ['c', 'a', 'b'], 3)).toBe(id);
    expect(sourceRequestId('web', ['a', 'b'], 3)).not.toBe(id);
    expect(sourceRequestId('web', ['a', 'b', 'c'], 4)).not.toBe(id);
    expect(sourceRequestId('ios', ['a', 'b', 'c'], 3)).not.toBe(id);
    // Joining must not make different splits look equal.
    expect(sourceRequestId('w', ['eb'], 0)).not.toBe(sourceRequestId('we', ['b'], 0));
  });

  it('never changes between versions: a batch resent after an upgrade keeps its id', () => {
    // SHA-256 of JSON [feed, generation, sorted ids], shaped as a version-8 UUID (the value of the first release).
    expect(sourceRequestId('web', ['c', 'a', 'b'], 3)).toBe('d88c53d7-df0d-8ff7-8483-f7245b106d1a');
    // A batch of one event (most batches), and the variant digit taken from another value of the digest.
    expect(sourceRequestId('web', ['a'], 3)).toBe('1830f666-be75-882b-8d16-ea4a75002af2');
    expect(sourceRequestId('ios+unbound', ['0b9c3e0e-4c39-4d8a-9a57-0e0f3c7f8b9e'], 0)).toBe(
      'c7db2697-801d-8239-b495-e4a98993e019',
    );
  });
});
