import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flatten, partitionOf, toNewEvent } from '../../src/ingest/normalize.js';
import type { CurrentsEvent } from '../../src/types.js';
import { sampleEvent } from '../catalog/samples.js';

describe('partitionOf', () => {
  it('is FNV-1a 32-bit of the UTF-8 bytes, modulo the partition count', () => {
    // Published FNV-1a 32-bit test values: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
    expect(partitionOf('', 2 ** 32 - 1)).toBe(0x811c9dc5 % (2 ** 32 - 1));
    expect(partitionOf('a', 1_000_003)).toBe(0xe40c292c % 1_000_003);
    expect(partitionOf('foobar', 64)).toBe(0xbf9cf968 % 64);
  });

  it('hashes non-ASCII keys by their UTF-8 bytes', () => {
    const fnv = (bytes: Uint8Array): number => {
      let h = 0x811c9dc5;
      for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
      return h >>> 0;
    };
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 4096 }), (key, n) => {
        expect(partitionOf(key, n)).toBe(fnv(new TextEncoder().encode(key)) % n);
      }),
    );
  });

  it('stays in range and refuses a partition count that is not a positive integer', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = partitionOf(key, n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
      }),
    );
    expect(() => partitionOf('u', 0)).toThrow(/positive integer/);
    expect(() => partitionOf('u', 1.5)).toThrow(/positive integer/);
  });
});

describe('flatten', () => {
  it('lifts user and properties to the top level', () => {
    const flat = flatten({
      event_type: 'users.messages.pushnotification.Open',
      id: 'e1',
      time: 1,
      user: { user_id: 'u1', external_user_id: 'x1', timezone: 'Europe/Madrid' },
      properties: { app_id: 'a1', platform: 'ios' },
    });
    expect(flat).toEqual({
      event_type: 'users.messages.pushnotification.Open',
      id: 'e1',
      time: 1,
      user_id: 'u1',
      external_user_id: 'x1',
      timezone: 'Europe/Madrid',
      app_id: 'a1',
      platform: 'ios',
    });
  });

  it('passes a flat event through as the same object', () => {
    const event = sampleEvent('users.messages.email.Send');
    expect(flatten(event)).toBe(event);
  });

  it('keeps a custom event’s own properties as JSON text, nested or flat', () => {
    const nested = flatten({
      event_type: 'users.behaviors.CustomEvent',
      id: 'e1',
      time: 1,
      user: { user_id: 'u1' },
      properties: { name: 'added_to_cart', properties: { sku: 'A-1', qty: 2 } },
    });
    expect(nested.name).toBe('added_to_cart');
    expect(JSON.parse(nested.properties as string)).toEqual({ sku: 'A-1', qty: 2 });
    const flat = flatten({ event_type: 'users.behaviors.CustomEvent', id: 'e1', time: 1, properties: { a: 1 } });
    expect(flat.properties).toBe('{"a":1}');
    const text = { event_type: 'users.behaviors.CustomEvent', id: 'e1', time: 1, properties: '{"a":1}' };
    expect(flatten(text)).toBe(text);
  });

  it('lets top-level fields win and cannot be tricked by a __proto__ key', () => {
    const input = JSON.parse(
      '{"event_type":"t","id":"top","time":1,"user":{"id":"inner","__proto__":{"polluted":true},"user_id":"u"}}',
    ) as Record<string, unknown>;
    const flat = flatten(input);
    expect(flat.id).toBe('top');
    expect(flat.user_id).toBe('u');
    expect(Object.getPrototypeOf(flat)).toBe(Object.prototype);
    expect((flat as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

describe('toNewEvent', () => {
  const base = (over: Record<string, unknown>): CurrentsEvent =>
    ({ event_type: 'users.messages.pushnotification.Open', id: 'e1', time: 1_764_300_000, ...over }) as CurrentsEvent;

  it('fills the columns exports filter on and keeps the flat event as payload', () => {
    const event = base({ external_user_id: 'x1', user_id: 'u1', app_id: 'app', platform: 'IOS', extra: 1 });
    const row = toNewEvent(event, 123, 16, 'brand-a');
    expect(row).toEqual({
      eventId: 'e1',
      type: 'users.messages.pushnotification.Open',
      partition: partitionOf('x1', 16),
      externalUserId: 'x1',
      platform: 'ios',
      appId: 'app',
      time: 1_764_300_000,
      receivedAt: 123,
      payload: JSON.stringify(event),
      source: 'brand-a',
    });
    expect(toNewEvent(event, 123, 16).source).toBe('default');
  });

  it('partitions by external id, else user id, else device id, else the event id', () => {
    expect(toNewEvent(base({ external_user_id: 'x', user_id: 'u', device_id: 'd' }), 0, 97).partition).toBe(
      partitionOf('x', 97),
    );
    expect(toNewEvent(base({ external_user_id: null, user_id: 'u', device_id: 'd' }), 0, 97).partition).toBe(
      partitionOf('u', 97),
    );
    expect(toNewEvent(base({ device_id: 'd' }), 0, 97).partition).toBe(partitionOf('d', 97));
    expect(toNewEvent(base({}), 0, 97).partition).toBe(partitionOf('e1', 97));
  });

  it('binds to ios, android or web only with an app id; other platforms go unbound', () => {
    expect(toNewEvent(base({ app_id: 'a', platform: 'Android' }), 0, 4).platform).toBe('android');
    expect(toNewEvent(base({ app_id: 'a', platform: 'web' }), 0, 4).platform).toBe('web');
    expect(toNewEvent(base({ app_id: 'a', platform: 'tvos' }), 0, 4).platform).toBeNull();
    expect(toNewEvent(base({ app_id: 'a', platform: 'roku' }), 0, 4).platform).toBeNull();
    expect(toNewEvent(base({ platform: 'ios' }), 0, 4).platform).toBeNull();
    expect(toNewEvent(base({ app_id: '', platform: 'ios' }), 0, 4)).toMatchObject({ platform: null, appId: null });
    expect(toNewEvent(base({}), 0, 4)).toMatchObject({ platform: null, appId: null, externalUserId: null });
  });
});
